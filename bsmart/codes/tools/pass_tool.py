"""BSMArt's pass_tool: no program; it writes the point's ``InputFile`` from the template (a
parameter card, say) and reads the run's spectrum file (``Setup.Spectrum File``, else that
card), so that observables and StoreAllPoints see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.base import Code, CodeOutput
from bsmart.codes.tools._library import DEFAULT_SPECTRUM, read_spectrum

KEYS: set[str] = set()
RUNS_PROGRAM = False


class pass_tool(Code):  # noqa: N801 - BSMArt's tool name, shown in messages
    kind = "tool"
    needs_workdir = True
    writes_slha = True

    def __init__(self, name: str, *, spectrum_file: str, input_file: str | None, template: Any, **common: Any):
        super().__init__(name, **common)
        self.spectrum_file, self.input_file, self.template = spectrum_file, input_file, template

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        self.write_input(env, workdir)
        return CodeOutput(slha=read_spectrum(self.name, workdir / self.spectrum_file))


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> pass_tool:
    spectrum = ctx["spectrum_file"] or program["output_file"] or program["input_file"] or DEFAULT_SPECTRUM
    return pass_tool(name, spectrum_file=spectrum, input_file=program["input_file"], template=program["template"],
                     observables=program["observables"], conditions=program["conditions"], timeout=program["timeout"])
