"""Vegas: importance sampling of the likelihood with vegas' adaptive map, as in VEGAS: each
iteration draws its points through the map (one parallel batch), weighs them by likelihood x
the map's Jacobian, and adapts the map to where the likelihood lies. The summary gives the
evidence (the likelihood's integral over the declared priors, the iterations combined by their
variances) and ``Results/Vegas_samples.csv`` every point with the log of its posterior weight (unnormalised)."""

from __future__ import annotations

import math

import numpy as np
import vegas

from bsmart.scans._objective import UnitObjective, log_likelihoods
from bsmart.scans.base import Scan
from bsmart.settings import Setting

ADAPTATION = 0.5  # vegas' alpha: how far each iteration moves the map (0 = not at all)
INCREMENTS = 50  # the map's increments per variable

__meta__ = {
    "name": "Vegas",
    "description": "Adaptive importance sampling (vegas' map): the evidence, and a weighted sample of the posterior.",
    "settings": {
        "Points": Setting(10_000, int, "evaluations in all", minimum=2),
        "Iterations": Setting(None, int, "iterations (map adaptations); default: Points / Batch Size", minimum=1),
        "Batch Size": Setting(100, int, "points per iteration when Iterations is not given", minimum=2,
                              maximum=10 ** 7),
        "LogLike": Setting(True, bool, "BSMArt's setting; accepted: the likelihood itself is integrated"),
    },
}


class NewScan(Scan):
    def initialise(self) -> None:
        points = self.settings.points
        self.per_iteration = max(2, points // self.settings.iterations) if self.settings.iterations else \
            min(self.settings.batch_size, points)
        self.objective = UnitObjective(self, budget=points)
        self.estimates: list[tuple[float, float]] = []  # each iteration's (log evidence, relative variance)
        self.samples: list[tuple[np.ndarray, np.ndarray]] = []  # each iteration's (points, log weights)
        names = ["ID", *self.space.names, *self.config.observables, "LogLike", "LogWeight", "Iteration"]
        self.table = self.store.scan_table("Results/Vegas_samples.csv", names)

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.settings.points, "evaluations"

    def run(self) -> None:
        dim = len(self.space.free)
        grid = vegas.AdaptiveMap([[0.0, 1.0]] * dim)
        grid.adapt(ninc=INCREMENTS)  # start uniform, with room to adapt
        iteration = 0
        while self.objective.left >= 2:
            n = min(self.per_iteration, self.objective.left)
            y = self.rng.random((n, dim))
            x, jac = np.empty_like(y), np.empty(n)
            grid.map(y, x, jac)
            found = self.objective.points(x)
            log_like = log_likelihoods(found)
            log_weight = log_like + np.log(jac)  # the integrand over the map's y-space
            self.samples.append((x, log_weight - math.log(n)))
            top = np.max(log_weight)
            if math.isfinite(top):
                scaled = np.exp(log_weight - top)
                self.estimates.append((top + math.log(scaled.mean()), scaled.var() / n / scaled.mean() ** 2))
                grid.add_training_data(y, scaled ** 2)
                grid.adapt(alpha=ADAPTATION)
            self.table.write_rows([[p.id, *(p.variables[v] for v in self.space.names),
                                    *(p.observables[o] for o in self.config.observables), float(ll),
                                    float(lw - math.log(n)), iteration]
                                   for p, ll, lw in zip(found, log_like, log_weight)])
            iteration += 1
        self.objective.require_valid("Vegas")

    def postprocess(self) -> None:
        """The iterations' evidence estimates, combined with weights 1/variance (as vegas does)."""
        usable = [(log_z, var) for log_z, var in self.estimates if var > 0]
        if not usable:
            return
        top = max(log_z for log_z, _ in usable)
        values = np.array([math.exp(log_z - top) for log_z, _ in usable])
        variances = np.array([var for _, var in usable]) * values ** 2
        mean = float(np.sum(values / variances) / np.sum(1 / variances))
        error = float(math.sqrt(1 / np.sum(1 / variances)))
        unit = np.vstack([x for x, _ in self.samples])
        log_weight = np.concatenate([w for _, w in self.samples])
        weight = np.exp(log_weight - np.max(log_weight))
        values = self.space.to_physical(unit)[:, self.space.free_index]
        mean_point = np.average(values, axis=0, weights=weight)
        sd = np.sqrt(np.average((values - mean_point) ** 2, axis=0, weights=weight))
        names = [v.name for v in self.space.free]
        self.result.update(chain_files="Results/Vegas_samples.csv", iterations=len(self.estimates),
                           log_evidence=round(float(top) + math.log(mean), 5),
                           log_evidence_error=round(error / mean, 5),
                           posterior_mean=dict(zip(names, mean_point.round(8).tolist())),
                           posterior_sd=dict(zip(names, sd.round(8).tolist())))
