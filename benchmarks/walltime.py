"""Wall time of whole MLScanner scans with a code that costs 0.1 s a point on 2 workers,
against the ideal (evaluations x 0.1 s / workers), and the share of training and scoring.

    python benchmarks/walltime.py [--cost 0.1] [--points 300] [--methods MLS_RFR ...]

The last column extrapolates the same run to a code costing 1 s a point:
(train + score) / (train + score + evaluations x 1 s / workers).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from problems import F_THRESHOLD, TEN_PI  # noqa: E402
from tables import RESULTS, command, report, when_where  # noqa: E402

from bsmart.session import run_scan  # noqa: E402

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cost", type=float, default=0.1)
    parser.add_argument("--points", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--methods", nargs="+", default=["MLS_SVR_RBF", "MLS_RFR", "MLS_RFC", "MLS_DNNC", "MLS_GBR"])
    args = parser.parse_args()
    rows = []
    for method in args.methods:
        spec = {
            "Scan": method,
            "Setup": {"RunName": "run", "Points": args.points, "Seed": 1, "Cores": args.workers},
            "Networks": {"Threshold_Value": F_THRESHOLD, "Candidate_Points": 20000, "Iterations": 50},
            "Variables": {f"x{i}": {"RANGE": [-TEN_PI, TEN_PI]} for i in (1, 2, 3)},
            "Codes": {"slow": {"Function": str(HERE / "slow_f3d.py") + ":evaluate", "Settings": {"seconds": args.cost},
                               "Observables": {"F3d": {"MEAN": 100, "VARIANCE": 20}}}},
        }
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "input.json"
            path.write_text(json.dumps(spec))
            start = time.perf_counter()
            summary = run_scan(path, output_dir=tmp)
            wall = time.perf_counter() - start
            iterations = pd.read_csv(Path(tmp) / "run" / "iterations.csv")
        ml = float(iterations["train_seconds"].sum() + iterations["score_seconds"].sum())
        n = summary["evaluations"]
        ideal = n * args.cost / args.workers
        rows.append({"method": method, "evaluations": n, "good": summary["good"], "wall_s": round(wall, 1),
                     "ideal_s": round(ideal, 1), "wall/ideal": round(wall / ideal, 2),
                     "train+score_s": round(ml, 2), "share_of_wall": round(ml / wall, 3),
                     "share_if_1s_code": round(ml / (ml + n * 1.0 / args.workers), 3)})
        print(rows[-1], flush=True)
    report(RESULTS / "walltime.csv", rows,
           f"{command()}; code cost {args.cost} s/point, {args.workers} workers, Points {args.points}; "
           f"{when_where()}.")


if __name__ == "__main__":
    main()
