#!/usr/bin/env python3
"""A stand-in for a FlexibleSUSY spectrum generator (``run_<Model>.x``), called as BSMArt calls it:
``--slha-input-file=IN --slha-output-file=OUT``; the spectrum is the SPheno stand-in's."""
import runpy
import sys
from pathlib import Path

files = dict(arg.split("=", 1) for arg in sys.argv[1:])
sys.argv = [sys.argv[0], files["--slha-input-file"], files["--slha-output-file"]]
runpy.run_path(str(Path(__file__).with_name("spheno_standin.py")), run_name="__main__")
