"""The base of BSMArt's tools that run a program on the point's spectrum and add their results to
it (HiggsBounds, HiggsSignals, VevaciousPlusPlus, VacStab): the program reads the spectrum file
(or files the spectrum generator wrote beside it) in the point's folder; its results end up in the
spectrum file, appended by the program itself or, for a program that writes a table of its own,
by :meth:`SpectrumProgram.read_output` as a block. Either way the observables read them there."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from bsmart.codes.base import CodeOutput
from bsmart.codes.external import ExternalCode
from bsmart.codes.tools._library import DEFAULT_SPECTRUM
from bsmart.errors import CodeError, ConfigError
from bsmart.slha import block_text, parse_slha, read_slha


class SpectrumProgram(ExternalCode):
    writes_slha = True

    def __init__(self, name: str, command: Sequence[str], *, spectrum_file: str | None, **kwargs: Any):
        super().__init__(name, command, **kwargs)
        self.spectrum_file = spectrum_file or DEFAULT_SPECTRUM

    def prepare(self, workdir: Path, spectrum: Path) -> None:
        """Write what the program reads besides the spectrum (an input file, say)."""

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        spectrum = workdir / self.spectrum_file
        if not spectrum.is_file():
            raise CodeError(f"{self.name}: no spectrum file {spectrum.name} to read (Setup.Spectrum File)")
        self.prepare(workdir, spectrum)
        out = super().run(env, workdir)
        if out.slha is None:  # the program appended its results to the spectrum file itself
            try:
                out.slha = read_slha(spectrum)
            except CodeError as exc:
                raise CodeError(f"{self.name}: {exc}") from None
        return out

    def append_block(self, workdir: Path, block: str, entries: list[tuple[Any, float, str]]) -> Any:
        """Add a block of results to the spectrum file, as BSMArt does; the parsed block."""
        text = block_text(block, entries)
        with open(workdir / self.spectrum_file, "a") as fh:
            fh.write(text)
        return parse_slha(text, f"{self.name}'s block")


def higgs_count(spec: Mapping[str, Any], key: str, file: str, where: str) -> int | None:
    """BSMArt's ``Neutral Higgs`` / ``Charged Higgs`` of the HiggsBounds-era tools: how many
    scalars (a number, or a list of their PDG codes as HiggsTools takes it); None when absent."""
    value = spec.get(key)
    if value is None or value == []:
        return None
    try:
        count = len(value) if isinstance(value, list) else int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"expected a number of scalars (or a list of their PDG codes), got {value!r}",
                          file=file, where=f"{where}.{key}") from None
    if count < 0:
        raise ConfigError(f"expected a number of scalars, got {value!r}", file=file, where=f"{where}.{key}")
    return count
