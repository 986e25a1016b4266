"""SPheno: a plain program that takes its input and output files as arguments."""

from __future__ import annotations

from typing import Any, Mapping

from bsmart.codes.external import PLACEHOLDERS, ExternalCode

KEYS: set[str] = set()
PREFIX = True  # SPhenoMSSM, SPheno_SQQ: SPheno builds one program per model


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> ExternalCode:
    command = program["command"]
    if program["input_file"] and program["output_file"] and not any(p in " ".join(command) for p in PLACEHOLDERS):
        program["command"] = [*command, *PLACEHOLDERS]  # SPheno INPUT OUTPUT, as BSMArt runs it
    return ExternalCode(name, **program)
