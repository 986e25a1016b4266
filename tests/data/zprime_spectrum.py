#!/usr/bin/env python3
"""A stand-in for a spectrum generator followed by BSMArt's MicrOmegas cross-section driver, for
one Z' (PDG 31): ``zprime_spectrum.py INPUT OUTPUT`` reads MINPAR 1 (the Z' mass, GeV) and 2
(its lepton vector coupling) and writes its mass, width (3 % of the mass), decays, its 13 TeV
production cross section (``XSECTION``, 0.01 pb at 3 TeV, falling as mass^-6) and the couplings
ZPEED reads (``Block ZPEEDIN``, written as the driver writes them: axial couplings negated)."""
import sys

import pyslha

minpar = pyslha.read(sys.argv[1], ignorenobr=True, ignorenomass=True).blocks["MINPAR"]
mass, lepton = minpar[1], minpar[2]
couplings = {"d vector": 0.1, "d axial": -0.05, "u vector": 0.1, "u axial": -0.05,
             "e vector": lepton, "e axial": 0.0, "mu vector": lepton, "mu axial": 0.0}
with open(sys.argv[2], "w") as fh:
    fh.write(f"Block MINPAR\n    1   {mass:.8E}  # MZp\n    2   {lepton:.8E}  # gl\n")
    fh.write(f"Block MASS\n        31   {mass:.8E}  # Zp\n        24   8.03500000E+01  # W\n")
    fh.write(f"DECAY  31  {0.03 * mass:.8E}  # Zp\n")
    for br, daughters in ((0.15, (1, -1)), (0.15, (2, -2)), (0.1, (3, -3)), (0.1, (4, -4)), (0.1, (5, -5)),
                          (0.2, (6, -6)), (0.05, (11, -11)), (0.05, (13, -13)), (0.05, (15, -15)), (0.05, (24, -24))):
        fh.write(f"   {br:.8E}   2   {daughters[0]}   {daughters[1]}\n")
    fh.write("BLOCK ZPEEDIN #\n 1  31  # PDG\n")
    for i, (what, value) in enumerate(couplings.items(), start=2):
        fh.write(f" {i}  {value:10.4E}  # Zp-{what} coupling\n")
    fh.write(f"XSECTION  1.300000E+04   2212  2212  1  31 \n 0  0  0  0  0  0 {0.01 * (3000 / mass) ** 6:E} micrOMEGAs\n\n")
