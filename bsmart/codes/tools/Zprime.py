"""Zprime, BSMArt's Z' limits (after Z' explorer, arXiv:2109.13194): for each Z' in ``PDGs``
(default ``[31]``), its 13 TeV production cross section (``XSECTION 13000 2212 2212 -> pdg``, as
BSMArt's MicrOmegas cross-section driver writes it) times each branching ratio, divided by the
excluded cross section at its mass in that channel (jj, bb, tt, ee, mumu, tautau, WW, ZH).
``Block ZPRIME``: entry 1 the largest ratio (> 1 excluded), entry 2 the PDG code it belongs to.

The limit curves are BSMArt 2.0.2's (``data/ZprimeExplorer``, GPL-3.0 as BSMArt), interpolated
linearly (BSMArt: a cubic spline through the same 3000 points a curve); outside a curve's masses
no limit applies. A Z' without a 13 TeV cross section is skipped, as in BSMArt.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from bsmart.codes.tools._library import LibraryTool, parse_pdgs
from bsmart.errors import CodeError
from bsmart.slha import slha_value

KEYS = {"PDGs"}
NEEDS_COMMAND = False
QUARKS = (1, 2, 3, 4)  # jj: the light quarks
CHANNELS = {"jj": [(q, -q) for q in QUARKS], "bb": [(5, -5)], "tt": [(6, -6)], "ee": [(11, -11)],
            "mumu": [(13, -13)], "tautau": [(15, -15)], "WW": [(24, -24)], "ZH": [(25, 23)]}


@lru_cache(maxsize=None)
def _curve(channel: str) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(Path(__file__).parent / "data" / "ZprimeExplorer" / f"{channel}.dat")
    keep = np.concatenate([[True], np.diff(np.maximum.accumulate(table[:, 0])) > 0])  # drop steps back
    return table[keep, 0], table[keep, 1]


def excluded_cross_section(channel: str, mass_tev: float) -> float:
    """The excluded cross section (pb) in ``channel`` at ``mass_tev``; inf outside the curve."""
    masses, limits = _curve(channel)
    if not masses[0] <= mass_tev <= masses[-1]:
        return np.inf
    return float(np.interp(mass_tev, masses, limits))


class Zprime(LibraryTool):
    block = "ZPRIME"

    def __init__(self, name: str, pdgs: list[int], **kwargs: Any):
        super().__init__(name, **kwargs)
        self.pdgs = pdgs

    def compute(self, spectrum: Any, env: Mapping[str, Any], workdir: Path) -> list[tuple[Any, float, str]]:
        best, best_pdg, best_channel = 0.0, 0, ""
        for pdg in self.pdgs:
            try:
                cross_section = slha_value(spectrum, "XSECTION", (13000.0, 2212, 2212, pdg))
            except CodeError:
                continue  # not produced at the LHC in range
            try:
                mass_tev = slha_value(spectrum, "MASS", (pdg,)) * 1e-3
            except CodeError:
                raise CodeError(f"no mass for the Z' {pdg} (MASS {pdg})") from None
            for channel, final_states in CHANNELS.items():
                br = sum(slha_value(spectrum, "BR", (pdg, final)) if pdg in spectrum.decays else 0.0
                         for final in final_states)
                ratio = cross_section * br / excluded_cross_section(channel, mass_tev)
                if ratio > best:
                    best, best_pdg, best_channel = ratio, pdg, channel
        return [(1, best, f"Best Limit ratio (>1 excluded), from channel {best_channel}"),
                (2, best_pdg, "pdg for best limit")]


def build(name: str, spec: Mapping[str, Any], common: dict[str, Any], ctx: Mapping[str, Any]) -> Zprime:
    pdgs = parse_pdgs(spec.get("PDGs", [31]), ctx["file"], f"Codes.{name}.PDGs")
    return Zprime(name, pdgs=pdgs, spectrum_file=ctx["spectrum_file"], **common)
