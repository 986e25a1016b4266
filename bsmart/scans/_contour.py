"""What the contour scans (Contour2D, ContourGP) share: the function whose level set they trace,
``Function`` (an expression of the variables and observables, checked before the run; BSMArt
ran Python's eval on it) or by default the likelihood exp(-NLL), its ``Threshold``, and
``Input_CSV_File``, known points to start from."""

from __future__ import annotations

import math

import numpy as np

from bsmart.config import RunConfig
from bsmart.errors import ConfigError
from bsmart.expr import ExpressionError, compile_expression
from bsmart.points import EvaluatedPoint
from bsmart.results import check_columns, read_points_csv
from bsmart.scans.base import Scan
from bsmart.settings import Setting, Settings

FUNCTION_SETTINGS = {
    "Threshold": Setting(0.0, float, "the contour's value of the function"),
    "Function": Setting(None, str, "the function, an expression of the variables and observables (e.g. "
                                   "\"mh - 125\"); default: the likelihood exp(-NLL)"),
    "Input_CSV_File": Setting(None, str, "a CSV of points (variable columns, relative to the input file) "
                                         "evaluated first, instead of the scan's first points"),
}


def check_function(config: RunConfig, settings: Settings) -> None:
    """One line naming Setup.Function when it does not compile or names an unknown quantity, or
    Setup.Input_CSV_File when it is no CSV with the variables' columns."""
    if settings.input_csv_file:
        check_columns(config.existing_path(settings.input_csv_file, "Setup.Input_CSV_File"), config.space,
                      "Setup.Input_CSV_File")
    if not settings.function:
        return
    try:
        unknown = compile_expression(settings.function).names - set(config.space.names) - set(config.observables)
    except ExpressionError as exc:
        raise ConfigError(str(exc), where="Setup.Function") from None
    if unknown:
        raise ConfigError(f"'{settings.function}' names {', '.join(sorted(unknown))}: neither a variable nor an "
                          f"observable", where="Setup.Function")


def start_points(scan: Scan) -> np.ndarray | None:
    """The points of Input_CSV_File (unit cube), or None when the input names none."""
    if not scan.settings.input_csv_file:
        return None
    table = read_points_csv(scan.config.resolve_path(scan.settings.input_csv_file), scan.space,
                            where="Setup.Input_CSV_File")
    scan.log.info("%s: %s", scan.settings.input_csv_file, table.report())
    return scan.space.to_unit(table.physical)


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
