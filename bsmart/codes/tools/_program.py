"""The base of BSMArt's tools that run a program on the point's spectrum and add their results to
it (HiggsBounds, HiggsSignals, VevaciousPlusPlus, VacStab): the program reads the spectrum file
(or files the spectrum generator wrote beside it) in the point's folder; its results end up in the
spectrum file, appended by the program itself or, for a program that writes a table of its own,
by the tool's ``read_output`` as a block (``_library.append_block``). Either way the observables
read them there."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from bsmart.codes.base import CodeOutput
from bsmart.codes.external import ExternalCode
from bsmart.codes.tools._library import DEFAULT_SPECTRUM, existing_spectrum, read_spectrum


class SpectrumProgram(ExternalCode):
    writes_slha = True

    def __init__(self, name: str, command: Sequence[str], *, spectrum_file: str | None, **kwargs: Any):
        super().__init__(name, command, **kwargs)
        self.spectrum_file = spectrum_file or DEFAULT_SPECTRUM

    def prepare(self, workdir: Path, spectrum: Path) -> None:
        """Write what the program reads besides the spectrum (an input file, say)."""

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        spectrum = existing_spectrum(self.name, workdir / self.spectrum_file)
        self.prepare(workdir, spectrum)
        out = super().run(env, workdir)
        if out.slha is None:  # the program appended its results to the spectrum file itself
            out.slha = read_spectrum(self.name, spectrum)
        return out
