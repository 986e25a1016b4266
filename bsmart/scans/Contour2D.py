"""Contour2D: BSMArt's contour tracer in two variables. A first grid of (N0+1)^2 points, then each
iteration interpolates the function linearly over the evaluated points, finds where it crosses
``Threshold``, and evaluates points spaced along that contour (one batch), so that the points
gather on the contour. The function is an expression of the variables and observables
(``Function``, e.g. ``"mh - 125"``) or, by default, the likelihood exp(-NLL). The last contour is
written to ``Results/contour.csv``: one row per vertex, in the variables' units."""

from __future__ import annotations

import itertools
import math

import contourpy
import numpy as np
from scipy.interpolate import LinearNDInterpolator
from scipy.spatial import cKDTree

from bsmart.config import RunConfig
from bsmart.errors import ConfigError, ScanError
from bsmart.scans._contour import FUNCTION_SETTINGS, ContourFunction, check_function, start_points
from bsmart.scans.base import Scan
from bsmart.settings import Setting, Settings

SPACING = math.sqrt(1e-3)  # BSMArt's: new points along a contour at least this far apart (unit square)
NEAR_KNOWN = 1e-2  # BSMArt's: a contour point this close to an evaluated one is not evaluated again
RESOLUTION = 401  # interpolation grid per variable, to find the contour on

__meta__ = {
    "name": "Contour2D",
    "description": "Trace where a function of two variables crosses a value, refining along the contour.",
    "settings": {
        "N0": Setting(5, int, "the first grid: N0 + 1 values of each variable (unless Input_CSV_File)", minimum=1,
                      maximum=1000),
        **FUNCTION_SETTINGS,
        "Iterations": Setting(8, int, "refinements along the contour (BSMArt's 8)", minimum=1),
        "Points": Setting(10_000, int, "stop after this many evaluations", minimum=1),
        "Bad value": Setting(-1.0, float, "BSMArt's value of failed points; accepted: failed points are left out "
                                          "of the interpolation"),
    },
}


class NewScan(Scan):
    @classmethod
    def check(cls, config: RunConfig, settings: Settings) -> None:
        if len(config.space.free) != 2:
            raise ConfigError(f"Contour2D needs exactly two variables with a RANGE, got {len(config.space.free)}",
                              where="Variables")
        check_function(config, settings)

    def initialise(self) -> None:
        self.function = ContourFunction(self.settings)
        self.known, self.values = np.empty((0, 2)), np.empty(0)
        self.lines: list[np.ndarray] = []

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.settings.points, "evaluations"

    def _evaluate(self, unit: np.ndarray, iteration: int) -> None:
        unit = unit[:self.settings.points - self.runner.evaluated]
        points = self.evaluate(self.space.to_physical(unit), iteration)
        values = np.array([self.function(p) for p in points])
        usable = np.isfinite(values)
        self.known, self.values = np.vstack([self.known, unit[usable]]), np.r_[self.values, values[usable]]

    def _contour(self) -> list[np.ndarray]:
        """The lines (unit square) where the linear interpolation of the values crosses Threshold."""
        grid = np.linspace(0.0, 1.0, RESOLUTION)
        x, y = np.meshgrid(grid, grid)
        z = LinearNDInterpolator(self.known, self.values)(x, y)
        return contourpy.contour_generator(grid, grid, np.ma.masked_invalid(z)).lines(self.settings.threshold)

    def run(self) -> None:
        first = np.linspace(0.0, 1.0, self.settings.n0 + 1)
        start = start_points(self)
        self._evaluate(start if start is not None else np.array(list(itertools.product(first, first))), 0)
        for iteration in range(1, self.settings.iterations + 1):
            if len(self.known) < 3:
                raise ScanError(f"Contour2D: {len(self.known)} of the first {self.runner.evaluated} points have a "
                                f"value: too few to interpolate")
            self.lines = self._contour()
            todo = _spaced([v for line in self.lines for v in line])
            if len(todo):
                todo = todo[cKDTree(self.known).query(todo)[0] > NEAR_KNOWN]
            if not len(todo) or self.runner.evaluated >= self.settings.points:
                break
            self._evaluate(todo, iteration)
        self.lines = self._contour()

    def postprocess(self) -> None:
        names = [v.name for v in self.space.free]
        table = self.store.scan_table("Results/contour.csv", [*names, "Line"])
        for k, line in enumerate(self.lines):
            physical = self.space.to_physical(line)[:, self.space.free_index]
            table.write_rows([[*map(float, row), k] for row in physical])
        self.result.update(contour_lines=len(self.lines), contour_file="Results/contour.csv")


def _spaced(vertices: list[np.ndarray]) -> np.ndarray:
    """The contour's vertices thinned, in order along the lines, to at least SPACING apart."""
    kept: list[np.ndarray] = []
    for vertex in vertices:
        if not kept or np.linalg.norm(vertex - kept[-1]) >= SPACING:
            kept.append(vertex)
    return np.array(kept).reshape(-1, 2)
