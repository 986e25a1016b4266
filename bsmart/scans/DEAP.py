"""DEAP: BSMArt's genetic algorithm, run by DEAP, with its keys in ``Setup.DEAP``. Each generation
varies the population (BSMArt's crossover and mutation rates, with DEAP's bounded operators so
that no child leaves the ranges) and evaluates the changed children in one parallel batch. By
default every used observable's loss is its own objective and NSGA-II keeps the best trade-offs
(``Global Only``: the total NLL, by tournament, the best point always kept); parents compete
with their children."""

from __future__ import annotations

import math

import numpy as np
from deap import algorithms, base, tools

from bsmart.scans._objective import BudgetSpent, UnitObjective, library_run
from bsmart.scans.base import Scan
from bsmart.settings import Setting

CROSSOVER, MUTATION = 0.4, 0.05  # BSMArt's probabilities for a child
CROWDING = 20.0  # DEAP's eta: children near their parents

__meta__ = {
    "name": "DEAP",
    "description": "Genetic algorithm (DEAP): good trade-offs between the observables, or the best fit.",
    "settings": {
        "Points": Setting(10_000, int, "stop after this many evaluations", minimum=1),
        "Population Size": Setting(None, int, "the population; default: the larger of 10 and Cores", minimum=4,
                                   maximum=1_000_000, block="Setup.DEAP"),
        "Generations": Setting(40, int, "generations", minimum=1, block="Setup.DEAP"),
        "Global Only": Setting(False, bool, "one objective, the total NLL, instead of one per used observable",
                               block="Setup.DEAP"),
    },
}


class _Individual(list):
    """A point of the unit cube (free variables) with its DEAP fitness."""

    def __init__(self, values, fitness: base.Fitness):
        super().__init__(values)
        self.fitness = fitness


class NewScan(Scan):
    def initialise(self) -> None:
        self.size = self.settings.population_size or max(10, self.config.cores)
        self.objective = UnitObjective(self, budget=self.settings.points)
        used = [name for name, o in self.config.observables.items() if o.used]
        self.objectives = 1 if self.settings.global_only or len(used) < 2 else len(used)
        self.fitness = type("Fitness", (base.Fitness,), {"weights": (-1.0,) * self.objectives})
        self.generations = 0

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.settings.points, "evaluations"

    def _evaluate(self, individuals: list[_Individual]) -> None:
        """Evaluate the individuals without a fitness, in one batch."""
        todo = [ind for ind in individuals if not ind.fitness.valid]
        if not todo:
            return
        for ind, point in zip(todo, self.objective.points(np.array(todo))):
            if point is None:  # not evaluated: the bounded operators keep children in the ranges
                ind.fitness.values = (math.inf,) * self.objectives
                continue
            losses = [point.nll] if self.objectives == 1 else list(point.losses.values())
            ind.fitness.values = tuple(math.inf if math.isnan(v) else v for v in losses)

    def run(self) -> None:
        dim = len(self.space.free)
        toolbox = base.Toolbox()
        toolbox.register("mate", tools.cxSimulatedBinaryBounded, eta=CROWDING, low=0.0, up=1.0)
        toolbox.register("mutate", tools.mutPolynomialBounded, eta=CROWDING, low=0.0, up=1.0,
                         indpb=1.0 / math.sqrt(dim))
        select = tools.selNSGA2 if self.objectives > 1 else \
            lambda pop, k: tools.selBest(pop, 1) + tools.selTournament(pop, k - 1, tournsize=3)
        population = [_Individual(u, self.fitness()) for u in self.space.sample_unit(self.rng, self.size)]
        with library_run(self.rng):  # DEAP's operators draw from Python's global generator
            try:
                self._evaluate(population)
                for self.generations in range(1, self.settings.generations + 1):
                    offspring = algorithms.varAnd(population, toolbox, cxpb=CROSSOVER, mutpb=MUTATION)
                    self._evaluate(offspring)
                    population = select(population + offspring, self.size)
            except BudgetSpent:
                self.log.info("DEAP: the %d evaluations of Points are used up", self.settings.points)
        self.objective.require_valid("DEAP")

    def postprocess(self) -> None:
        self.result.update(generations=self.generations, objectives=self.objectives, **self.objective.best_fit())
