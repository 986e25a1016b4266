"""CMAES: BSMArt's best-fit search by the covariance-matrix adaptation evolution strategy, run by
cma (pycma) on the unit cube of the variables: it minimises the NLL, one generation a parallel
batch, and restarts from a new random mean once converged, for ``CMAESEpisodes`` episodes or
until ``Points`` evaluations. The summary gives the best fit."""

from __future__ import annotations

import math
from typing import Iterable

import cma
import numpy as np

from bsmart.scans._objective import BudgetSpent, UnitObjective, nlls, library_run
from bsmart.scans.base import SAMPLE_SETTINGS, Scan
from bsmart.settings import Setting

__meta__ = {
    "name": "CMAES",
    "description": "CMA-ES (pycma): find the best fit (lowest NLL), with restarts.",
    "settings": {
        "Points": Setting(10_000, int, "evaluations in all", minimum=1),
        "CMAESEpisodes": Setting(1, int, "runs of CMA-ES, each from a new random mean", minimum=1),
        "CMAESPopulationSize": Setting(None, int, "points per generation; default: cma's 4 + 3 ln(variables)",
                                       minimum=2, maximum=1_000_000),
        "CMAESMaxGenerations": Setting(None, int, "generations per episode; default: until converged", minimum=1),
        "CMAESMean": Setting(None, float, "the first mean, the same for every variable (0-1 of its range); "
                                          "default: random, or the Initial Sample's best point", minimum=0,
                             maximum=1),
        "CMAESSigma": Setting(None, float, "the first step size (of the ranges); default 1/sqrt(variables)",
                              minimum=1e-12, maximum=10),
        "Sigma Tolerance": Setting(1e-4, float, "an episode has converged when its steps are below this",
                                   minimum=0),
        "CMAES MaxLoss": Setting(None, float, "the NLL given to failed points; default: the capped maximum loss",
                                 minimum=0),
        **SAMPLE_SETTINGS,
    },
}


class NewScan(Scan):
    def initialise(self) -> None:
        self.objective = UnitObjective(self, budget=self.settings.points)
        sample = self.initial_sample()
        self.first_mean = sample[0][np.argmin(sample[1])] if sample else None
        self.episodes: list[dict] = []

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.settings.points, "evaluations"

    def _fitness(self, unit: np.ndarray) -> np.ndarray:
        found = self.objective.points(unit)
        values = nlls(found)
        if self.settings.cmaes_maxloss is not None:
            values = np.array([v if p is not None and p.valid else self.settings.cmaes_maxloss
                               for v, p in zip(values, found)])
        return values

    def _mean(self, episode: int, dim: int) -> np.ndarray:
        if self.settings.cmaesmean is not None:
            return np.full(dim, self.settings.cmaesmean)
        if episode == 0 and self.first_mean is not None:
            return self.first_mean
        return self.rng.random(dim)

    def _options(self) -> dict:
        options = {"bounds": [0.0, 1.0], "verbose": -9, "tolx": self.settings.sigma_tolerance, "seed": math.nan}
        if self.settings.cmaespopulationsize:
            options["popsize"] = self.settings.cmaespopulationsize
        if self.settings.cmaesmaxgenerations:
            options["maxiter"] = self.settings.cmaesmaxgenerations
        return options

    def _episodes(self) -> Iterable[int]:
        return range(self.settings.cmaesepisodes)

    def _finished(self) -> bool:
        """Whether the scan has reached its goal (CMAES: never; it runs its episodes)."""
        return False

    def run(self) -> None:
        dim = len(self.space.free)
        sigma = self.settings.cmaessigma or 1.0 / math.sqrt(dim)
        name = self.__module__.rsplit(".", 1)[-1]
        with library_run(self.rng):  # cma draws from numpy's global generator
            try:
                for episode in self._episodes():
                    strategy = cma.CMAEvolutionStrategy(self._mean(episode, dim), sigma, self._options())
                    while not strategy.stop() and not self._finished():
                        population = strategy.ask()
                        strategy.tell(population, self._fitness(np.array(population)).tolist())
                    stop = ", ".join(strategy.stop()) or "goal reached"
                    self.episodes.append({"generations": strategy.countiter, "stop": stop,
                                          "best_nll": round(float(strategy.result.fbest), 8)})
                    self.log.info("%s: episode %d ended after %d generations (%s), best fitness %.6g", name,
                                  episode + 1, strategy.countiter, stop, strategy.result.fbest)
            except BudgetSpent:
                self.log.info("%s: the %d evaluations of Points are used up", name, self.settings.points)
        self.objective.require_valid(name)

    def postprocess(self) -> None:
        self.result.update(episodes=self.episodes, **self.objective.best_fit())
