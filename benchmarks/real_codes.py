"""The real-code problems: the example inputs that run a real spectrum generator.

    python benchmarks/real_codes.py --code simsusy [--n 100] [--methods ...] [--seeds 1 2 3]
    python benchmarks/real_codes.py --code softsusy [--n 200] [--methods ...] [--seeds 1 2 3]

simsusy: inputs/simsusy_mssm.json (M1, M2, m_Hu^2 and tan(beta) scanned; good = neutralino mass
in 100-150 GeV and the LEP chargino bound); needs the simsusy virtual environment of the README
(.venv-simsusy). softsusy: inputs/softsusy_cmssm.json (the CMSSM: m0, m12, A0, tan(beta); good =
m_h within 2 GeV of 125.1 and a neutralino LSP); SOFTSUSY is built with
third_party/softsusy/build.sh (cached). Random's rate is measured by a real Random run of
--random-points points; each MLS method runs until --n good points (batches of 50, bootstrap
50). Coverage is not computed here (no vectorised truth for a real code). Prints a markdown
table and writes benchmarks/results/<code>.csv.
"""

from __future__ import annotations

import argparse
import json
import subprocess
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


CODES = {  # --code: its example input, and how the copy in a folder below inputs/ finds its files
    "simsusy": ("simsusy_mssm.json", "simsusy", "simsusy/mssm.slha.in"),
    "softsusy": ("softsusy_cmssm.json", "SOFTSUSY", "softsusy/cmssm.slha.in"),
}


def softpoint() -> str:
    built = subprocess.run(["bash", str(ROOT / "third_party" / "softsusy" / "build.sh")], capture_output=True,
                           text=True, check=True)
    return built.stdout.strip().splitlines()[-1]


def run(spec: dict, code: str) -> tuple[dict, pd.DataFrame, float]:
    with tempfile.TemporaryDirectory(dir=ROOT / "inputs") as tmp:  # the Command is relative to inputs/
        path = Path(tmp) / "input.json"
        _, name, template = CODES[code]
        program = spec["Codes"][name]
        program["Command"] = softpoint() if code == "softsusy" else program["Command"].replace("../", "../../")
        program["InputFile"] = f"../{template}"
        path.write_text(json.dumps(spec))
        start = time.perf_counter()
        summary = run_scan(path, output_dir=tmp)
        wall = time.perf_counter() - start
        points = pd.read_csv(Path(tmp) / spec["Setup"]["RunName"] / "all_points.csv").sort_values("ID")
    return summary, points, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", choices=sorted(CODES), default="simsusy")
    parser.add_argument("--n", type=int, default=None, help="good points to reach (simsusy 100, softsusy 200)")
    parser.add_argument("--random-points", type=int, default=None, help="Random's points (simsusy 400, softsusy 800)")
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[1])
    args = parser.parse_args()
    args.n = args.n or (200 if args.code == "softsusy" else 100)
    args.random_points = args.random_points or (800 if args.code == "softsusy" else 400)
    base = json.loads((ROOT / "inputs" / CODES[args.code][0]).read_text())
    base.pop("Networks", None)  # the example's own ML settings: the benchmark's below, the same for each method
    rows = []
    for method in ["Random", *args.methods]:
        for seed in args.seeds:
            spec = json.loads(json.dumps(base))
            spec.pop("Scan", None)
            spec["Setup"].update(Seed=seed)
            if args.code == "softsusy":
                spec["Setup"]["Threshold"] = 0.5  # the example's Threshold_Value: |m_h - 125.1| < 2 GeV
            if method == "Random":
                spec["Setup"].update(Type="Random", Points=args.random_points)
            else:
                spec["Setup"].update(Type=method, Points=args.n)
                spec["Networks"] = {"Bootstrap_Points": 50, "Points_Per_Iteration": 50, "Candidate_Points": 5000,
                                    "Iterations": 100, "Max_Evaluations": 2000, "Epochs": 100}
            summary, points, wall = run(spec, args.code)
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
    write_csv(RESULTS / f"{args.code}.csv", rows)
    table = [{"method": m, "seeds": len(args.seeds),
              **{key: median_spread([r[key] for r in rows if r["method"] == m], "not reached")
                 for key in ("evals_to_n", "evaluations", "good", "valid", "wall_s")}}
             for m in dict.fromkeys(r["method"] for r in rows)]
    print(f"\n{command()}; N = {args.n}; seeds {args.seeds}; {when_where()}, 2 workers; "
          f"median [min-max] over the seeds. "
          f"Random's evals_to_n is N / its measured rate.\n\n{markdown(table)}")


if __name__ == "__main__":
    main()
