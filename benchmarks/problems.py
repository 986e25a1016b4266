"""Benchmark problems: each is an input-file fragment (built-in toy targets, so it runs from an
input file too) plus a vectorised true NLL used for the oracle, the random-sampling rate and
the coverage reference sample."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

TEN_PI = 10 * math.pi


@dataclass
class Problem:
    name: str
    lower: np.ndarray
    upper: np.ndarray
    observables: dict[str, Any]  # the toy_targets code's Observables block
    threshold: float
    true_nll: Callable[[np.ndarray], np.ndarray]  # [n, d] physical -> NLL (inf where the code fails)
    reference: Callable[[np.random.Generator, int], np.ndarray] | None = None  # direct sampler of good points
    note: str = ""
    code_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return len(self.lower)

    def input_blocks(self) -> dict[str, Any]:
        variables = {f"x{i + 1}": {"RANGE": [float(lo), float(hi)]} for i, (lo, hi) in
                     enumerate(zip(self.lower, self.upper))}
        return {"Variables": variables,
                "Codes": {"toy_targets": {"Run": True, "Observables": self.observables, **self.code_settings}}}

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        return (x - self.lower) / (self.upper - self.lower)

    def uniform(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.lower + rng.random((n, self.dim)) * (self.upper - self.lower)

    def good_sample(self, rng: np.random.Generator, n: int, max_draws: int = 20_000_000) -> tuple[np.ndarray, float]:
        """n true good points and the random-sampling hit rate (measured on the draws made)."""
        draws, hits, found = 0, 0, []
        while hits < n and draws < max_draws:
            x = self.uniform(rng, 500_000)
            good = self.true_nll(x) < self.threshold
            draws += len(x)
            hits += int(good.sum())
            found.append(x[good])
        rate = hits / draws
        if self.reference is not None and hits < n:
            sample = np.empty((0, self.dim))
            while len(sample) < n:
                sample = np.vstack([sample, self.reference(rng, n)])
            return sample[:n], rate
        return np.vstack(found)[:n], rate


def gauss_nll(value: np.ndarray, mean: float, sigma: float) -> np.ndarray:
    nll = (value - mean) ** 2 / (2 * sigma ** 2)
    return np.where(np.isfinite(value), nll, np.inf)


def f2d(x: np.ndarray) -> np.ndarray:
    return (2 + np.cos(x[:, 0] / 5) * np.cos(x[:, 1] / 7)) ** 5


def f3d(x: np.ndarray) -> np.ndarray:
    return (2 + np.cos(x[:, 0] / 7) * np.cos(x[:, 1] / 7) * np.cos(x[:, 2] / 7)) ** 5


def f3d_invalid(x: np.ndarray, fraction: float = 0.3) -> np.ndarray:
    failed = np.sin(x[:, 0] / 7 + x[:, 1] / 11) > math.cos(math.pi * fraction)
    return np.where(failed, np.nan, f3d(x))


def shell_sampler(dim: int, radius: float, sigma: float, centers: list[np.ndarray]):
    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        direction = rng.normal(size=(n, dim))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        # |r - R| < sigma * sqrt(2 * threshold), density ~ r^(d-1) (nearly flat for a thin shell)
        r = radius + sigma * rng.uniform(-1, 1, n)
        which = rng.integers(0, len(centers), n)
        points = np.array(centers)[which] + direction * r[:, None]
        return points[np.all(np.abs(points) <= 1, axis=1)]  # the part of the shell inside the box
    return sample


def band_offset(x: np.ndarray) -> np.ndarray:
    """bsmart.codes.toy_targets.band_offset, vectorised."""
    t = np.sqrt(3 / (x.shape[1] - 1)) * x[:, 1:].sum(axis=1)
    return x[:, 0] - 0.5 * np.sin(2 * t)


def band_sampler(dim: int, sigma: float):
    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        points = rng.uniform(-1, 1, (n, dim))
        # band_offset = x1 - centre(t): set x1 to the centre, then within sigma of it
        points[:, 0] = -band_offset(np.c_[np.zeros(n), points[:, 1:]]) + sigma * rng.uniform(-1, 1, n)
        return points
    return sample


# |F - 100| < 9.18 <=> (F-100)^2 / (2 * 20^2) < 0.10535 (issue 4's target)
F_THRESHOLD = 9.18 ** 2 / (2 * 20 ** 2)


def problems() -> dict[str, Problem]:
    f_obs = {"MEAN": 100, "VARIANCE": 20}
    shell = {}
    # radius and width chosen so that random sampling hits about 2e-3 (5d), 3e-4 (10d), 1e-4 (20d)
    for dim, radius, sigma in ((5, 0.5, 0.02), (10, 0.8, 0.05), (20, 1.5, 0.05)):
        shell[f"shell{dim}d"] = Problem(
            f"shell{dim}d", -np.ones(dim), np.ones(dim),
            {"Shell": {"MEAN": radius, "VARIANCE": sigma}}, 0.5,
            lambda x, r=radius, s=sigma: gauss_nll(np.linalg.norm(x, axis=1), r, s),
            shell_sampler(dim, radius, sigma, [np.zeros(dim)]),
            note=f"thin shell |x| = {radius} +- {sigma} (good: NLL < 0.5) in [-1, 1]^{dim}")
    two = Problem(
        "two_shells5d", -np.ones(5), np.ones(5), {"TwoShell": {"MEAN": 0, "VARIANCE": 0.02}}, 0.5,
        lambda x: gauss_nll(np.minimum(np.abs(np.linalg.norm(x - [-0.5, 0, 0, 0, 0], axis=1) - 0.3),
                                       np.abs(np.linalg.norm(x - [0.5, 0, 0, 0, 0], axis=1) - 0.3)), 0.0, 0.02),
        shell_sampler(5, 0.3, 0.02, [np.array([-0.5, 0, 0, 0, 0]), np.array([0.5, 0, 0, 0, 0])]),
        note="two disjoint shells of radius 0.3 +- 0.02 around (+-0.5, 0, 0, 0, 0) in [-1, 1]^5")
    band = Problem(
        "band30d", -np.ones(30), np.ones(30), {"Band": {"MEAN": 0, "VARIANCE": 0.003}}, 0.5,
        lambda x: gauss_nll(band_offset(x), 0.0, 0.003), band_sampler(30, 0.003),
        note="thin curved band x1 = 0.5 sin(2t) +- 0.003, t = sqrt(3/29) (x2 + ... + x30), in [-1, 1]^30")
    return {
        "F2d": Problem("F2d", np.zeros(2), np.full(2, TEN_PI), {"F2d": f_obs}, F_THRESHOLD,
                       lambda x: gauss_nll(f2d(x), 100, 20), note="[0, 10pi]^2, |F-100| < 9.18"),
        "F3d": Problem("F3d", np.full(3, -TEN_PI), np.full(3, TEN_PI), {"F3d": f_obs}, F_THRESHOLD,
                       lambda x: gauss_nll(f3d(x), 100, 20), note="[-10pi, 10pi]^3, |F-100| < 9.18"),
        "F3d_invalid": Problem("F3d_invalid", np.full(3, -TEN_PI), np.full(3, TEN_PI), {"F3dInvalid": f_obs},
                               F_THRESHOLD, lambda x: gauss_nll(f3d_invalid(x), 100, 20),
                               note="F3d where the code fails (NaN) on 30% of the box"),
        **shell,
        "two_shells5d": two,
        "band30d": band,
    }
