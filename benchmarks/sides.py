"""How well MLS_DNNC's side networks (Target "Observables") place a thin good region from
uniform points alone, against a classifier of good points (Target "Good") on the same points.

    python benchmarks/sides.py [--problem F3d] [--points 1000 3000] [--seed 1]

Each network is trained once on N uniform points; on 200 000 fresh uniform points the table
gives the share of the box each calls good (probability >= 1/2), how many of those are good
(precision) and how many of all good points they hold (recall).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from problems import f3d, problems  # noqa: E402

from bsmart.likelihood import Observable  # noqa: E402
from bsmart.scans.MLScanner.models import Adapter, TorchMLP  # noqa: E402

VALUES = {"F3d": f3d, "shell10d": lambda x: np.linalg.norm(x, axis=1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="F3d", choices=sorted(VALUES))
    parser.add_argument("--points", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    problem = problems()[args.problem]
    name, spec = next(iter(problem.observables.items()))
    observables = {name: Observable(name, "GAUSS", spec["MEAN"], spec["VARIANCE"])}
    rng = np.random.default_rng(args.seed)
    test = problem.uniform(rng, 200_000)
    truth = problem.true_nll(test) < problem.threshold
    print("| points | target | share called good | precision | recall |")
    print("|---|---|---|---|---|")
    for n in args.points:
        x = problem.uniform(rng, n)
        nll = problem.true_nll(x)
        for target, learned in (("Good", None), ("Observables", observables)):
            adapter = Adapter(TorchMLP("classification", seed=args.seed, device="cpu"), "classifier",
                              problem.threshold, learned)
            adapter.fit(problem.to_unit(x), nll, nll < problem.threshold, VALUES[args.problem](x)[:, None])
            called = adapter.predicted_good(problem.to_unit(test))
            precision = truth[called].mean() if called.any() else 0.0
            print(f"| {n} | {target} | {called.mean():.4f} | {precision:.3f} | {called[truth].mean():.3f} |")


if __name__ == "__main__":
    main()
