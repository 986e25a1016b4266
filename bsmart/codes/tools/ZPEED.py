"""ZPEED, as BSMArt runs it: the ATLAS 13 TeV dilepton likelihood of each Z' (ZPEED,
arXiv:1912.06374, https://github.com/kahlhoefer/ZPEED; ``Path`` is its folder) from the Z'
couplings in ``Block ZPEEDIN`` (entries 1-9 for the first Z', 11-19 for the second, ..., as
BSMArt's MicrOmegas cross-section driver writes them: the PDG code, then the vector and axial
couplings to d, u, e, mu), its mass and width.

``Block ZPEED``: 1 the sum of -2 log L, 2 the sum of -2 Delta log L, 3 the smallest CLs. As in
BSMArt, interference with the SM is included, and left out when ZPEED fails with it; a Z' for
which both fail counts as CLs 1 (no exclusion).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping

import numpy as np
from scipy import optimize
from scipy.stats import norm

from bsmart.codes.tools._library import LibraryTool
from bsmart.errors import CodeError, ConfigError
from bsmart.slha import slha_value

KEYS = {"Path"}
NEEDS_COMMAND = False
MODULES = ("ATLAS_13TeV_calibration", "ATLAS_13TeV", "dileptons_functions")
MAX_ZPRIMES = 5
_loaded: dict[str, dict[str, ModuleType]] = {}  # per worker process: ZPEED's modules load its tables once


def zpeed_modules(path: str) -> dict[str, ModuleType]:
    """ZPEED's modules, imported from ``path`` (they read their tables relative to the current folder)."""
    if path not in _loaded:
        here = os.getcwd()
        sys.path.insert(0, path)
        try:
            os.chdir(path)
            _loaded[path] = {name: importlib.import_module(name) for name in MODULES}
        finally:
            os.chdir(here)
            sys.path.remove(path)
        _loaded[path]["ATLAS_13TeV"].exclude_negative_events = 1  # else ZPEED quits on destructive interference
    return _loaded[path]


def likelihood(chi2: Any, chi2_asimov: Any) -> tuple[float, float, float]:
    """-2 log L, -2 Delta log L and CLs at signal strength 1 (ZPEED's chi2_CLs, with a scalar minimiser)."""
    found = optimize.minimize_scalar(chi2, bracket=(0.5, 1.5), method="brent", options={"xtol": 0.01, "maxiter": 100})
    muhat = max(float(found.x), 0.0)
    delta = chi2(1) - chi2(min(muhat, 1))
    cls = (1 - norm.cdf(np.sqrt(max(delta, 0)))) / norm.cdf(np.sqrt(max(chi2_asimov(1), 0)) - np.sqrt(max(delta, 0)))
    return float(chi2(1)), float(delta), float(cls)


class ZPEED(LibraryTool):
    block = "ZPEED"

    def __init__(self, name: str, path: str, **kwargs: Any):
        super().__init__(name, **kwargs)
        self.path = path

    def check(self) -> None:
        missing = [m for m in MODULES if not (Path(self.path) / f"{m}.py").is_file()]
        if missing:
            raise ConfigError(f"no ZPEED in {self.path} (missing {', '.join(missing)}.py); get it from "
                              f"https://github.com/kahlhoefer/ZPEED", where=f"Codes.{self.name}.Path")

    def compute(self, spectrum: Any, env: Mapping[str, Any], workdir: Path) -> list[tuple[Any, float, str]]:
        zpeed = zpeed_modules(self.path)
        couplings = spectrum.blocks.get("ZPEEDIN")
        if couplings is None:
            raise CodeError("no Block ZPEEDIN in the spectrum (BSMArt's MicrOmegas cross-section driver writes it)")
        total, total_delta, best_cls = 0.0, 0.0, 1.0
        for start in range(1, 10 * MAX_ZPRIMES, 10):
            if start not in couplings:
                break
            pdg = int(couplings[start])
            g = [float(couplings[start + i]) for i in range(1, 9)]
            model = {"MZp": slha_value(spectrum, "MASS", (pdg,)), "Gamma": slha_value(spectrum, "WIDTH", (pdg,)),
                     "gdv": g[0], "gda": -g[1], "guv": g[2], "gua": -g[3], "glv": g[4], "gla": -g[5]}
            chi2, delta, cls = self._zprime(zpeed, model)
            total, total_delta, best_cls = total + chi2, total_delta + delta, min(best_cls, cls)
        return [(1, total, "-2 log L"), (2, total_delta, "-2 Delta log L"), (3, best_cls, "Best CLs")]

    @staticmethod
    def _zprime(zpeed: dict[str, ModuleType], model: dict[str, float]) -> tuple[float, float, float]:
        xi, dileptons = zpeed["ATLAS_13TeV_calibration"].xi_function, zpeed["dileptons_functions"]
        window = (model["MZp"] - 3 * model["Gamma"], model["MZp"] + 3 * model["Gamma"])
        for differential in (dileptons.dsigmadmll_wint, dileptons.dsigmadmll):  # with interference first
            try:
                chi2 = zpeed["ATLAS_13TeV"].calculate_chi2(lambda x: xi(x, "ee") * differential(x, model, "ee"),
                                                           lambda x: xi(x, "mm") * differential(x, model, "mm"),
                                                           signal_range=list(window))
                return likelihood(*chi2)
            except Exception:  # noqa: BLE001 - ZPEED's numerics fail in several ways; BSMArt then goes on
                continue
        return 0.0, 0.0, 1.0


def build(name: str, spec: Mapping[str, Any], common: dict[str, Any], ctx: Mapping[str, Any]) -> ZPEED:
    path = spec.get("Path")
    if not isinstance(path, str) or not path:
        raise ConfigError("give the folder of ZPEED (https://github.com/kahlhoefer/ZPEED)", file=ctx["file"],
                          where=f"Codes.{name}.Path")
    return ZPEED(name, path=os.path.expanduser(path), spectrum_file=ctx["spectrum_file"], **common)
