"""The ML overhead of a long MLScanner run with a cheap code: seconds of training and of
candidate scoring + selection per 1000 evaluations, in windows of the run, and peak memory.

    python benchmarks/scale.py [--method MLS_RFR] [--evaluations 1000 10000 100000] [--out benchmarks/results]

Each run is ``bsmart run`` of inputs/mls_rfr_f3d.json (F3d, 2 workers, Candidate_Points 20 000,
batches of 300) with ``Points`` 10^6 and ``--max-evaluations N``, in a subprocess under
``/usr/bin/time -v`` (its peak resident memory; the workers' are not included). The windows
(evaluations 0-1000, 1000-10 000, 10 000-100 000, then the whole run) come from the run's
iterations.csv, so the 100 000 run gives every row its later windows. Writes scale.csv and
prints a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from tables import RESULTS, command, report, when_where  # noqa: E402

INPUT = Path(__file__).parent.parent / "inputs" / "mls_rfr_f3d.json"


def run(method: str, evaluations: int, workdir: Path) -> dict:
    spec = json.loads(INPUT.read_text())
    spec.update({"Scan": method})
    spec["Setup"].update({"Points": 10 ** 6, "RunName": "scale"})
    path = workdir / f"{method}_{evaluations}.json"
    path.write_text(json.dumps(spec))
    out = workdir / f"out_{method}_{evaluations}"
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "bsmart", "run", str(path), "--quiet",
                           "--max-evaluations", str(evaluations), "--output", str(out)],
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    with open(out / "scale" / "iterations.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {"rows": rows, "wall": wall, "peak_mb": int(peak.group(1)) / 1024 if peak else float("nan")}


def window(rows: list[dict], low: int, high: int) -> dict:
    """Training and scoring seconds per 1000 evaluations over the batches ending in (low, high]."""
    inside = [r for r in rows if low < int(r["total_evaluated"]) <= high and int(r["iteration"]) > 0]
    evaluated = sum(int(r["evaluated"]) for r in inside)
    train = sum(float(r["train_seconds"]) for r in inside)
    score = sum(float(r["score_seconds"]) for r in inside)
    per = 1000 / evaluated if evaluated else float("nan")
    return {"evaluations": f"{low}-{high}", "train_s_per_1000": round(train * per, 2),
            "select_s_per_1000": round(score * per, 2), "ml_ms_per_evaluation": round((train + score) * per, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="MLS_RFR")
    parser.add_argument("--evaluations", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.evaluations:
            result = run(args.method, n, Path(tmp))
            rows = result["rows"]
            good = int(rows[-1]["total_good"])
            bounds = [0] + [b for b in (1000, 10000, 100000) if b < n] + [n]
            # the windows, then the whole run (issue 12's 2 ms per evaluation is over the run)
            for low, high in list(zip(bounds, bounds[1:])) + ([(0, n)] if len(bounds) > 2 else []):
                table.append({"run": n, "good": good, "wall_s": round(result["wall"], 1),
                              "peak_mb": round(result["peak_mb"]), **window(rows, low, high)})
    report(args.out / "scale.csv", table, f"{command()}; {args.method}; {when_where()}")


if __name__ == "__main__":
    main()
