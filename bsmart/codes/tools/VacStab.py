"""VacStab, as BSMArt runs it: ``<Command> <InputFile> <spectrum>``, with the point's spectrum
copied to ``InputFile`` first (``<Command> <InputFile>`` when they are the same file); the program
appends its blocks (e.g. ``VACUUMSTABILITY``) to the spectrum, where the observables read them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.tools._library import DEFAULT_SPECTRUM
from bsmart.codes.tools._program import SpectrumProgram
from bsmart.errors import ConfigError

KEYS: set[str] = set()


class VacStab(SpectrumProgram):
    def prepare(self, workdir: Path, spectrum: Path) -> None:
        if self.input_file != self.spectrum_file:
            shutil.copyfile(spectrum, workdir / self.input_file)


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> VacStab:
    if not program["input_file"]:
        raise ConfigError("VacStab needs the file it reads (the spectrum's name, or a copy's)", file=ctx["file"],
                          where=f"Codes.{name}.InputFile")
    spectrum = ctx["spectrum_file"] or DEFAULT_SPECTRUM
    copy = [spectrum] if spectrum != program["input_file"] else []  # else VacStab appends to its input
    program["command"] = [*program["command"], "{InputFile}", *copy]
    return VacStab(name, spectrum_file=spectrum, **program)
