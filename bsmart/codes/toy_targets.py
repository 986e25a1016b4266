"""Built-in toy targets, so every scan runs with no HEP code installed.

The MLscanner functions F2d and F3d, BSMArt's ``toy_targets`` (Rosenbrock, Rastrigin,
Ackley, Himmelblau, Easom), an egg-box, and thin spherical shells and a thin curved band in N
dimensions. Inputs are the variables in declaration order (names are ignored, as in BSMArt). A
function that needs more variables than there are is simply not returned (its observable is
missing).
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

from bsmart.codes.base import Code, CodeOutput
from bsmart.errors import ConfigError

DEFAULTS: dict[str, Any] = {
    "Rosenbrock a": 1.0, "Rosenbrock b": 100.0, "Rastrigin A": 10.0,
    "Ackley a": 20.0, "Ackley b": 0.2, "Ackley c": 2 * math.pi,
    "Himmelblau a": 11.0, "Himmelblau b": 7.0, "Easom center": [math.pi, math.pi],
    "Shell center": None,  # origin
    "TwoShell centers": None,  # (+-0.5, 0, ..., 0)
    "TwoShell radius": 0.3,
    "Invalid fraction": 0.3,
}


def f2d(x: Sequence[float]) -> float:
    return (2 + math.cos(x[0] / 5) * math.cos(x[1] / 7)) ** 5


def f3d(x: Sequence[float]) -> float:
    return (2 + math.cos(x[0] / 7) * math.cos(x[1] / 7) * math.cos(x[2] / 7)) ** 5


def eggbox(x: Sequence[float]) -> float:
    return (2 + math.cos(x[0] / 2) * math.cos(x[1] / 2)) ** 5


def rosenbrock(x: Sequence[float], a: float = 1.0, b: float = 100.0) -> float:
    if len(x) == 1:
        return (a - x[0]) ** 2
    return sum(b * (x[i + 1] - x[i] ** 2) ** 2 + (a - x[i]) ** 2 for i in range(len(x) - 1))


def rastrigin(x: Sequence[float], A: float = 10.0) -> float:
    return A * len(x) + sum(xi * xi - A * math.cos(2 * math.pi * xi) for xi in x)


def ackley(x: Sequence[float], a: float = 20.0, b: float = 0.2, c: float = 2 * math.pi) -> float:
    n = len(x)
    return (-a * math.exp(-b * math.sqrt(sum(xi * xi for xi in x) / n))
            - math.exp(sum(math.cos(c * xi) for xi in x) / n) + a + math.e)


def himmelblau(x: Sequence[float], a: float = 11.0, b: float = 7.0) -> float:
    return (x[0] ** 2 + x[1] - a) ** 2 + (x[0] + x[1] ** 2 - b) ** 2


def easom(x: Sequence[float], center: Sequence[float] = (math.pi, math.pi)) -> float:
    return -math.cos(x[0]) * math.cos(x[1]) * math.exp(-((x[0] - center[0]) ** 2 + (x[1] - center[1]) ** 2))


def shell_radius(x: Sequence[float], center: Sequence[float] | None = None) -> float:
    """Distance from the centre: a Gaussian on it with a small width is a thin shell."""
    center = center or [0.0] * len(x)
    return math.sqrt(sum((xi - ci) ** 2 for xi, ci in zip(x, center)))


def two_shell_distance(x: Sequence[float], radius: float = 0.3,
                       centers: Sequence[Sequence[float]] | None = None) -> float:
    """Distance to the nearer of two disjoint shell surfaces (0 on a shell)."""
    if centers is None:
        centers = [[-0.5] + [0.0] * (len(x) - 1), [0.5] + [0.0] * (len(x) - 1)]
    return min(abs(shell_radius(x, c) - radius) for c in centers)


def band_offset(x: Sequence[float]) -> float:
    """Signed distance along x1 from a thin curved band: x1 = 0.5 sin(2t), where t is the sum of the
    other variables scaled to unit variance on [-1, 1]; a GAUSS on it is a band that curves across
    every other variable (benchmarks' 30-d problem)."""
    t = math.sqrt(3 / (len(x) - 1)) * sum(x[1:])
    return x[0] - 0.5 * math.sin(2 * t)


# every name toy_values can return (FUNCTION observables may use them)
OUTPUTS = ("Rosenbrock", "Rastrigin", "Ackley", "Shell", "TwoShell", "F2d", "EggBox", "Himmelblau", "Easom",
           "F3d", "F3dInvalid", "Band")


def toy_values(x: Sequence[float], settings: Mapping[str, Any]) -> dict[str, float]:
    s = {**DEFAULTS, **settings}
    n = len(x)
    values = {
        "Rosenbrock": rosenbrock(x, float(s["Rosenbrock a"]), float(s["Rosenbrock b"])),
        "Rastrigin": rastrigin(x, float(s["Rastrigin A"])),
        "Ackley": ackley(x, float(s["Ackley a"]), float(s["Ackley b"]), float(s["Ackley c"])),
        "Shell": shell_radius(x, s["Shell center"]),
        "TwoShell": two_shell_distance(x, float(s["TwoShell radius"]), s["TwoShell centers"]),
    }
    if n >= 2:
        values.update(F2d=f2d(x), EggBox=eggbox(x), Himmelblau=himmelblau(x, float(s["Himmelblau a"]),
                      float(s["Himmelblau b"])), Easom=easom(x, s["Easom center"]),
                      Band=band_offset(x))
    if n >= 3:
        values["F3d"] = f3d(x)
        # F3d with a band where the "code" fails, as a spectrum generator does for tachyonic
        # points: sin(x1/7 + x2/11) > cos(pi f) covers a fraction f of a large box
        failed = math.sin(x[0] / 7 + x[1] / 11) > math.cos(math.pi * float(s["Invalid fraction"]))
        values["F3dInvalid"] = math.nan if failed else values["F3d"]
    return values


class ToyTargets(Code):
    """BSMArt's ``toy_targets`` code, extended with the MLscanner targets and shells."""

    kind = "toy_targets"
    isolated = False  # bsmart's own arithmetic: cannot hang or crash, may run in the main process

    def __init__(self, name: str, settings: Mapping[str, Any] | None = None, variable_names: Sequence[str] = (),
                 **kwargs: Any):
        super().__init__(name, **kwargs)
        self.settings = {k: v for k, v in (settings or {}).items() if k in DEFAULTS}
        self.variable_names = tuple(variable_names)

    def check(self) -> None:
        """An observable read by name must be one the toy computes (a misspelt "F2D" would be NaN
        at every point): one line naming it and the names there are."""
        dim = len(self.variable_names)
        computed = [n for n in OUTPUTS if dim >= {"F2d": 2, "EggBox": 2, "Himmelblau": 2, "Easom": 2, "F3d": 3,
                                                   "F3dInvalid": 3, "Band": 2}.get(n, 1)]
        for name, obs in self.observables.items():
            if obs.function is None and obs.slha is None and name not in computed:
                close = difflib.get_close_matches(name, computed, n=1, cutoff=0.5)
                hint = f"did you mean {close[0]}? " if close else ""
                raise ConfigError(f"toy_targets computes no {name} with {dim} variable(s); {hint}it computes "
                                  f"{', '.join(computed)}", where=f"Codes.{self.name}.Observables.{name}")

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        return CodeOutput(toy_values(env["VARIABLE"], self.settings))
