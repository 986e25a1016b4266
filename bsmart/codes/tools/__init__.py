"""BSMArt's built-in tools, found by the name a BSMArt file gives the code in ``Codes`` (the key
is the tool's name there: ``"MicrOmegas": {...}``, any case). A tool that sets ``PREFIX = True``
also takes longer names that start with its own (``SPhenoMSSM``).

A tool module defines ``KEYS`` (the keys it reads besides the common ones of a program, which
the config parses) and ``build(name, spec, program, ctx) -> Code``, where ``program`` holds the
parsed common arguments of an :class:`~bsmart.codes.external.ExternalCode` and ``ctx`` the
file, the warnings list and the run's spectrum file and cores. A tool that is a Python library
(no program to run) sets ``NEEDS_COMMAND = False`` and gets the common code arguments instead
(observables, conditions, timeout). A tool owns its keys: the config never branches on a
tool's name. User tools (``Tools/<Name>.py`` next to the input) are in :mod:`._user_tool`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

_NAMES = sorted((p.stem for p in Path(__file__).parent.glob("*.py") if not p.stem.startswith("_")),
                key=len, reverse=True)  # the longest name first: "SPhenoX" is SPheno's


def find_tool(code_name: str) -> ModuleType | None:
    """The tool module for a code's name, or None for a plain program."""
    lowered = code_name.lower()
    for name in _NAMES:
        if lowered == name.lower():
            return importlib.import_module(f"{__name__}.{name}")
        if lowered.startswith(name.lower()):
            module = importlib.import_module(f"{__name__}.{name}")
            if getattr(module, "PREFIX", False):
                return module
    return None
