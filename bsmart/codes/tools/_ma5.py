"""MadAnalysis5's files that MadAnalysisAllPAD reads: the PADs' lists of analyses (a recasting
card is made from them) and the CLs summary of a recast run."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

PADS = (("PADForSFS", "vSFS"), ("PAD", "v1.2"))  # BSMArt's order: the PAD's entry wins


def pad_analyses(ma5: Path) -> dict[str, str]:
    """The recasting card's line after each analysis' name, for every analysis that the PADs
    installed in ``ma5``'s tools list in their Input/recast_config.dat."""
    known = {}
    for pad, version in PADS:
        config = ma5 / "tools" / pad / "Input" / "recast_config.dat"
        for line in config.read_text(errors="replace").splitlines() if config.is_file() else []:
            parts = line.split("|")
            if not line.startswith("#") and len(parts) == 2:
                known.update({a: f"{version}    on    {parts[0].strip()}" for a in parts[1].split()})
    return known


def recast_card(analyses: Sequence[str], known: dict[str, str]) -> str:
    """A recasting card that runs ``analyses`` (each one of ``pad_analyses``)."""
    return "".join(f"{a}    {known[a]}   #\n" for a in analyses)


def best_region(summary: Path) -> tuple[str, str, float, float]:
    """(analysis, region, CLs, sigma95) of the best region of a CLs_output_summary.dat: the
    smallest positive sigma95 among the lines MadAnalysis marks best."""
    best = ("None", "None", 0.0, -1.0)
    for line in summary.read_text(errors="replace").splitlines():
        words = line.split()
        if line.strip().startswith("#") or len(words) < 7 or words[3] != "1":
            continue
        try:
            found = (words[1], words[2], float(words[6]), float(words[5]))
        except ValueError:
            continue
        if best[0] == "None" or 0 < found[3] < best[3] or best[3] <= 0 < found[3]:
            best = found
    return best
