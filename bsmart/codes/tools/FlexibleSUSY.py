"""FlexibleSUSY's spectrum generators, as BSMArt runs them:
``<Command> --slha-input-file=<InputFile> --slha-output-file=<OutputFile>``, the output being the
point's spectrum (``OutputFile`` defaults to the run's spectrum file)."""

from __future__ import annotations

from typing import Any, Mapping

from bsmart.codes.external import PLACEHOLDERS, ExternalCode
from bsmart.codes.tools._library import DEFAULT_SPECTRUM
from bsmart.errors import ConfigError

KEYS: set[str] = set()


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: dict[str, Any]) -> ExternalCode:
    if not program["input_file"]:
        raise ConfigError("FlexibleSUSY needs its SLHA input file (the template of the point's parameters)",
                          file=ctx["file"], where=f"Codes.{name}.InputFile")
    program["output_file"] = program["output_file"] or ctx["spectrum_file"] or DEFAULT_SPECTRUM
    ctx["spectrum_file"] = ctx["spectrum_file"] or program["output_file"]  # what later tools read
    if not any(p in " ".join(program["command"]) for p in PLACEHOLDERS):
        program["command"] = [*program["command"], "--slha-input-file={InputFile}", "--slha-output-file={OutputFile}"]
    return ExternalCode(name, **program)
