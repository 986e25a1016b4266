"""The generic scan. A scan proposes points and reads back evaluated points; it never touches
files, processes or SLHA itself (the run manager and the result store do)."""

from __future__ import annotations

import logging
from typing import Any, Mapping, Sequence

import numpy as np

from bsmart.config import RunConfig
from bsmart.points import EvaluatedPoint
from bsmart.results import check_columns, read_points_csv
from bsmart.runner import RunManager
from bsmart.settings import Setting, Settings

# BSMArt's seeding of the sampling and optimising scans: a CSV of scored points (InitCSV the same)
SAMPLE_SETTINGS = {
    "Initial Sample": Setting(None, str, "a CSV (e.g. an ML scan's good points) whose best points seed the scan, "
                                         "relative to the input file; InitCSV is the same"),
    "InitCSV": Setting(None, str, "the same as Initial Sample"),
    "Sample LogLike Name": Setting(None, str, "the Initial Sample's log-likelihood column"),
    "Sample NLL Name": Setting(None, str, "the Initial Sample's NLL column (default: NLL)"),
    "Sample Likelihood Name": Setting(None, str, "the Initial Sample's likelihood column"),
}


def _sample_source(settings: Settings) -> tuple[str | None, str, tuple[str, str]]:
    """The seeding CSV a scan's settings name (``Initial Sample`` or ``InitCSV``, where declared),
    its key, and its score column (name, kind)."""
    initial = settings.get("Initial Sample")
    name, key = (initial, "Setup.Initial Sample") if initial else (settings.get("InitCSV"), "Setup.InitCSV")
    for kind in ("LogLike", "NLL", "Likelihood"):
        if settings.get(f"Sample {kind} Name"):
            return name, key, (settings[f"Sample {kind} Name"], kind)
    return name, key, ("NLL", "NLL")


class Scan:
    """Base of every scan: ``initialise`` -> ``run`` -> ``postprocess``, called by ``launch``."""

    # BSMArt's extra outputs that a scan writes: a Result column (the NLL) at the end of the
    # Spectrum_Files tables, and Spectrum_Files/Accumulated_points_Model_<accumulated>.csv
    result_column: bool = False
    accumulated: str | None = None
    stores_spectra: bool = False  # StoreAllPoints whatever the input says (BSMArt's read_dir)
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
        raise ConfigError. The base checks the seeding CSV (``InitCSV``, or BSMArt's ``Initial
        Sample`` with its score column) when the scan declares one: the columns only, the rows are
        read once, when the scan starts."""
        name, key, score = _sample_source(settings)
        if name:
            check_columns(config.existing_path(name, key), config.space, key, need_nll=True,
                          observables=config.observables, score=score)

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

    def initial_sample(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The seeding CSV's points (unit cube) and NLLs, or None when the input names none."""
        name, key, score = _sample_source(self.settings)
        if not name:
            return None
        table = read_points_csv(self.config.resolve_path(name), self.space, need_nll=True, where=key,
                                observables=self.config.observables, score=score)
        self.log.info("%s: %s", name, table.report())
        return self.space.to_unit(table.physical), table.nll

    def evaluate(self, physical: np.ndarray, iteration: int = 0,
                 inputs: Sequence[str] | None = None) -> list[EvaluatedPoint]:
        """Evaluate ``[n, n_variables]`` physical points (stored before this returns); ``inputs``:
        per point, a file the first template's code takes instead of filling its template."""
        return self.runner.run_batch(physical, iteration, inputs)

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
