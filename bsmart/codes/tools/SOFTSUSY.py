"""SOFTSUSY (B.C. Allanach, Comput. Phys. Commun. 143 (2002) 305, hep-ph/0104145), a spectrum
generator of the MSSM and its constrained versions: ``Command`` is its ``softpoint.x`` (with the
argument ``leshouches`` unless one is given). It reads the point's input file (the filled
template, ``InputFile``) on its standard input and writes the spectrum on its standard output,
which becomes ``OutputFile`` (default: the run's spectrum file). A point SOFTSUSY finds invalid
(``Block SPINFO`` entry 4: no electroweak symmetry breaking, a tachyon, no convergence) is
invalid with SOFTSUSY's own words, e.g. ``SOFTSUSY: [ MuSqWrongsign ] (Point invalid)``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.base import CodeOutput
from bsmart.codes.external import ExternalCode
from bsmart.codes.tools._library import spectrum_generator
from bsmart.errors import CodeError

KEYS: set[str] = set()
PREFIX = True  # SOFTSUSY_CMSSM, say: one code per model in one input

_PROBLEM = re.compile(r"^\s*4\s+(.*?)\s*(?:#\s*(.*?)\s*)?$")


def problem(output: Path) -> str | None:
    """SOFTSUSY's words for why the point is invalid (``Block SPINFO`` entry 4), or None."""
    try:
        text = output.read_text(errors="replace")
    except OSError:
        return None
    block = None
    for line in text.splitlines():
        if line[:1].strip() and line.split()[0].lower() == "block":
            block = line.split()[1].upper() if len(line.split()) > 1 else None
        elif block == "SPINFO" and (found := _PROBLEM.match(line)):
            words, comment = found.groups()
            return f"{words} ({comment})" if comment else words
    return None


class SOFTSUSY(ExternalCode):
    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        self.write_input(env, workdir)
        stdout = workdir / f"{self.name}.stdout"
        try:
            self.execute(self.arguments(), workdir, self.timeout, stdin=workdir / self.input_file)
        except CodeError:
            if (why := problem(stdout)) is None:
                raise
            raise CodeError(f"{self.name}: {why}") from None
        if (why := problem(stdout)) is not None:  # an invalid point can also end with status 0
            raise CodeError(f"{self.name}: {why}")
        shutil.copyfile(stdout, workdir / self.output_file)
        try:
            return CodeOutput(slha=self.read_output(workdir / self.output_file))
        except CodeError as exc:
            raise CodeError(f"{self.name}: {exc}") from None


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: dict[str, Any]) -> SOFTSUSY:
    spectrum_generator("SOFTSUSY", name, program, ctx)
    if len(program["command"]) == 1:
        program["command"] = [*program["command"], "leshouches"]
    return SOFTSUSY(name, **program)
