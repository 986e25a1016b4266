"""The real-code problem: the simsusy MSSM example (inputs/simsusy_mssm.json: M1, M2, m_Hu^2 and
tan(beta) scanned; good = neutralino mass in 100-150 GeV and the LEP chargino bound).

    python benchmarks/simsusy.py [--n 100] [--methods ...] [--seeds 1 2 3]

Needs the simsusy virtual environment of the README (.venv-simsusy). Random's rate is measured
by a real Random run of --random-points points; each MLS method runs until --n good points
(batches of 50, bootstrap 50). Coverage is not computed here (no vectorised truth for a real
code). Prints a markdown table and writes benchmarks/results/simsusy.csv.
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
from tables import RESULTS, command, markdown, median_spread, when_where, write_csv  # noqa: E402

from bsmart.session import run_scan  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
METHODS = ["MLS_DNNC", "MLS_DNNR", "MLS_RFC", "MLS_RFR", "MLS_GBR", "MLS_SVR_RBF", "MLS_SVR_Poly"]


def run(spec: dict) -> tuple[dict, pd.DataFrame, float]:
    with tempfile.TemporaryDirectory(dir=ROOT / "inputs") as tmp:  # the Command is relative to inputs/
        path = Path(tmp) / "input.json"
        spec["Codes"]["simsusy"]["Command"] = spec["Codes"]["simsusy"]["Command"].replace("../", "../../")
        spec["Codes"]["simsusy"]["InputFile"] = "../simsusy/mssm.slha.in"
        path.write_text(json.dumps(spec))
        start = time.perf_counter()
        summary = run_scan(path, output_dir=tmp)
        wall = time.perf_counter() - start
        points = pd.read_csv(Path(tmp) / spec["Setup"]["RunName"] / "all_points.csv").sort_values("ID")
    return summary, points, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--random-points", type=int, default=400)
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[1])
    args = parser.parse_args()
    base = json.loads((ROOT / "inputs" / "simsusy_mssm.json").read_text())
    rows = []
    for method in ["Random", *args.methods]:
        for seed in args.seeds:
            spec = json.loads(json.dumps(base))
            spec["Setup"].update(Seed=seed)
            if method == "Random":
                spec["Setup"].update(Points=args.random_points)
            else:
                spec["Setup"].update(Type=method, Points=args.n)
                spec["Networks"] = {"Bootstrap_Points": 50, "Points_Per_Iteration": 50, "Candidate_Points": 5000,
                                    "Iterations": 100, "Max_Evaluations": 2000, "Epochs": 100}
            summary, points, wall = run(spec)
            if method == "Random":
                rate = summary["good"] / summary["evaluations"]
                hit = round(args.n / rate) if rate else None
            else:
                reached = points["good"].astype(int).cumsum().to_numpy()
                hit = int((reached < args.n).sum()) + 1 if reached[-1] >= args.n else None
            rows.append({"method": method, "seed": seed, "evaluations": summary["evaluations"],
                         "good": summary["good"], "evals_to_n": hit, "valid": summary["valid"],
                         "wall_s": round(wall, 1)})
            print(rows[-1], flush=True)
    write_csv(RESULTS / "simsusy.csv", rows)
    table = [{"method": m, "seeds": len(args.seeds),
              **{key: median_spread([r[key] for r in rows if r["method"] == m], "not reached")
                 for key in ("evals_to_n", "evaluations", "good", "valid", "wall_s")}}
             for m in dict.fromkeys(r["method"] for r in rows)]
    print(f"\n{command()}; N = {args.n}; seeds {args.seeds}; {when_where()}, 2 workers; "
          f"median [min-max] over the seeds. "
          f"Random's evals_to_n is N / its measured rate.\n\n{markdown(table)}")


if __name__ == "__main__":
    main()
