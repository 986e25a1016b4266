"""Diver: BSMArt's differential-evolution best-fit search, run by scipy's differential_evolution
instead of the Diver library, which BSMArt loads from a path. Each generation of ``NP`` points
is one parallel batch; a converged population (a "civilisation") is followed by a new random
one, up to ``Max Civilisations``. The summary gives the best fit."""

from __future__ import annotations

import warnings

from scipy.optimize import differential_evolution

from bsmart.scans._objective import BudgetSpent, UnitObjective, nlls
from bsmart.scans.base import Scan
from bsmart.settings import Setting

__meta__ = {
    "name": "Diver",
    "description": "Differential evolution (scipy): find the best fit (lowest NLL), with restarts.",
    "settings": {
        "NP": Setting(None, int, "the population; default: 10 x the free variables", minimum=5, maximum=1_000_000),
        "Number of parameters": Setting(None, int, "the same as NP (BSMArt's other name for it)", minimum=5,
                                        maximum=1_000_000),
        "Convergence Threshold": Setting(0.001, float, "a civilisation has converged when its NLLs spread less "
                                                       "than this (relative)", minimum=0),
        "Max Civilisations": Setting(10, int, "populations, each started anew once the last converged", minimum=1),
        "Max Generations": Setting(300, int, "generations per civilisation (Diver's maxgen)", minimum=1),
        "Points": Setting(None, int, "stop after this many evaluations; default: no limit but the above",
                          minimum=1),
        "Verbose": Setting(1, int, "Diver's setting; accepted, not used"),
        "DiverLib": Setting(None, str, "the Diver library's path; accepted, not needed"),
    },
}


class NewScan(Scan):
    def initialise(self) -> None:
        dim = len(self.space.free)
        self.population = self.settings.np or self.settings.number_of_parameters or 10 * dim
        self.total = self.settings.max_civilisations * (self.settings.max_generations + 1) * self.population
        self.objective = UnitObjective(self, budget=min(self.settings.points or self.total, self.total))
        self.civilisations: list[dict] = []

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.objective.budget, "evaluations"

    def run(self) -> None:
        dim = len(self.space.free)
        try:
            for civilisation in range(self.settings.max_civilisations):
                with warnings.catch_warnings():  # scipy warns that vectorized implies updating="deferred"
                    warnings.simplefilter("ignore", UserWarning)
                    result = differential_evolution(
                        lambda x: nlls(self.objective.points(x.T)), [(0.0, 1.0)] * dim, vectorized=True,
                        updating="deferred", init=self.rng.random((self.population, dim)), polish=False,
                        maxiter=self.settings.max_generations, tol=self.settings.convergence_threshold,
                        seed=self.rng)
                self.civilisations.append({"generations": int(result.nit), "converged": bool(result.success),
                                           "best_nll": round(float(result.fun), 8)})
                self.log.info("Diver: civilisation %d: %d generations, %s, best NLL %.6g", civilisation + 1,
                              result.nit, "converged" if result.success else "not converged", result.fun)
        except BudgetSpent:
            self.log.info("Diver: the %d evaluations of Points are used up", self.objective.budget)
        self.objective.require_valid("Diver")

    def postprocess(self) -> None:
        self.result.update(civilisations=self.civilisations, **self.objective.best_fit())
