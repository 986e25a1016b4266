"""Scans, found by name: ``bsmart/scans/<Name>.py`` or ``bsmart/scans/MLScanner/<Name>.py``, each
defining ``NewScan`` and ``__meta__``. Short (``MLS_DNNC``) and dotted (``MLScanner.MLS_DNNC``)
names both work, case-insensitively."""

from __future__ import annotations

import ast
import difflib
import importlib
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from bsmart.errors import ConfigError

_ROOT = Path(__file__).parent


def _defines_meta(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_text())
    except (SyntaxError, OSError):
        return False
    return any(isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__meta__"
                                                    for t in node.targets) for node in tree.body)


@lru_cache(maxsize=None)
def available_scans() -> dict[str, str]:
    """Scan id (``Random``, ``MLScanner.MLS_DNNC``) -> module name, without importing them."""
    found = {}
    for path in sorted(_ROOT.rglob("*.py")):
        if path.name.startswith("_") or not _defines_meta(path):
            continue
        rel = path.relative_to(_ROOT).with_suffix("")
        scan_id = ".".join(rel.parts)
        found[scan_id] = f"bsmart.scans.{scan_id}"
    return found


def resolve_scan_id(name: str) -> str:
    scans = available_scans()
    wanted = name.strip().removeprefix("bsmart.scans.").lower()
    for scan_id in scans:
        if wanted in (scan_id.lower(), scan_id.rsplit(".", 1)[-1].lower()):
            return scan_id
    short = [s.rsplit(".", 1)[-1] for s in scans]
    candidates = list(dict.fromkeys(short + list(scans)))  # a top-level scan's short and full names are equal
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; available: {', '.join(short)}"
    raise ConfigError(f"unknown scan '{name}'{hint}", where="Scan")


def load_scan(name: str) -> ModuleType:
    scan_id = resolve_scan_id(name)
    module = importlib.import_module(available_scans()[scan_id])
    if not hasattr(module, "NewScan") or not hasattr(module, "__meta__"):
        raise ConfigError(f"scan module {module.__name__} must define NewScan and __meta__", where="Scan")
    return module
