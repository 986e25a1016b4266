"""MultiNest: BSMArt's nested-sampling scan, run by UltraNest (PyPI) instead of the MultiNest
library, which BSMArt loads from a path. It gives the evidence (the likelihood's integral over
the declared priors) with its error, and a weighted sample of the posterior in
``Results/posterior.csv``. Each batch of proposals is one parallel batch of evaluations."""

from __future__ import annotations

import logging

import numpy as np
import ultranest

from bsmart.points import EvaluatedPoint
from bsmart.scans._objective import UnitObjective, log_likelihoods, library_run
from bsmart.scans.base import Scan
from bsmart.settings import Setting

LOWEST_LOG_LIKELIHOOD = -1e300  # a failed point: UltraNest needs a finite value

__meta__ = {
    "name": "MultiNest",
    "description": "Nested sampling (UltraNest): the evidence, and a weighted sample of the posterior.",
    "settings": {
        "Live Points": Setting(None, int, "live points; default: Points, else 400", minimum=10, maximum=1_000_000),
        "Points": Setting(None, int, "the live points when Live Points is not given (as in BSMArt)", minimum=10,
                          maximum=1_000_000),
        "Evidence Tolerance": Setting(0.5, float, "stop when the live points can change log(evidence) by less "
                                                  "than this", minimum=1e-6),
        "Max Evaluations": Setting(1_000_000, int, "stop after this many evaluations even if not converged",
                                   minimum=1),
        "Sampling Efficiency": Setting(None, str, "MultiNest's setting; accepted, not used by UltraNest"),
        "MultiNestLib": Setting(None, str, "the MultiNest library's path; accepted, not needed"),
    },
}


class NewScan(Scan):
    def initialise(self) -> None:
        self.live_points = self.settings.live_points or self.settings.points or 400
        # UltraNest stops itself at Max Evaluations, after the batch that reaches it: never cut its batches
        self.objective = UnitObjective(self, budget=self.settings.max_evaluations + 1_000_000)
        self.by_position: dict[bytes, EvaluatedPoint | None] = {}  # unit coordinates -> the point, for the sample

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.settings.max_evaluations, "evaluations"

    def _log_likelihood(self, unit: np.ndarray) -> np.ndarray:
        found = self.objective.points(unit)
        self.by_position.update((u.tobytes(), p) for u, p in zip(np.asarray(unit, float), found))
        return np.maximum(log_likelihoods(found), LOWEST_LOG_LIKELIHOOD)

    def run(self) -> None:
        quiet = logging.getLogger("ultranest")  # UltraNest prints to stdout unless its logger has a handler
        quiet.handlers, quiet.propagate = [logging.NullHandler()], False
        names = [v.name for v in self.space.free]
        with library_run(self.rng):  # its first draws test the likelihood, when it is made
            sampler = ultranest.ReactiveNestedSampler(names, self._log_likelihood, lambda u: u.copy(),
                                                      vectorized=True, ndraw_min=max(16, 4 * self.config.cores))
            result = sampler.run(min_num_live_points=self.live_points, dlogz=self.settings.evidence_tolerance,
                                 max_ncalls=self.settings.max_evaluations, show_status=False, viz_callback=False)
        self.objective.require_valid("MultiNest")
        self._write_posterior(result["weighted_samples"])
        self.result.update(chain_files="Results/posterior.csv", log_evidence=round(float(result["logz"]), 5),
                           log_evidence_error=round(float(result["logzerr"]), 5), live_points=self.live_points,
                           posterior_mean=dict(zip(names, self._physical(result["posterior"]["mean"]))),
                           posterior_sd=dict(zip(names, self._widths(result["weighted_samples"]))))

    def _physical(self, unit: np.ndarray) -> list[float]:
        return self.space.to_physical(np.atleast_2d(unit))[0, self.space.free_index].round(8).tolist()

    def _widths(self, weighted: dict) -> list[float]:
        values = self.space.to_physical(weighted["points"])[:, self.space.free_index]
        mean = np.average(values, axis=0, weights=weighted["weights"])
        return np.sqrt(np.average((values - mean) ** 2, axis=0, weights=weighted["weights"])).round(8).tolist()

    def _write_posterior(self, weighted: dict) -> None:
        """The dead and final live points, each with its posterior weight (summing to 1)."""
        observables = list(self.config.observables)
        table = self.store.scan_table("Results/posterior.csv",
                                      ["ID", *self.space.names, *observables, "LogLike", "Weight"])
        rows = []
        for unit, weight, logl in zip(weighted["points"], weighted["weights"], weighted["logl"]):
            point = self.by_position.get(np.asarray(unit, float).tobytes())
            if point is not None and weight > 0:
                rows.append([point.id, *(point.variables[n] for n in self.space.names),
                             *(point.observables[o] for o in observables), float(logl), float(weight)])
        table.write_rows(rows)
