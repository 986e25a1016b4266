"""Output shared by the benchmark scripts: a CSV file and a markdown table on stdout."""

from __future__ import annotations

import csv
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Sequence

RESULTS = Path(__file__).parent / "results"


def command() -> str:
    """The command line that is running, as the tables quote it."""
    return f"Command: `python benchmarks/{Path(sys.argv[0]).name} {' '.join(sys.argv[1:])}`"


def when_where() -> str:
    """Today's date and this machine's name, for the tables' headlines."""
    return f"{time.strftime('%Y-%m-%d')}; {platform.node()}"


def median_spread(values: Sequence[float | None], missing: str = "-") -> str:
    """'median [min-max]' of the values that are there (the median alone for one); ``missing``
    when there is none."""
    numbers = [float(v) for v in values if v not in (None, "")]
    if not numbers:
        return missing
    spread = f" [{min(numbers):.3g}-{max(numbers):.3g}]" if len(numbers) > 1 else ""
    return f"{statistics.median(numbers):.4g}{spread}"


def markdown(rows: Sequence[dict]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row.get(h, "")) for h in header) + " |" for row in rows]
    return "\n".join(lines)


def write_csv(path: Path, rows: Sequence[dict], fields: Sequence[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields or rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def report(path: Path, rows: Sequence[dict], headline: str) -> None:
    """Write ``rows`` to the CSV ``path`` and print the headline and the markdown table."""
    write_csv(path, rows)
    print(f"\n{headline}\n\n{markdown(rows)}")
