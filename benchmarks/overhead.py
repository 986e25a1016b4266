"""Overhead of the MLScanner methods: seconds to train on n points and to score the candidates,
against n (1k, 10k, 50k), with each method's default settings, on CPU (and on GPU for the DNN
methods where torch sees one).

    python benchmarks/overhead.py [--sizes 1000 10000 50000] [--candidates 20000] [--methods ...]

Training data: n uniform points of the F3d box labelled with the true NLL (and with the value
of F3d, for a method whose default ``Target`` is ``Observables``). Prints a markdown
table and writes benchmarks/results/overhead.csv. A fit that would clearly take minutes (SVR
beyond 10k points: its cost grows as n^2 to n^3) is skipped and marked so.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from problems import F_THRESHOLD, f3d, problems  # noqa: E402
from tables import RESULTS, command, report, when_where  # noqa: E402

from bsmart.likelihood import Observable  # noqa: E402
from bsmart.scans.MLScanner.models import Adapter  # noqa: E402
from bsmart.settings import resolve  # noqa: E402

F3D_OBSERVABLE = {"F3d": Observable("F3d", "GAUSS", mean=100.0, sigma=20.0)}
METHODS = ["MLS_DNNC", "MLS_DNNR", "MLS_RFC", "MLS_RFR", "MLS_GBR", "MLS_SVR_RBF", "MLS_SVR_Poly"]


def devices(method: str) -> list[str]:
    if not method.startswith("MLS_DNN"):
        return ["cpu"]
    import torch
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 50000])
    parser.add_argument("--candidates", type=int, default=20000)
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    problem = problems()["F3d"]
    rng = np.random.default_rng(0)
    candidates = rng.random((args.candidates, problem.dim))
    rows = []
    for method in args.methods:
        module = importlib.import_module(f"bsmart.scans.MLScanner.{method}")
        settings = resolve(module.__meta__["settings"], {})
        for device in devices(method):
            for n in args.sizes:
                row = {"method": method, "device": device, "training_points": n}
                if method.startswith("MLS_SVR") and n > 10_000:
                    rows.append({**row, "train_s": "skipped (O(n^2-n^3) fit)", "score_s": ""})
                    continue
                unit = rng.random((n, problem.dim))
                physical = problem.lower + unit * (problem.upper - problem.lower)
                learner = module.NewScan.learner(settings, 1, device, args.cores)
                learned = F3D_OBSERVABLE if settings.get("Target") == "Observables" else None
                adapter = Adapter(learner, module.NewScan.kind, F_THRESHOLD, learned)
                start = time.perf_counter()
                adapter.fit(unit, problem.true_nll(physical), f3d(physical)[:, None])
                train = time.perf_counter() - start
                start = time.perf_counter()
                adapter.score(candidates)
                score = time.perf_counter() - start
                rows.append({**row, "train_s": round(train, 3), "score_s": round(score, 3)})
                print(rows[-1], flush=True)
    report(RESULTS / "overhead.csv", rows,
           f"{command()}; {when_where()}, {args.cores} threads; scoring {args.candidates} candidates.")


if __name__ == "__main__":
    main()
