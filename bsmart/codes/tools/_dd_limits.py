"""BSMArt's direct-detection exclusion of a dark matter candidate (MicrOmegas' ``DD_Limits``).

The limit curves (cross section in cm^2 against mass in GeV) are BSMArt 2.0.2's, read off the
published exclusion plots: spin-independent per nucleon on xenon, spin-dependent on protons and
on neutrons (``data/DD_*.dat``, GPL-3.0 as BSMArt). As in BSMArt, the rate scales with the
candidate's share of the dark matter, Oh2 / 0.11933; an overabundant candidate (Oh2 > 0.122) is
excluded; masses outside 2-10 000 GeV are not; spin-dependent limits apply below 1001 GeV.
BSMArt interpolates with a cubic spline; here the curves are interpolated linearly in
log-log (extended as a power law past their ends), which cannot ring between the points.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

PLANCK_OH2, OVERABUNDANT = 0.11933, 0.122
XENON_PROTONS, XENON_NUCLEONS = 54.0, 131.0
PB = 1e-36  # cm^2: MicrOmegas gives the cross sections in pb


@lru_cache(maxsize=None)
def _curve(name: str) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(Path(__file__).parent / "data" / f"DD_{name}.dat")
    return np.log10(table[:, 0]), np.log10(table[:, 1])


def limit(name: str, mass: float) -> float:
    """The excluded cross section (cm^2) at ``mass`` for curve SI, SD_P or SD_N."""
    x, y = _curve(name)
    at = np.log10(mass)
    if at < x[0]:
        return 10 ** (y[0] + (at - x[0]) * (y[1] - y[0]) / (x[1] - x[0]))
    if at > x[-1]:
        return 10 ** (y[-1] + (at - x[-1]) * (y[-1] - y[-2]) / (x[-1] - x[-2]))
    return 10 ** float(np.interp(at, x, y))


def allowed(mass: float, oh2: float, si_p: float, si_n: float, sd_p: float, sd_n: float) -> int:
    """1 when the candidate escapes the limits, 0 when excluded (BSMArt's ``DARKMATTER 501``);
    cross sections in pb, as MicrOmegas writes them (entries 201-204 of omg.out)."""
    if oh2 > OVERABUNDANT:
        return 0
    if not 2.0 <= mass <= 10_000.0:
        return 1
    share = oh2 / PLANCK_OH2
    si = (XENON_PROTONS * si_p + (XENON_NUCLEONS - XENON_PROTONS) * si_n) / XENON_NUCLEONS * PB
    if share * si > limit("SI", mass):
        return 0
    if mass < 1001.0 and (share * sd_p * PB > limit("SD_P", mass) or share * sd_n * PB > limit("SD_N", mass)):
        return 0
    return 1
