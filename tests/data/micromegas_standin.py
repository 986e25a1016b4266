#!/usr/bin/env python3
"""A stand-in for BSMArt's MicrOmegas driver: run without arguments in the point's folder, it
reads the spectrum ``SPheno.spc.*`` there and writes ``omg.out`` as the driver does: lines of
``id value # comment``, no Block line, no leading space. The candidate is the lightest of the
scalars 55, 103, 105; Omega h^2 = 0.12 * (its mass / 15000)^2."""
import glob

import pyslha

masses = pyslha.read(sorted(glob.glob("SPheno.spc.*"))[0], ignorenobr=True, ignorenomass=True).blocks["MASS"]
candidate = min((pdg for pdg in (55, 103, 105) if pdg in masses), key=lambda pdg: masses[pdg])
mass = masses[candidate]
with open("omg.out", "w") as fh:
    fh.write(f"1 {0.12 * (mass / 15000) ** 2:.6E} # relic density Omega h^2\n"
             f"2 {candidate} # CDM1 PDG code\n"
             f"3 {mass:.6E} # CDM1 mass\n"
             f"201 {1e-9:.6E} # SI proton\n203 {1.1e-9:.6E} # SI neutron\n")
