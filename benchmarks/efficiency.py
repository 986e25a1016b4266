"""Sample efficiency: expensive evaluations to collect N good points, efficiency and coverage,
for random sampling, every MLS_* method and an oracle bound, on each benchmark problem.

    python benchmarks/efficiency.py --quick          # one seed, small N, a few problems (< 3 min)
    python benchmarks/efficiency.py                  # N = 1000, 3 seeds, every problem and method
    python benchmarks/efficiency.py --problems F3d --methods MLS_DNNC MLS_RFC --seeds 1 2 3

Writes benchmarks/results/efficiency.csv (one row per problem x method x seed),
efficiency.md (median and spread) and efficiency_<problem>.png (good points against
evaluations). Random sampling is not run: its evaluations to N good points are N / p, with the
hit rate p measured on millions of uniform draws of the vectorised true function (the same
draws give the coverage reference). The oracle does rejection sampling on the true function
with the MLS batch sizes: bootstrap, then batches of (1 - Random_Fraction) true good points
plus Random_Fraction random points; no selection rule can do better with those batches.

Coverage: the target region is cut into cells (for d <= 3 a grid of 12 cells a side over the
box, cells that hold any of 20 000 reference good points; for d > 3 the Voronoi cells of 300
reference good points); coverage = fraction of those cells that hold at least one found good
point. "random coverage" is the same for N uniformly drawn good points (what random sampling
would have found), so a method that collapses onto part of the region shows a lower ratio.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from problems import Problem, problems  # noqa: E402
from tables import RESULTS, command, markdown, median_spread, when_where, write_csv  # noqa: E402

from bsmart.errors import BsmartError  # noqa: E402
from bsmart.session import run_scan  # noqa: E402

METHODS = ["MLS_DNNC", "MLS_DNNR", "MLS_RFC", "MLS_RFR", "MLS_GBR", "MLS_SVR_RBF", "MLS_SVR_Poly"]
PPI, RANDOM_FRACTION, BOOTSTRAP, CANDIDATES = 300, 0.2, 100, 20_000
EXTRA = json.loads(__import__("os").environ.get("BSMART_BENCH_NETWORKS", "{}"))


def cells(problem: Problem, reference: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Cell index of each point (see the module docstring)."""
    if problem.dim <= 3:
        unit = (points - problem.lower) / (problem.upper - problem.lower)
        idx = np.clip((unit * 12).astype(int), 0, 11)
        return np.ravel_multi_index(idx.T, (12,) * problem.dim)
    anchors = reference[:300]
    nearest = np.full(len(points), np.inf)
    which = np.zeros(len(points), int)
    for start in range(0, len(anchors), 100):
        d2 = ((points[:, None, :] - anchors[None, start:start + 100, :]) ** 2).sum(-1)
        best = d2.argmin(1)
        better = d2[np.arange(len(points)), best] < nearest
        nearest[better] = d2[np.arange(len(points)), best][better]
        which[better] = best[better] + start
    return which


def coverage(problem: Problem, reference: np.ndarray, found: np.ndarray) -> float:
    region = set(cells(problem, reference, reference).tolist())
    if not len(found):
        return 0.0
    return len(region & set(cells(problem, reference, found).tolist())) / len(region)


def oracle_evaluations(n: int, rate: float) -> int:
    """Evaluations until the n-th good point for rejection sampling on the true function with
    the MLS batches: the bootstrap, then batches whose model share (first in the batch, as in
    the MLS loop) is all good and whose random share finds good points at ``rate``; counted to
    the n-th good point inside the last batch, as the methods' evaluations are."""
    model_share = PPI * (1 - RANDOM_FRACTION)
    need = max(0.0, n - BOOTSTRAP * rate)
    full = math.floor(need / (model_share + PPI * RANDOM_FRACTION * rate))
    rest = need - full * (model_share + PPI * RANDOM_FRACTION * rate)
    last = rest if rest <= model_share else model_share + (rest - model_share) / max(rate, 1e-12)
    return BOOTSTRAP + full * PPI + math.ceil(last)


def run_method(problem: Problem, method: str, n_good: int, seed: int, max_evaluations: int,
               workdir: Path, cores: int) -> dict:
    spec = {
        "Scan": method,
        "Setup": {"RunName": "run", "Points": n_good, "Seed": seed, "Cores": cores},
        "Networks": {"Threshold_Value": problem.threshold, "Points_Per_Iteration": PPI,
                     "Random_Fraction": RANDOM_FRACTION, "Bootstrap_Points": BOOTSTRAP,
                     "Candidate_Points": CANDIDATES, **EXTRA,
                     "Iterations": 10_000, "Max_Evaluations": max_evaluations},
        **problem.input_blocks(),
    }
    path = workdir / "input.json"
    path.write_text(json.dumps(spec))
    start = time.perf_counter()
    try:
        summary = run_scan(path, output_dir=workdir, overwrite=True)
    except BsmartError as exc:
        return {"error": str(exc)}
    wall = time.perf_counter() - start
    points = pd.read_csv(workdir / "run" / "all_points.csv").sort_values("ID")
    cumulative = points["good"].astype(int).cumsum().to_numpy()
    reached = np.flatnonzero(cumulative >= n_good)
    names = [f"x{i + 1}" for i in range(problem.dim)]
    good = points.loc[points["good"].astype(bool), names].to_numpy(float)
    iterations = pd.read_csv(workdir / "run" / "iterations.csv")
    return {
        "evaluations": int(len(points)), "good": int(cumulative[-1]) if len(cumulative) else 0,
        "evals_to_n": int(reached[0] + 1) if len(reached) else None, "wall_s": wall,
        "train_score_s": float(iterations["train_seconds"].sum() + iterations["score_seconds"].sum()),
        "curve": cumulative, "found": good[:n_good],
        "iteration_efficiency": iterations["efficiency"].round(3).tolist(),
        "stopped_by": summary.get("stopped_by"),
    }


def summarise(rows: list[dict]) -> list[dict]:
    table = []
    keys = sorted({(r["problem"], r["method"]) for r in rows}, key=lambda k: (k[0], k[1] != "oracle",
                                                                             k[1] != "random", k[1]))
    for problem, method in keys:
        group = [r for r in rows if r["problem"] == problem and r["method"] == method]
        def stat(key: str) -> str:
            return median_spread([r.get(key) for r in group], "not reached" if key == "evals_to_n" else "-")
        reached = sum(r.get("evals_to_n") not in (None, "") for r in group)
        table.append({"problem": problem, "method": method, "seeds": len(group),
                      "reached N": f"{reached}/{len(group)}", "evals to N": stat("evals_to_n"),
                      "efficiency": stat("efficiency"), "coverage": stat("coverage"),
                      "random coverage": stat("random_coverage"), "train+score s": stat("train_score_s"),
                      "wall s": stat("wall_s")})
    return table


def plot(curves: dict[str, dict[str, np.ndarray]], rates: dict[str, float], n_good: int,
         name: str) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for problem, by_method in curves.items():
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for method, curve in by_method.items():
            ax.plot(np.arange(1, len(curve) + 1), curve, label=method)
        longest = max((len(c) for c in by_method.values()), default=1)
        x = np.arange(1, longest + 1)
        ax.plot(x, rates[problem] * x, color="k", ls=":", label="random sampling (expected)")
        ax.axhline(n_good, color="0.5", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xlabel("expensive evaluations")
        ax.set_ylabel("good points found")
        ax.set_title(f"{problem}: good points against evaluations (first seed)")
        ax.legend(fontsize="small")
        fig.tight_layout()
        path = RESULTS / f"{name}_{problem}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, N = 200, F3d and shell10d, 4 methods")
    parser.add_argument("--problems", nargs="+")
    parser.add_argument("--methods", nargs="+")
    parser.add_argument("--seeds", nargs="+", type=int)
    parser.add_argument("--n", type=int, help="good points to collect (default 1000; 200 quick)")
    parser.add_argument("--max-evaluations", type=int, default=30_000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--name", help="stem of the output files (default: efficiency, or efficiency_quick)")
    args = parser.parse_args()
    all_problems = problems()
    chosen = args.problems or (["F3d", "shell10d"] if args.quick else list(all_problems))
    methods = args.methods or (["MLS_SVR_RBF", "MLS_RFR", "MLS_GBR", "MLS_DNNC"] if args.quick else METHODS)
    seeds = args.seeds or ([1] if args.quick else [1, 2, 3])
    n_good = args.n or (200 if args.quick else 1000)
    name = args.name or ("efficiency_quick" if args.quick else "efficiency")
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows, curves = [], {}
    started = time.time()
    for problem_name in chosen:
        problem = all_problems[problem_name]
        # many reference points to find every grid cell of the region; 300 Voronoi anchors above 3d
        reference, rate = problem.good_sample(np.random.default_rng(12345), 20_000 if problem.dim <= 3 else 300,
                                              max_draws=10_000_000)
        random_cov = [coverage(problem, reference, problem.good_sample(np.random.default_rng(s), n_good,
                                                                        max_draws=10_000_000)[0])
                      for s in seeds]
        base = {"problem": problem_name, "random_rate": rate}
        rows.append({**base, "method": "random", "seed": "", "evals_to_n": round(n_good / rate) if rate else None,
                     "efficiency": rate, "coverage": statistics.median(random_cov),
                     "random_coverage": statistics.median(random_cov)})
        rows.append({**base, "method": "oracle", "seed": "", "evals_to_n": oracle_evaluations(n_good, rate),
                     "efficiency": n_good / oracle_evaluations(n_good, rate)})
        curves[problem_name] = {}
        for method in methods:
            for seed, rcov in zip(seeds, random_cov):
                with tempfile.TemporaryDirectory() as tmp:
                    result = run_method(problem, method, n_good, seed, args.max_evaluations, Path(tmp), args.cores)
                if "error" in result:
                    rows.append({**base, "method": method, "seed": seed, "error": result["error"]})
                    continue
                if seed == seeds[0]:
                    curves[problem_name][method] = result["curve"]
                rows.append({**base, "method": method, "seed": seed, "evals_to_n": result["evals_to_n"],
                             "evaluations": result["evaluations"], "good": result["good"],
                             "efficiency": result["good"] / result["evaluations"],
                             "coverage": coverage(problem, reference, result["found"]), "random_coverage": rcov,
                             "train_score_s": result["train_score_s"], "wall_s": result["wall_s"],
                             "stopped_by": result["stopped_by"],
                             "iteration_efficiency": " ".join(map(str, result["iteration_efficiency"]))})
                print(f"{problem_name:14s} {method:13s} seed {seed}: evals to {n_good} good = {result['evals_to_n']}, "
                      f"coverage {rows[-1]['coverage']:.2f} (random {rcov:.2f}), {result['wall_s']:.0f} s",
                      flush=True)
            write_outputs(rows, curves, name, n_good, seeds, args.cores, started)  # after each method


def write_outputs(rows: list[dict], curves: dict, name: str, n_good: int, seeds: list[int], cores: int,
                  started: float) -> None:
    fields = sorted({k for r in rows for k in r}, key=lambda k: (k not in ("problem", "method", "seed"), k))
    write_csv(RESULTS / f"{name}.csv", rows, fields)
    table = summarise(rows)
    header = (f"{command()}; N = {n_good}; seeds {seeds}; {when_where()}, {cores} workers; "
              f"{time.time() - started:.0f} s in all.")
    text = header + "\n\n" + markdown(table) + "\n"
    (RESULTS / f"{name}.md").write_text(text)
    print("\n" + text)
    rates = {r["problem"]: r["random_rate"] for r in rows if r["method"] == "random"}
    for path in plot(curves, rates, n_good, name):
        print(path)


if __name__ == "__main__":
    main()
