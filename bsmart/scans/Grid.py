"""Grid: the cartesian product of per-variable values, in variable order.

A variable gives its values as BSMArt does (``"np.linspace(0, 1, num=5)"``, geomspace,
logspace, arange, or a list), or as a RANGE with ``Grid_Points`` values (log-spaced for a
LOG prior). FIXED variables contribute their one value.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from bsmart.config import RunConfig
from bsmart.errors import ConfigError
from bsmart.scans.base import Scan
from bsmart.settings import Setting, Settings
from bsmart.space import Space

__meta__ = {
    "name": "Grid",
    "description": "Cartesian grid over the variables' values.",
    "settings": {
        "Grid_Points": Setting(10, int, "values per RANGE variable without explicit values", minimum=1),
        "Batch_size": Setting(500, int, "points per batch", minimum=1, maximum=10 ** 6),
        "Max_Points": Setting(10_000_000, int, "refuse grids larger than this", minimum=1),
    },
}


def grid_axes(space: Space, grid_points: int) -> list[np.ndarray]:
    """The values of each variable, in variable order."""
    axes = []
    for var in space.variables:
        if var.grid is not None:
            values = np.array(var.grid)
        elif var.fixed:
            values = np.array([var.lower])
        elif var.prior == "LOG":
            values = np.geomspace(var.lower, var.upper, grid_points)
        else:
            values = np.linspace(var.lower, var.upper, grid_points)
        axes.append(values)
    return axes


class NewScan(Scan):
    @classmethod
    def check(cls, config: RunConfig, settings: Settings) -> None:
        total = math.prod(len(a) for a in grid_axes(config.space, settings.grid_points))
        if total > settings.max_points:
            raise ConfigError(f"the grid has {total} points, more than Setup.Max_Points={settings.max_points}",
                              where="Variables")

    def initialise(self) -> None:
        self.axes = grid_axes(self.space, self.settings.grid_points)
        self.result["grid_points"] = math.prod(len(a) for a in self.axes)

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.result["grid_points"], "evaluations"

    def run(self) -> None:
        product = itertools.product(*self.axes)
        iteration = 0
        while True:
            batch = list(itertools.islice(product, self.settings.batch_size))
            if not batch:
                break
            self.evaluate(np.array(batch), iteration)
            iteration += 1
