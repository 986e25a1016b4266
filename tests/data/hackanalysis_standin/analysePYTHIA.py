#!/usr/bin/env python3
"""A stand-in for HackAnalysis' programs: ``<program> <config.yaml>`` in the point's folder reads the
YAML (its settings: cores, the output file names, and the events: "LHE file" (with cores > 1 the
split files "<LHE file>_<i>.lhe.gz"), "HEPMC file", or else Pythia's configuration "Config file"
with SLHA:file and 1000022:m0) and writes HackAnalysis' efficiency file (BLOCK PROCESS toy: XS in
fb, Events, and Cores, which HackAnalysis does not write; BLOCK EFFICIENCIES toy: the region
SR-mass) and a cutflow file. Made-up physics: the efficiency is m / 2000 for the neutralino mass
m from Pythia's configuration, m / 4000 for the gluino mass in LHE events, 0.5 for HepMC events.
A neutralino mass above 1900 GeV makes it exit 1 without output (a failed run)."""
import gzip
import sys

import pyslha
import yaml


def lines(path):
    return (gzip.open(path, "rt") if str(path).endswith(".gz") else open(path)).read().splitlines()


settings = yaml.safe_load(open(sys.argv[1]))["settings"]
if "LHE file" in settings:
    files = [f"{settings['LHE file']}_{i}.lhe.gz" for i in range(settings["cores"])] if settings["cores"] > 1 \
        else [settings["LHE file"]]
    text = [line for f in files for line in lines(f)]
    xs = float(text[text.index("<init>") + 2].split()[0]) * 1000
    events = sum(line == "<event>" for line in text)
    gluino = next(float(line.split()[9]) for line in text if line.startswith(" 1000021 "))
    efficiency = gluino / 4000
elif "HEPMC file" in settings:
    text = lines(settings["HEPMC file"])
    xs = float(next(line.split()[1] for line in text if line.startswith("C "))) * 1000
    events, efficiency = sum(line.startswith("E ") for line in text), 0.5
else:
    config = {}
    for line in open(settings["Config file"]):
        key, _, value = line.partition("=")
        config[key.strip()] = value.strip()
    spectrum = pyslha.read(config["SLHA:file"], ignorenobr=True, ignorenomass=True)
    mass = float(config.get("1000022:m0", spectrum.blocks["MASS"][1000022]))
    if mass > 1900:
        sys.exit("analysePYTHIA: Pythia could not generate events")
    xs, events, efficiency = 1.0, int(float(config.get("Main:numberOfEvents", 1000))), mass / 2000
with open(settings.get("Efficiency Filename", "test.slha"), "w") as fh:
    fh.write(f"BLOCK PROCESS toy\nXS   {xs:e}   # (fb) \nEvents  {events}\nCores  {settings['cores']}\n"
             f"BLOCK EFFICIENCIES toy # name, eff, rel. uncert.\nSR-mass   {efficiency:e}   {0.01:e}\n")
with open(settings.get("Cutflow Filename", "test.eff"), "w") as fh:
    fh.write(f"toy all 1.0\ntoy mass-cut {efficiency}\n")
