"""The one type that flows from the run manager to the results and the scans."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EvaluatedPoint:
    id: int
    variables: dict[str, float]
    observables: dict[str, float] = field(default_factory=dict)
    losses: dict[str, float] = field(default_factory=dict)
    nll: float = float("nan")
    valid: bool = False
    good: bool = False
    error: str | None = None
    iteration: int = 0
    seconds: float = 0.0
    spectrum: str | None = None  # the point's SLHA spectrum as text, when the run stores spectra
    input_text: str | None = None  # the point's input file, when the run stores inputs (StoreInputs)
    undeclared: tuple[tuple[str, str], ...] = ()  # (code, name): values no observable declares (not in the CSVs)
