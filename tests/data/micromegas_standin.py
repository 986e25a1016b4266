#!/usr/bin/env python3
"""A stand-in for BSMArt's MicrOmegas driver (MicrOmegas_v5.2_BSMArt.cpp): run without arguments
in the point's folder, it reads the spectrum ``SPheno.spc.*`` there and writes ``omg.out`` with
the driver's own fprintf formats: lines of ``id value # comment``, no Block line, no leading
space. The candidate is the lightest of the scalars 55, 103, 105 (or the neutralino 1000022);
Omega h^2 = 0.12 * (its mass / 15000)^2; nucleon cross sections (pb) 1e-11 SI, 1e-6 SD.
With ``--xsections`` (BSMArt's cross-section drivers) it also writes, as MicrOmegas_v5.3_BSMArt
_xsections.cpp does, ``BLOCK ZPEEDIN`` (the Z' 31's PDG code and couplings, axial ones negated)
and its 13 TeV cross section ``XSECTION`` (0.01 pb at 3 TeV, falling as mass^-6); run under a
name containing ``onlyxsections``, only those."""
import glob
import sys

import pyslha

masses = pyslha.read(sorted(glob.glob("SPheno.spc.*"))[0], ignorenobr=True, ignorenomass=True).blocks["MASS"]
candidate = min((pdg for pdg in (55, 103, 105, 1000022) if pdg in masses), key=lambda pdg: abs(masses[pdg]))
mass = abs(masses[candidate])
with open("omg.out", "w") as fh:
    if "onlyxsections" not in sys.argv[0]:
        fh.write("%i %10.6e # Total relic density Omega h^2 \n" % (1, 0.12 * (mass / 15000) ** 2))
        fh.write("%i %d # CDM1 \n" % (2, candidate))
        fh.write("%i %10.6e # CDM1 Mass (GeV) \n" % (3, mass))
        fh.write("201 %10.6e #\n" % 1e-11)
        fh.write("202 %10.6e #\n" % 1e-6)
        fh.write("203 %10.6e #\n" % 1.1e-11)
        fh.write("204 %10.6e # \n" % 1e-6)
        fh.write("401 %8.6f # Direct detection pval \n" % 0.5)
    if "--xsections" in sys.argv and 31 in masses:
        fh.write("BLOCK ZPEEDIN #\n 1  31  # PDG\n")
        for i, g in enumerate((0.1, -0.05, 0.1, -0.05, 0.05, 0.0, 0.05, 0.0), start=2):
            fh.write(" %d  %10.4E  # Zp coupling\n" % (i, g))
        for pcm in (4000, 6500):
            fh.write("XSECTION  %E   2212  2212  1  %d \n" % (2 * pcm, 31))
            fh.write(" 0  0  0  0  0  0 %E micrOMEGAs\n\n" % (0.01 * (pcm / 6500) ** 2 * (3000 / masses[31]) ** 6))
