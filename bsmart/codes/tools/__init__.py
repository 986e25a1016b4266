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

# BSMArt 2.0.2's other tools (bsmart/tools/ in its wheel): named in Codes, each is refused with a
# line saying so, not with a generic complaint about a missing Command
NOT_YET = ("MadAnalysisAllPAD", "MadAnalysisExpert", "MadGraphHackAnalysis")

_NAMES = sorted((p.stem for p in Path(__file__).parent.glob("*.py") if not p.stem.startswith("_")),
                key=len, reverse=True)  # the longest name first: "SPhenoX" is SPheno's


def not_built_in(code_name: str) -> str | None:
    """Why a code named as one of BSMArt's tools that bsmart does not run yet cannot run; else None."""
    tool = next((t for t in NOT_YET if t.lower() == code_name.lower()), None)
    if tool is None:
        return None
    return (f"BSMArt's {tool} tool is not built into bsmart yet (built in: {', '.join(sorted(_NAMES))}); run its "
            f"program as a \"Command\" (with InputFile, OutputFile and SLHA observables) or wrap it in a Python "
            f"\"Function\" (docs/codes.md)")


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
