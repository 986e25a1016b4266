"""The bridge between a scan whose loop is a library's (emcee, cma, scipy, ultranest, vegas, deap)
and bsmart's run manager: the library asks for a batch of unit-cube points, the scan evaluates
them in one parallel batch, and the library gets NLLs or log-likelihoods back."""

from __future__ import annotations

import contextlib
import math
import random
from typing import Any, Iterator

import numpy as np

from bsmart.errors import ScanError
from bsmart.likelihood import log_likelihood
from bsmart.points import EvaluatedPoint


class BudgetSpent(Exception):
    """The scan's evaluations are used up: raised inside the library's loop to leave it."""


class UnitObjective:
    """Unit-cube points -> evaluated points, one batch a call. Points outside the cube are not
    evaluated (no code runs for a proposal the prior excludes). A call once the budget is spent,
    or one that would pass it, raises :class:`BudgetSpent` (the latter after evaluating what
    fits), so that a run never exceeds its budget."""

    def __init__(self, scan, budget: int):
        self.scan, self.budget, self.batches = scan, budget, 0
        self.best: EvaluatedPoint | None = None  # the valid point of lowest NLL so far

    @property
    def left(self) -> int:
        return self.budget - self.scan.runner.evaluated

    def points(self, unit: np.ndarray) -> list[EvaluatedPoint | None]:
        unit = np.atleast_2d(np.asarray(unit, dtype=float))
        inside = np.flatnonzero(np.all((unit >= 0.0) & (unit <= 1.0), axis=1))
        if self.left <= 0:
            raise BudgetSpent
        cut = len(inside) > self.left
        inside = inside[:self.left]
        found: list[EvaluatedPoint | None] = [None] * len(unit)
        if len(inside):
            for i, point in zip(inside, self.scan.evaluate(self.scan.space.to_physical(unit[inside]), self.batches)):
                found[i] = point
                if point.valid and (self.best is None or point.nll < self.best.nll):
                    self.best = point
            self.batches += 1
        if cut:
            raise BudgetSpent
        return found


    def require_valid(self, scan: str) -> None:
        """A scan's end when the library's loop found no valid point: one line, not an empty result."""
        if self.best is None:
            runner = self.scan.runner
            reasons = "; ".join(f"{n}x {why}" for why, n in runner.failures.most_common(3))
            raise ScanError(f"{scan}: none of the {runner.evaluated} points evaluated was valid: {reasons} (details "
                            f"in the error column of all_points.csv)")

    def best_fit(self) -> dict[str, Any]:
        """The summary's lines on the best point (none while no point is valid)."""
        if self.best is None:
            return {}
        return {"best_id": self.best.id, "best_nll": round(self.best.nll, 8), "best_point": dict(self.best.variables)}


@contextlib.contextmanager
def library_run(rng: np.random.Generator) -> Iterator[None]:
    """Around a library's loop: numpy's and Python's global generators seeded from the scan's (cma,
    UltraNest and DEAP draw from them, and a resumed run must draw the same), then given back;
    numpy's warnings on infinities silenced (a point the prior or the codes exclude has log-
    likelihood -inf by design, which the libraries handle)."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    np.random.seed(int(rng.integers(2 ** 32)))
    random.seed(int(rng.integers(2 ** 63)))
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            yield
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def nlls(points: list[EvaluatedPoint | None]) -> np.ndarray:
    """For optimisers: a failed point has the capped NLL of a point that misses everything, one
    outside the cube (None) infinity."""
    return np.array([math.inf if p is None else p.nll for p in points])


def log_likelihoods(points: list[EvaluatedPoint | None]) -> np.ndarray:
    """For samplers: the log of the likelihood, minus infinity where the prior or the codes
    exclude the point (outside the cube, failed)."""
    return np.array([-math.inf if p is None or not p.valid else log_likelihood(p.losses) for p in points])
