"""Observables' likelihoods: SCALING types -> log-likelihood -> capped loss -> total NLL.

The formulas are listed in docs/likelihoods.md. Each observable contributes
``loss = -M * expm1(LL / M)`` (about ``-LL`` for small ``|LL|``, smoothly saturating at
``M = log(DBL_MAX) + 1 ~ 710.78``); a missing, NaN or infinite value contributes exactly ``M``.
The point's NLL is the sum of the losses. What a failed point weighs (``failed_nll``) and which
points are good (``is_good``) are defined here once, for the evaluator, the scans and InitCSV.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from bsmart.expr import Expression

MAX_LOSS = math.log(sys.float_info.max) + 1.0  # 710.78...

SCALINGS = (
    "GAUSS", "OFF", "UPPER", "LOWER", "BIAS", "USER", "SIGUSER", "EXPUSER", "MINUSEXPUSER", "LOGUSER",
    "LOG", "CFUNCTION", "CUT",
)


@dataclass(frozen=True)
class Observable:
    """One observable: where its value comes from and how it enters the likelihood."""

    name: str
    scaling: str = "OFF"
    mean: float | None = None
    sigma: float | None = None  # BSMArt's "VARIANCE" key is used as a standard deviation
    lower_bound: float | None = None
    upper_bound: float | None = None
    log_scaling: bool = False
    slha: tuple[str, tuple[int, ...]] | None = None  # (BLOCK, (i, j, ...))
    function: Expression | None = None
    valid: tuple[float, float] | None = None  # point invalid outside [lo, hi]
    code: str | None = None  # the code that declared it (None = global)

    @property
    def used(self) -> bool:
        return self.scaling != "OFF"

    def log_likelihood(self, x: float) -> float:
        """Log-likelihood of value ``x``; NaN when it cannot be computed."""
        try:
            x = float(x)
        except (TypeError, ValueError):
            return math.nan
        if not math.isfinite(x):
            return math.nan
        s, m = self.scaling, self.mean
        try:
            if s == "GAUSS":
                return -((x - m) ** 2) / (2.0 * self.sigma ** 2)
            if s == "UPPER":  # x should stay below m
                return _log_sigmoid((m - x) / self.sigma)
            if s == "LOWER":  # x should stay above m
                return _log_sigmoid((x - m) / self.sigma)
            if s == "BIAS":
                return self.sigma * math.log(x / m)
            if s == "USER":  # x is a likelihood or p-value
                return math.log(x) if x > 0 else math.nan
            if s == "SIGUSER":
                return _log_sigmoid(x)
            if s == "EXPUSER":  # x is already a log-likelihood
                return x
            if s in ("MINUSEXPUSER", "LOGUSER"):  # x is a negative log-likelihood
                return -x
            if s == "LOG":  # Lorentzian-like: L = 1 / (1 + (x-m)^2 / (2 s^2))
                return -math.log1p((x - m) ** 2 / (2.0 * self.sigma ** 2))
            if s == "CFUNCTION":
                return self._cfunction(x)
            if s == "CUT":  # BSMArt's AL cuts: allowed inside [LOWER_BOUND, UPPER_BOUND], excluded outside
                inside = (self.lower_bound is None or x >= self.lower_bound) and \
                    (self.upper_bound is None or x <= self.upper_bound)
                return 0.0 if inside else -math.inf
        except (ValueError, ZeroDivisionError, OverflowError):
            return math.nan
        return 0.0  # OFF

    def _cfunction(self, x: float) -> float:
        """-log10(1 + d), with d the distance outside [lo, hi] (optionally in log space)."""
        lo = self.lower_bound if self.lower_bound is not None else (
            self.mean - self.sigma if self.mean is not None and self.sigma is not None else -math.inf)
        hi = self.upper_bound if self.upper_bound is not None else (
            self.mean + self.sigma if self.mean is not None and self.sigma is not None else math.inf)
        if self.log_scaling:
            x = math.log(x)
            lo = math.log(lo) if lo > 0 else -math.inf
            hi = math.log(hi) if hi > 0 else (math.inf if hi == math.inf else -math.inf)
        distance = max(lo - x, x - hi, 0.0)
        return -math.log10(1.0 + distance)

    def loss(self, x: float) -> float:
        return loss_from_log_likelihood(self.log_likelihood(x))

    def losses(self, x: np.ndarray, spread: np.ndarray | None = None) -> np.ndarray:
        """``loss`` of each value, computed as arrays for the common scalings: the MLScanner
        scores some 100 000 predicted values a batch, and a call per value was most of it.

        ``spread``: each value is known only to within a Gaussian of this standard deviation (a
        model's error on the values it predicts). GAUSS then gives the loss of its likelihood
        expected over that error, exactly (the width sqrt(SIGMA² + spread²), and the factor
        SIGMA / that width); LOG, UPPER and LOWER take the same width as theirs; the other
        scalings have no width and are as without."""
        x = np.asarray(x, dtype=float)
        s, m, sigma = self.scaling, self.mean, self.sigma
        with np.errstate(all="ignore"):
            widened = spread is not None and bool(sigma)
            width = np.hypot(sigma, spread) if widened else sigma
            if s == "GAUSS":
                ll = -((x - m) ** 2) / (2.0 * width ** 2) - (np.log(width / sigma) if widened else 0.0)
            elif s == "LOG":
                ll = -np.log1p((x - m) ** 2 / (2.0 * width ** 2))
            elif s in ("UPPER", "LOWER") and sigma:  # log sigmoid of (m - x) / width, or of (x - m) / width
                ll = -np.logaddexp(0.0, (x - m) / width if s == "UPPER" else (m - x) / width)
            elif s == "EXPUSER":
                ll = x
            elif s in ("MINUSEXPUSER", "LOGUSER"):
                ll = -x
            elif s == "OFF":
                ll = np.zeros_like(x)
            else:
                return np.fromiter((self.loss(v) for v in x), float, len(x))
            ll = np.where(np.isfinite(x), ll, np.nan)
            capped = -MAX_LOSS * np.expm1(np.minimum(ll, MAX_LOSS) / MAX_LOSS)
        return np.where(np.isfinite(ll), capped, MAX_LOSS)


def as_float(value: Any) -> float:
    """A value as a float; NaN (a missing value, which gets the maximum loss) when it is no number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _log_sigmoid(z: float) -> float:
    # log(1 / (1 + e^-z)) without overflow
    return -math.log1p(math.exp(-z)) if z > -30 else z - math.log1p(math.exp(z))


def loss_from_log_likelihood(ll: float) -> float:
    """Smoothly capped loss in [-M, M]; NaN or infinite log-likelihood gives M."""
    if not math.isfinite(ll):
        return MAX_LOSS
    ll = min(ll, MAX_LOSS)  # a huge positive LL would overflow expm1
    return -MAX_LOSS * math.expm1(ll / MAX_LOSS)


def losses(observables: Mapping[str, Observable], values: Mapping[str, float] | None) -> dict[str, float]:
    """Per-observable losses of the used observables; ``values=None`` means the point failed."""
    if values is None:
        return {name: MAX_LOSS for name, obs in observables.items() if obs.used}
    return {name: obs.loss(values.get(name, math.nan)) for name, obs in observables.items() if obs.used}


def total_nll(per_observable: Mapping[str, float]) -> float:
    """The NLL of an evaluated point: the sum of its observables' losses."""
    return float(sum(per_observable.values()))


def log_likelihood(per_observable: Mapping[str, float]) -> float:
    """The point's exact log-likelihood, undoing each loss's cap (-inf when one observable was
    missing): what samplers weigh points by, where the capped NLL would bend the tails."""
    total = 0.0
    for loss in per_observable.values():
        if not loss < MAX_LOSS:  # also NaN
            return -math.inf
        total += MAX_LOSS * math.log1p(-loss / MAX_LOSS)
    return total


def failed_nll(observables: Mapping[str, Observable]) -> float:
    """What a failed point weighs: the maximum loss of every used observable (M when none is
    used). No evaluated point can weigh more, so no model ranks a failure above a valid point."""
    return MAX_LOSS * max(1, sum(obs.used for obs in observables.values()))


def is_good(nll: np.ndarray | float, valid: np.ndarray | bool, threshold: float | None) -> np.ndarray | bool:
    """Good = valid, with a finite NLL below the threshold (no threshold: every valid point)."""
    nll = np.asarray(nll, dtype=float)
    good = np.asarray(valid, dtype=bool) & np.isfinite(nll)
    if threshold is not None:
        good &= nll < threshold
    return good if good.ndim else bool(good)
