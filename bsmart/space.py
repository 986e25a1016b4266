"""The parameter space: variables, priors and the map between the unit cube and physics values.

Every scan proposes points in the unit cube of the *free* variables (``FIXED`` ones are
filled in), so models see well-scaled inputs and log-uniform variables are sampled and
learned in log space.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from bsmart.errors import ConfigError

PRIORS = ("UNIFORM", "LOG", "FIXED")
CODE_DIGITS = 9  # significant digits of a value written into an SLHA template (slha.format_value)


@dataclass(frozen=True)
class Variable:
    name: str
    lower: float
    upper: float
    prior: str = "UNIFORM"
    grid: tuple[float, ...] | None = None  # explicit values for the Grid scan
    step: float | None = None  # VARIANCE: the width of a Markov-chain step (decades for LOG)

    @property
    def unit_step(self) -> float | None:
        """The step width in the unit cube (``step`` over the range, or over the decades of a LOG
        variable); None when the input gives none."""
        if self.step is None or self.fixed:
            return None
        width = math.log10(self.upper / self.lower) if self.prior == "LOG" else self.upper - self.lower
        return self.step / width

    @property
    def fixed(self) -> bool:
        return self.prior == "FIXED"

    def to_physical(self, u: np.ndarray) -> np.ndarray:
        if self.prior == "LOG":
            lo, hi = math.log(self.lower), math.log(self.upper)
            return np.exp(lo + u * (hi - lo))
        return self.lower + u * (self.upper - self.lower)

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.prior == "LOG":
            lo, hi = math.log(self.lower), math.log(self.upper)
            with np.errstate(invalid="ignore", divide="ignore"):
                return (np.log(x) - lo) / (hi - lo)
        return (x - self.lower) / (self.upper - self.lower)


class Space:
    """Ordered variables; the order is the CSV column order and ``VARIABLE[i]`` order."""

    def __init__(self, variables: Sequence[Variable]):
        if not variables:
            raise ConfigError("no variables declared", where="Variables")
        self.variables = tuple(variables)
        self.names = tuple(v.name for v in self.variables)
        self.free = tuple(v for v in self.variables if not v.fixed)
        self.free_index = np.array([i for i, v in enumerate(self.variables) if not v.fixed], dtype=int)

    @property
    def dim(self) -> int:
        """Number of free variables (the dimension models learn in)."""
        return len(self.free)

    def to_physical(self, unit: np.ndarray) -> np.ndarray:
        """Map ``[n, dim]`` unit-cube points to ``[n, len(variables)]`` physical values."""
        unit = np.atleast_2d(np.asarray(unit, dtype=float))
        out = np.empty((unit.shape[0], len(self.variables)))
        j = 0
        for i, var in enumerate(self.variables):
            if var.fixed:
                out[:, i] = var.lower
            else:
                out[:, i] = var.to_physical(unit[:, j])
                j += 1
        return out

    def to_unit(self, physical: np.ndarray) -> np.ndarray:
        physical = np.atleast_2d(np.asarray(physical, dtype=float))
        return np.column_stack([v.to_unit(physical[:, i]) for i, v in zip(self.free_index, self.free)]) \
            if self.free else np.zeros((physical.shape[0], 0))

    def sample_unit(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.random((n, self.dim))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.to_physical(self.sample_unit(rng, n))

    def contains(self, physical: np.ndarray, rtol: float = 1e-9) -> np.ndarray:
        """Which rows lie inside the declared ranges (fixed variables must match)."""
        unit = self.to_unit(physical)
        inside = np.all((unit >= -rtol) & (unit <= 1 + rtol), axis=1) if self.dim else np.ones(len(unit), bool)
        physical = np.atleast_2d(physical)
        for i, var in enumerate(self.variables):
            if var.fixed:
                inside &= np.isclose(physical[:, i], var.lower, rtol=1e-9, atol=0.0)
        return inside

    @staticmethod
    def code_precision(physical: np.ndarray) -> np.ndarray:
        """Physical values rounded to the precision the codes see (SLHA templates write
        :data:`CODE_DIGITS` significant digits): two points equal here are one point to a code."""
        x = np.asarray(physical, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            magnitude = np.floor(np.log10(np.abs(x)))
        # scale by an exact power of ten (multiply or divide), so the rounded value is the double
        # nearest the printed decimal, as float(format_value(x)) is
        exponent = CODE_DIGITS - 1 - np.where(np.isfinite(magnitude), magnitude, 0.0)
        up, down = 10.0 ** np.maximum(exponent, 0), 10.0 ** np.maximum(-exponent, 0)
        return np.round(x * up / down) / up * down

    def as_dicts(self, physical: np.ndarray) -> list[dict[str, float]]:
        return [dict(zip(self.names, map(float, row))) for row in np.atleast_2d(physical)]


# -- parsing --------------------------------------------------------------------------------

_GRID_FUNCS = {"linspace", "geomspace", "logspace", "arange"}


def parse_grid_values(text: str, where: str) -> tuple[float, ...]:
    """Parse BSMArt's ``"np.linspace(a, b, num=n)"`` strings (or a list literal) without eval."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise ConfigError(f"cannot parse grid '{text}'", where=where) from None
    if isinstance(node, (ast.List, ast.Tuple)):
        values = tuple(float(_literal_number(e, where)) for e in node.elts)
        if not values or not all(math.isfinite(v) for v in values):
            raise ConfigError(f"grid {text} must list at least one finite number", where=where)
        return values
    if not isinstance(node, ast.Call):
        raise ConfigError(f"grid '{text}' must be a list or np.linspace/geomspace/logspace/arange(...)", where=where)
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
        and func.value.id in ("np", "numpy") else func.id if isinstance(func, ast.Name) else None
    if name not in _GRID_FUNCS:
        raise ConfigError(f"grid function in '{text}' is not one of {sorted(_GRID_FUNCS)}", where=where)
    args = [_literal_number(a, where) for a in node.args]
    kwargs = {k.arg: _literal_number(k.value, where) for k in node.keywords}
    allowed = {"linspace": {"num", "endpoint", "start", "stop"}, "geomspace": {"num", "endpoint", "start", "stop"},
               "logspace": {"num", "endpoint", "base", "start", "stop"}, "arange": {"start", "stop", "step"}}[name]
    if set(kwargs) - allowed:
        raise ConfigError(f"unexpected argument(s) {sorted(set(kwargs) - allowed)} in '{text}'", where=where)
    if "num" in kwargs:
        kwargs["num"] = int(kwargs["num"])
    if len(args) >= 3 and name != "arange":
        args[2] = int(args[2])
    count = _grid_count(name, args, kwargs)
    if not 1 <= count <= 10_000_000:  # checked before numpy allocates a huge array
        raise ConfigError(f"grid '{text}' gives {count} values (need 1..1e7)", where=where)
    try:
        values = getattr(np, name)(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad grid '{text}': {exc}", where=where) from None
    if values.size == 0 or values.size > 10_000_000 or not np.all(np.isfinite(values)):
        raise ConfigError(f"grid '{text}' gives {values.size} values (need 1..1e7 finite)", where=where)
    return tuple(float(v) for v in values)


def _grid_count(name: str, args: list, kwargs: dict) -> int:
    """Number of values a grid call will make (0 when the arguments make no sense)."""
    try:
        if name == "arange":
            start, stop, step = (list(args) + [None, None, None])[:3]
            if stop is None:
                start, stop = 0, start
            start, stop, step = kwargs.get("start", start), kwargs.get("stop", stop), kwargs.get("step", step or 1)
            return max(0, math.ceil((stop - start) / step))
        return int(kwargs.get("num", args[2] if len(args) >= 3 else 50))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return 0


def _literal_number(node: ast.expr, where: str) -> float:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise ConfigError("grid arguments must be plain numbers", where=where) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"grid argument {value!r} is not a number", where=where)
    return value
