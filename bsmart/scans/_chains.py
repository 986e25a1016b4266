"""What the sampling scans share: where chains start, the weighted states a chain writes, and
the statistics of the sample they make (means, widths, Gelman-Rubin R-hat)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from bsmart.points import EvaluatedPoint

def spread_starts(unit: np.ndarray, nll: np.ndarray, n: int, best_fraction: float = 0.1) -> np.ndarray:
    """``n`` starting points from a scored sample (unit-cube rows): the best point, then, among the
    best tenth (at least ``n`` points), each time the one farthest from those already chosen, so
    that chains start in every good part of the region, not all at its best point."""
    order = np.argsort(nll, kind="stable")
    pool = unit[order[:max(n, math.ceil(best_fraction * len(order)))]]
    chosen = [0]
    distance = np.linalg.norm(pool - pool[0], axis=1)
    while len(chosen) < min(n, len(pool)):
        chosen.append(int(np.argmax(distance)))
        distance = np.minimum(distance, np.linalg.norm(pool - pool[chosen[-1]], axis=1))
    return pool[chosen]


@dataclass
class ChainState:
    """Where one chain stands, and how many steps it has stayed there (its weight)."""

    index: int
    unit: np.ndarray | None = None
    log_likelihood: float = -math.inf
    point: EvaluatedPoint | None = None
    weight: int = 0
    accepted: int = 0  # states taken, the start included
    steps: int = 0
    history: list[tuple[np.ndarray, int]] = field(default_factory=list)  # (free variables, weight)

    def move(self, unit: np.ndarray, point: EvaluatedPoint, log_likelihood: float) \
            -> tuple[EvaluatedPoint, float, int] | None:
        """Take a new state; returns the state left behind (point, log-likelihood, weight), if any."""
        left = self.leave() if self.point is not None else None
        self.unit, self.point, self.log_likelihood, self.weight = unit, point, log_likelihood, 1
        self.accepted += 1
        return left

    def leave(self) -> tuple[EvaluatedPoint, float, int]:
        """The current state with its weight so far, recorded in the history (a move, or the end)."""
        self.history.append((self.unit, self.weight))
        return self.point, self.log_likelihood, self.weight


def chain_row(point: EvaluatedPoint, names: Sequence[str], observables: Sequence[str], log_likelihood: float,
              weight: int) -> list[Any]:
    """A row of BSMArt's chain files (``ID, variables, observables, Likelihood``) with the log of
    the likelihood (the likelihood underflows far from the data) and the state's weight."""
    return [point.id, *(point.variables[n] for n in names), *(point.observables.get(o, math.nan) for o in observables),
            math.exp(log_likelihood), log_likelihood, weight]


def sample_statistics(chains: Sequence[ChainState], names: Sequence[str], to_physical) -> dict[str, Any]:
    """Weighted mean and standard deviation of each free variable over all chains, and the
    Gelman-Rubin R-hat (near 1 when the chains agree) where two or more chains have moved."""
    parts = [(to_physical(np.array([u for u, _ in c.history])), np.array([w for _, w in c.history], float))
             for c in chains if c.history]
    if not parts:
        return {}
    values, weights = np.vstack([v for v, _ in parts]), np.concatenate([w for _, w in parts])
    mean = np.average(values, axis=0, weights=weights)
    sd = np.sqrt(np.average((values - mean) ** 2, axis=0, weights=weights))
    stats: dict[str, Any] = {"posterior_mean": dict(zip(names, mean.round(8).tolist())),
                             "posterior_sd": dict(zip(names, sd.round(8).tolist()))}
    moved = [(v, w) for v, w in parts if w.sum() > 1]
    if len(moved) >= 2:
        means = np.array([np.average(v, axis=0, weights=w) for v, w in moved])
        within = np.mean([np.average((v - m) ** 2, axis=0, weights=w) for (v, w), m in zip(moved, means)], axis=0)
        length = np.mean([w.sum() for _, w in moved])
        pooled = (length - 1) / length * within + means.var(axis=0, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            rhat = np.sqrt(pooled / within)
        stats["r_hat"] = dict(zip(names, np.where(np.isfinite(rhat), rhat, math.nan).round(4).tolist()))
    return stats
