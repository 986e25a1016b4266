#!/usr/bin/env python3
"""A stand-in for resummino: ``resummino INPUT`` reads resummino's ``key = value`` input file
(particle1, particle2, center_of_mass_energy, slha, output), the two particles' masses from the
SLHA file, and writes resummino's JSON result. Made-up physics: lo = 1 pb (sqrt(s) / 13 TeV)^2
(1 TeV / (m1 + m2))^4, nlo = 1.3 lo, nll = 1.4 lo; an unknown particle ends it with an error."""
import json
import sys

import pyslha

settings = {}
for line in open(sys.argv[1]):
    key, _, value = line.partition("#")[0].partition("=")
    if value.strip():
        settings[key.strip()] = value.strip()
masses = pyslha.read(settings["slha"], ignorenobr=True, ignorenomass=True).blocks["MASS"]
pdgs = [abs(int(settings["particle1"])), abs(int(settings["particle2"]))]
if any(p not in masses for p in pdgs):
    sys.exit(f"error: particle {pdgs} has no mass in {settings['slha']}")
lo = (float(settings["center_of_mass_energy"]) / 13000) ** 2 * (1000 / sum(abs(masses[p]) for p in pdgs)) ** 4
with open(settings["output"], "w") as fh:
    json.dump({"lo": lo, "nlo": 1.3 * lo, "nll": 1.4 * lo, "version": "stand-in"}, fh)
