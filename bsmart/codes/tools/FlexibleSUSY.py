"""FlexibleSUSY's spectrum generators, as BSMArt runs them:
``<Command> --slha-input-file=<InputFile> --slha-output-file=<OutputFile>``, the output being the
point's spectrum (``OutputFile`` defaults to the run's spectrum file)."""

from __future__ import annotations

from typing import Any, Mapping

from bsmart.codes.external import PLACEHOLDERS, ExternalCode
from bsmart.codes.tools._library import spectrum_generator

KEYS: set[str] = set()


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: dict[str, Any]) -> ExternalCode:
    spectrum_generator("FlexibleSUSY", name, program, ctx)
    if not any(p in " ".join(program["command"]) for p in PLACEHOLDERS):
        program["command"] = [*program["command"], "--slha-input-file={InputFile}", "--slha-output-file={OutputFile}"]
    return ExternalCode(name, **program)
