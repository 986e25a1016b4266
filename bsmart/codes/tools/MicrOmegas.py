"""MicrOmegas, as BSMArt runs it: the program (BSMArt's driver, no arguments) reads the spectrum
in the point's folder and writes ``omg.out``, lines of ``id value # comment`` without a Block
line or the leading space of SLHA entries. They are read as ``Block DARKMATTER`` (``Oh2`` is
``["DARKMATTER", [1]]``, the dark matter candidate's PDG code entry 2), added to the point's
spectrum and appended to the spectrum file, so that later codes and global observables see them.

Keys: ``LSP`` (allowed PDG codes of the dark matter candidate: another one makes the point
invalid), ``Cross-sections`` (runs the driver with ``--xsections``), ``DD_Limits`` (BSMArt's
direct-detection exclusion from omg.out's relic density and nucleon cross sections:
``DARKMATTER 501`` is 1 when allowed, 0 when excluded; see :mod:`._dd_limits`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Mapping, Sequence

from bsmart.codes.base import CodeOutput
from bsmart.codes.external import ExternalCode
from bsmart.codes.tools._dd_limits import allowed
from bsmart.codes.tools._library import parse_pdgs
from bsmart.errors import CodeError
from bsmart.settings import parse_bool
from bsmart.slha import read_slha, section_name, slha_value

KEYS = {"LSP", "Cross-sections", "DD_Limits"}


def as_slha(text: str) -> str:
    """omg.out as SLHA: a Block line, and each entry indented; the Block, DECAY and XSECTION
    sections that BSMArt's cross-section drivers write after the entries stay as they are."""
    return "BLOCK DARKMATTER # MicrOmegas\n" + "".join(
        line if section_name(line) is not None or not line.strip() else f" {line.lstrip()}"
        for line in text.splitlines(True))


class MicrOmegas(ExternalCode):
    def __init__(self, name: str, command: Sequence[str], *, spectrum_file: str | None = None,
                 lsp: Sequence[int] = (), dd_limits: bool = False, **kwargs: Any):
        super().__init__(name, command, **kwargs)
        self.spectrum_file, self.lsp, self.dd_limits = spectrum_file, tuple(lsp), dd_limits

    def read_output(self, path: Path) -> Any:
        return read_slha(path, fix=as_slha)

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        spectrum = workdir / self.spectrum_file if self.spectrum_file else None
        reads = workdir / self.input_file if self.input_file else None
        if spectrum and reads and spectrum != reads and spectrum.is_file():
            shutil.copyfile(spectrum, reads)  # the driver reads its own file name, as in BSMArt
        out = super().run(env, workdir)
        output = workdir / self.output_file
        if self.dd_limits:
            entries = [slha_value(out.slha, "DARKMATTER", (i,)) for i in (3, 1, 201, 203, 202, 204)]
            verdict = allowed(*entries)
            out.slha.blocks["DARKMATTER"][501] = verdict
            with open(output, "a") as fh:
                fh.write(f"501 {verdict:.6E} # BSMArt Direct detection exclusion\n")
        if self.lsp:
            candidate = int(slha_value(out.slha, "DARKMATTER", (2,)))
            if candidate not in self.lsp:
                raise CodeError(f"{self.name}: the dark matter candidate {candidate} is not one of LSP "
                                f"{list(self.lsp)}")
        if spectrum and spectrum != output and spectrum.is_file():  # as BSMArt: later codes read it there
            with open(spectrum, "a") as fh:
                fh.write(as_slha(output.read_text()))
        return out


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> MicrOmegas:
    file, where = ctx["file"], f"Codes.{name}"
    if parse_bool(spec.get("Cross-sections", False), f"{where}.Cross-sections", file):
        program["command"] = [*program["command"], "--xsections"]
    dd_limits = parse_bool(spec.get("DD_Limits", False), f"{where}.DD_Limits", file)
    lsp = parse_pdgs(spec.get("LSP") or [], file, f"{where}.LSP")
    program["output_file"] = program["output_file"] or "omg.out"
    if ctx["cores"] > 1:  # one process per point: MicrOmegas must not fork its own
        program["environment"] = {"nParProc": "0", **program["environment"]}
    return MicrOmegas(name, spectrum_file=ctx["spectrum_file"], lsp=lsp, dd_limits=dd_limits, **program)
