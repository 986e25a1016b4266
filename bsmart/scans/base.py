"""The generic scan. A scan proposes points and reads back evaluated points; it never touches
files, processes or SLHA itself (the run manager and the result store do)."""

from __future__ import annotations

import logging
from typing import Any, Mapping

import numpy as np

from bsmart.config import RunConfig
from bsmart.points import EvaluatedPoint
from bsmart.results import check_columns
from bsmart.runner import RunManager
from bsmart.settings import Settings


class Scan:
    """Base of every scan: ``initialise`` -> ``run`` -> ``postprocess``, called by ``launch``."""

    # BSMArt's extra outputs that a scan writes: a Result column (the NLL) at the end of the
    # Spectrum_Files tables, and Spectrum_Files/Accumulated_points_Model_<accumulated>.csv
    result_column: bool = False
    accumulated: str | None = None
    threshold_setting: str = "Threshold_Value"  # the scan's setting, if any, of the good-point threshold

    def __init__(self, config: RunConfig, settings: Settings, runner: RunManager, rng: np.random.Generator,
                 store: Any, log: logging.Logger | None = None):
        self.config = config
        self.settings = settings
        self.runner = runner
        self.rng = rng
        self.store = store
        self.space = config.space
        self.log = log or logging.getLogger("bsmart")
        self.result: dict[str, Any] = {}  # scan-specific lines for the summary

    # -- hooks ------------------------------------------------------------------------
    @classmethod
    def check(cls, config: RunConfig, settings: Settings) -> None:
        """Validate what the settings point to, before the run folder is made or a code runs;
        raise ConfigError. The base checks ``InitCSV`` (known points with their NLL) when the
        scan declares it."""
        name = settings.get("InitCSV")
        if name:  # the columns only: the rows are read once, when the scan starts
            check_columns(config.resolve_path(name), config.space, "Setup.InitCSV", need_nll=True,
                          observables=config.observables)

    def initialise(self) -> None:
        """Prepare state before any point is evaluated."""

    def run(self) -> None:
        raise NotImplementedError

    def postprocess(self) -> None:
        """Called after ``run`` returns (also after a ScanError), e.g. to save a model."""

    # -- services ---------------------------------------------------------------------
    @property
    def threshold(self) -> float | None:
        """A point is good when valid and its NLL is below this (None: every valid point)."""
        return self.runner.evaluator.threshold

    def evaluate(self, physical: np.ndarray, iteration: int = 0) -> list[EvaluatedPoint]:
        """Evaluate ``[n, n_variables]`` physical points (stored before this returns)."""
        return self.runner.run_batch(physical, iteration)

    def record_iteration(self, record: Mapping[str, Any]) -> None:
        self.store.append_iteration(record)

    def progress(self) -> tuple[int, int, str] | None:
        """(done, total, unit) for the progress line: unit "evaluations" or "good"."""
        return None

    def launch(self) -> None:
        self.initialise()
        try:
            self.run()
        finally:
            self.postprocess()
