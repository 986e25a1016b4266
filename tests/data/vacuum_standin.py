#!/usr/bin/env python3
"""A stand-in for VevaciousPlusPlus and VacStab: each appends a block to the spectrum.

``vacuum_standin.py vevacious MAIN.xml``: reads the main input XML as BSMArt writes it, needs its
InitializationFile to exist, and appends ``BLOCK VEVACIOUSSTABILITY`` (1: 1 stable / 0 metastable,
2: the lifetime) to the RunPointInput spectrum, writing its OutputFilename too.
``vacuum_standin.py vacstab INPUT [SPECTRUM]``: appends ``BLOCK VACUUMSTABILITY`` to SPECTRUM (else
INPUT), computed from INPUT. Made-up physics: stable when mh (MASS 25) is below 125."""
import re
import sys

import pyslha


def light_higgs(path: str) -> float:
    return pyslha.read(path, ignorenobr=True, ignorenomass=True).blocks["MASS"][25]


if sys.argv[1] == "vevacious":
    xml = open(sys.argv[2]).read()
    init, spectrum, output = (re.search(f"<{tag}>\\s*(\\S+)\\s*</{tag}>", xml).group(1)
                              for tag in ("InitializationFile", "RunPointInput", "OutputFilename"))
    open(init).close()
    stable = light_higgs(spectrum) < 125
    with open(spectrum, "a") as fh:
        fh.write(f"BLOCK VEVACIOUSSTABILITY # \n   1   {int(stable)}   # stable\n   2   {1e100 if stable else 1e10:.3E}"
                 "   # lifetime\n")
    open(output, "w").write("<VevaciousResult>stable</VevaciousResult>\n" if stable else "<VevaciousResult/>\n")
else:
    source = sys.argv[2]
    target = sys.argv[3] if len(sys.argv) > 3 else source
    with open(target, "a") as fh:
        fh.write(f"BLOCK VACUUMSTABILITY # \n   1   {int(light_higgs(source) < 125)}   # stable\n")
