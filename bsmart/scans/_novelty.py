"""The novelty penalties of CMAES_ND: how alike a good point is to the good points found so far
(1: just like them, 0: new), so that the search is pushed to new parts of the good region."""

from __future__ import annotations

import numpy as np


class HBOS:
    """Histogram-based outlier score (Goldstein & Dengel 2012, as pyod's HBOS): per column a
    histogram of the training rows; a row's score is the sum of -log of its bins' densities.
    ``inlier_probability`` scales scores linearly between the training rows' lowest and highest."""

    def __init__(self, n_bins: int = 100):
        self.n_bins = n_bins

    def fit(self, rows: np.ndarray) -> HBOS:
        self.edges = [np.histogram_bin_edges(column, bins=self.n_bins) for column in rows.T]
        self.log_density = [np.log(np.histogram(column, bins=edges, density=True)[0] + 1e-12)
                            for column, edges in zip(rows.T, self.edges)]
        scores = self._scores(rows)
        self.low, self.high = scores.min(), scores.max()
        return self

    def _scores(self, rows: np.ndarray) -> np.ndarray:
        score = np.zeros(len(rows))
        for column, edges, log_density in zip(rows.T, self.edges, self.log_density):
            inside = (column >= edges[0]) & (column <= edges[-1])
            bins = np.clip(np.searchsorted(edges, column, side="right") - 1, 0, len(log_density) - 1)
            score -= np.where(inside, log_density[bins], log_density.min() - 1.0)  # outside: rarer than any bin
        return score

    def inlier_probability(self, rows: np.ndarray) -> np.ndarray:
        span = self.high - self.low
        outlier = (self._scores(rows) - self.low) / span if span > 0 else np.zeros(len(rows))
        return 1.0 - np.clip(outlier, 0.0, 1.0)


def minmax(matrix: np.ndarray) -> np.ndarray:
    low, span = matrix.min(axis=0), np.ptp(matrix, axis=0)
    return np.divide(matrix - low, span, out=np.zeros_like(matrix), where=span > 0)


def novelty_penalty(kind: str, known: np.ndarray, rows: np.ndarray, n_bins: int, direction: str | None) -> np.ndarray:
    """``HBOS``: the rows' inlier probability among the known good rows; ``Optimiser`` (BSMArt's):
    the mean sigmoid of the rows' min-max scaled columns, low values first (``direction`` "max":
    high ones)."""
    if kind == "HBOS":
        return HBOS(n_bins).fit(known).inlier_probability(rows)
    sign = -1.0 if str(direction).lower() == "max" else 1.0
    scaled = 2.0 * minmax(np.vstack([known, rows]))[len(known):] - 1.0
    return (1.0 / (1.0 + np.exp(-sign * scaled))).mean(axis=1)
