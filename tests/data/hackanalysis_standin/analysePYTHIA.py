#!/usr/bin/env python3
"""A stand-in for HackAnalysis' analysePYTHIA.exe: ``analysePYTHIA.exe <config.yaml>`` in the point's
folder reads the YAML (its settings: Config file, cores, the output file names), the Pythia
configuration it names (SLHA:file, and 1000022:m0 among the entries) and the spectrum; it writes
an SLHA efficiency file and a cutflow file, as HackAnalysis does. Made-up physics: the signal
efficiency of the analysis 'toy' is m(1000022) / 2000, and the entry 2 echoes the cores. A
neutralino mass above 1900 GeV makes it exit 1 without output (a failed run)."""
import sys

import pyslha
import yaml

settings = yaml.safe_load(open(sys.argv[1]))["settings"]
config = {}
for line in open(settings["Config file"]):
    key, _, value = line.partition("=")
    config[key.strip()] = value.strip()
spectrum = pyslha.read(config["SLHA:file"], ignorenobr=True, ignorenomass=True)
mass = float(config.get("1000022:m0", spectrum.blocks["MASS"][1000022]))
if mass > 1900:
    sys.exit("analysePYTHIA: Pythia could not generate events")
with open(settings.get("Efficiency Filename", "test.slha"), "w") as fh:
    fh.write("Block HACKANALYSIS  # efficiencies of the toy analysis\n"
             f"    1   {mass / 2000:.8E}   # signal efficiency\n    2   {settings['cores']}   # cores\n")
with open(settings.get("Cutflow Filename", "test.eff"), "w") as fh:
    fh.write(f"toy all 1.0\ntoy mass-cut {mass / 2000}\n")
