"""What the contour scans (Contour2D, ContourGP) share: the function whose level set they trace,
``Function`` (an expression of the variables and observables, checked before the run; BSMArt
ran Python's eval on it) or by default the likelihood exp(-NLL), and its ``Threshold``."""

from __future__ import annotations

import math

from bsmart.config import RunConfig
from bsmart.errors import ConfigError
from bsmart.expr import ExpressionError, compile_expression
from bsmart.points import EvaluatedPoint
from bsmart.settings import Setting, Settings

FUNCTION_SETTINGS = {
    "Threshold": Setting(0.0, float, "the contour's value of the function"),
    "Function": Setting(None, str, "the function, an expression of the variables and observables (e.g. "
                                   "\"mh - 125\"); default: the likelihood exp(-NLL)"),
}


def check_function(config: RunConfig, settings: Settings) -> None:
    """One line naming Setup.Function when it does not compile or names an unknown quantity."""
    if not settings.function:
        return
    try:
        unknown = compile_expression(settings.function).names - set(config.space.names) - set(config.observables)
    except ExpressionError as exc:
        raise ConfigError(str(exc), where="Setup.Function") from None
    if unknown:
        raise ConfigError(f"'{settings.function}' names {', '.join(sorted(unknown))}: neither a variable nor an "
                          f"observable", where="Setup.Function")


class ContourFunction:
    """The function of an evaluated point; NaN for a failed point or a value that cannot be computed."""

    def __init__(self, settings: Settings):
        self.expression = compile_expression(settings.function) if settings.function else None

    def __call__(self, point: EvaluatedPoint) -> float:
        if not point.valid:
            return math.nan
        if self.expression is None:
            return math.exp(-point.nll)
        try:
            return float(self.expression.evaluate({**point.variables, **point.observables}))
        except (ExpressionError, TypeError, ValueError):
            return math.nan
