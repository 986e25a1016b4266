"""BSMArt's ``Fitting`` block: nuisance variables profiled at every point.

For each point the ``Fitting.Variables`` are solved for so that the ``Fitting.Observables`` hit
their ``TARGET`` (within ``VARIANCE``); the codes then run once more at the fitted values, which
are stored as columns after the variables. As in BSMArt:

- one variable and one observable (``Method`` absent or ``Brentq``): the root of
  ``(value - TARGET) / VARIANCE`` by Brent's method in the variable's RANGE; when the ends do not
  bracket it, the range is cut into steps of ``eps`` (option, default 0.05) of its width and the
  first bracket is used; with none, the value closest to the target;
- otherwise (``Minimise``, or a scipy method name): ``scipy.optimize.minimize`` of the mean
  chi-square over the variables mapped onto their ranges by an arctangent, from the middle.

``Options`` are passed to the solver (``ftol``: Brent's relative tolerance, ``eps``, ``disp``,
or scipy's options); strings such as ``"False"`` or ``"0.1"`` are read as values, never run.
A point for which no trial can be evaluated is invalid, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from bsmart.errors import CodeError, ConfigError
from bsmart.settings import parse_float

# scipy.optimize.minimize's methods that need no derivative from the caller
SCIPY_METHODS = {m.lower(): m for m in ("Nelder-Mead", "Powell", "CG", "BFGS", "L-BFGS-B", "TNC", "COBYLA", "COBYQA",
                                        "SLSQP", "trust-constr")}
Trial = Callable[[dict[str, float]], list[float]]  # fitted variables -> the targets' values (CodeError: failed)


def _option(value: Any) -> Any:
    """An Options value as BSMArt's eval gave it, for the literals its files use."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        try:
            return int(text) if text.lstrip("+-").isdigit() else float(text)
        except ValueError:
            return text
    return value


@dataclass(frozen=True)
class Fitting:
    variables: tuple[tuple[str, float, float], ...]  # (name, lower, upper)
    targets: tuple[tuple[str, float, float], ...]  # (observable, TARGET, VARIANCE)
    method: str | None = None  # None: Brent for one variable and one observable, else scipy's default
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: Any, file: str, taken: set[str]) -> "Fitting":
        where = "Fitting"
        if not isinstance(spec, dict):
            raise ConfigError("must be a JSON object", file=file, where=where)
        variables, targets = [], []
        for name, var in (spec.get("Variables") or {}).items():
            at = f"{where}.Variables.{name}"
            if name in taken:
                raise ConfigError("is already a variable or derived variable", file=file, where=at)
            bounds = var.get("RANGE") if isinstance(var, dict) else None
            if not isinstance(bounds, list) or len(bounds) != 2:
                raise ConfigError("needs \"RANGE\": [lower, upper]", file=file, where=at)
            lo, hi = sorted(parse_float(b, f"{at}.RANGE", file) for b in bounds)
            if lo == hi:
                raise ConfigError("RANGE has zero width: nothing to fit", file=file, where=at)
            variables.append((str(name), lo, hi))
        for name, obs in (spec.get("Observables") or {}).items():
            at = f"{where}.Observables.{name}"
            if not isinstance(obs, dict) or "TARGET" not in obs:
                raise ConfigError("needs \"TARGET\" (and \"VARIANCE\")", file=file, where=at)
            sigma = parse_float(obs.get("VARIANCE", 1.0), f"{at}.VARIANCE", file)
            if sigma <= 0:
                raise ConfigError("VARIANCE must be positive", file=file, where=at)
            targets.append((str(name), parse_float(obs["TARGET"], f"{at}.TARGET", file), sigma))
        if not variables or not targets:
            raise ConfigError("needs Variables and Observables (BSMArt stops without them too)", file=file,
                              where=where)
        options = spec.get("Options") or {}
        if not isinstance(options, dict):
            raise ConfigError("must be a JSON object", file=file, where=f"{where}.Options")
        if "Overloads" in options:
            raise ConfigError("Overloads (changing template entries while fitting) is not supported yet",
                              file=file, where=f"{where}.Options.Overloads")
        method = spec.get("Method")
        if method not in (None, "Minimise", "Brentq") and str(method).lower() not in SCIPY_METHODS:
            raise ConfigError(f"'{method}' is not Brentq, Minimise or one of scipy's minimize methods "
                              f"{sorted(SCIPY_METHODS.values())}", file=file, where=f"{where}.Method")
        if method is not None and str(method).lower() in SCIPY_METHODS:
            method = SCIPY_METHODS[str(method).lower()]
        return cls(tuple(variables), tuple(targets), None if method in (None, "Minimise") else str(method),
                   {str(k): _option(v) for k, v in options.items()})

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self.variables]

    @property
    def observables(self) -> set[str]:
        return {name for name, _, _ in self.targets}

    @property
    def brent(self) -> bool:
        return len(self.variables) == len(self.targets) == 1 and self.method in (None, "Brentq")

    def solve(self, trial: Trial) -> dict[str, float]:
        """The fitted variables of one point; CodeError when no trial could be evaluated."""
        solution = self._brent(trial) if self.brent else self._minimise(trial)
        return dict(zip(self.names, solution))

    def _pulls(self, trial: Trial, x: Sequence[float]) -> np.ndarray | None:
        try:
            values = trial(dict(zip(self.names, (float(v) for v in x))))
        except CodeError:
            return None  # this trial failed: BSMArt scores it as unusable, so do we
        pulls = np.array([(v - t) / s for v, (_, t, s) in zip(values, self.targets)], dtype=float)
        return pulls if np.isfinite(pulls).all() else None

    def _brent(self, trial: Trial) -> list[float]:
        _, lo, hi = self.variables[0]
        pulls: dict[float, float | None] = {}  # every trial made: Brent starts from the bracket's ends

        def pull(x: float) -> float | None:
            if x not in pulls:
                p = self._pulls(trial, [x])
                pulls[x] = None if p is None else float(p[0])
            return pulls[x]

        f_lo, f_hi = pull(lo), pull(hi)
        if f_lo is not None and f_hi is not None and f_lo * f_hi < 0:  # the usual case: no scan needed
            return [self._root(pull, lo, hi)]
        steps = max(1, math.ceil(1.0 / max(float(self.options.get("eps", 0.05)), 1e-6)))
        for x in np.linspace(lo, hi, steps + 1)[1:-1]:
            pull(float(x))
        known = sorted((x, p) for x, p in pulls.items() if p is not None)
        for (a, pa), (b, pb) in zip(known, known[1:]):
            if pa * pb <= 0:  # the first bracket, from the lower end
                return [self._root(pull, a, b)]
        if not known:
            raise CodeError(f"Fitting: no value of {self.names[0]} in [{lo:g}, {hi:g}] could be evaluated")
        return [min(known, key=lambda xp: abs(xp[1]))[0]]  # no root: the closest to the target (BSMArt)

    def _root(self, pull: Callable[[float], float | None], a: float, b: float) -> float:
        from scipy.optimize import brentq

        def f(x: float) -> float:
            p = pull(x)
            if p is None:
                raise CodeError(f"Fitting: {self.names[0]} = {x:g} could not be evaluated inside the bracket")
            return p
        try:
            return float(brentq(f, a, b, rtol=max(float(self.options.get("ftol", 0.1)), 4 * np.finfo(float).eps)))
        except (ValueError, RuntimeError) as exc:
            raise CodeError(f"Fitting: Brent's method failed for {self.names[0]}: {exc}") from None

    def _minimise(self, trial: Trial) -> list[float]:
        from scipy.optimize import minimize

        centres = np.array([(lo + hi) / 2 for _, lo, hi in self.variables])
        widths = np.array([hi - lo for _, lo, hi in self.variables])

        def physical(z: np.ndarray) -> np.ndarray:  # R^k onto the ranges (BSMArt's arctangent map)
            return centres + widths * np.arctan(z) / math.pi

        def chi2(z: np.ndarray) -> float:
            p = self._pulls(trial, physical(z))
            return 1e32 if p is None else float(np.mean(p ** 2))

        options = {k: v for k, v in self.options.items() if k not in ("max_safe",)}
        try:
            result = minimize(chi2, np.zeros(len(self.variables)), method=self.method, options=options)
        except (ValueError, TypeError) as exc:
            raise CodeError(f"Fitting: scipy.optimize.minimize failed: {exc}") from None
        if not np.isfinite(result.fun) or result.fun >= 1e32:
            raise CodeError(f"Fitting: no value of {self.names} in their ranges could be evaluated")
        return [float(v) for v in physical(result.x)]
