"""Seconds the MLScanner loop spends choosing one batch, against the number of known good points
(the crowding anchors) and the dimension: ``crowding`` of a candidate pool around the known good
points, then ``spread`` picking the batch one point at a time.

    python benchmarks/selection.py [--pool 60000] [--picks 400] [--anchors 1000 10000 50000] [--dims 3 10 30]

Pool, anchors and weights are uniform random numbers in the unit cube; the radius is the loop's
(``exclusion_radius`` with a good fraction of 0.1 and Diversity 0.7). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bsmart.scans.MLScanner.loop import crowding, exclusion_radius, spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=60_000)
    parser.add_argument("--picks", type=int, default=400)
    parser.add_argument("--anchors", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[3, 10, 30])
    args = parser.parse_args()
    print("| dim | known good | pool | picks | radius | crowding s | spread s |")
    print("|---|---|---|---|---|---|---|")
    for dim in args.dims:
        for n_anchors in args.anchors:
            rng = np.random.default_rng(0)
            pool, anchors, weights = rng.random((args.pool, dim)), rng.random((n_anchors, dim)), rng.random(args.pool)
            radius = exclusion_radius(0.1, n_anchors + args.picks, dim, 0.7)
            start = time.perf_counter()
            crowding(pool, anchors, radius)
            middle = time.perf_counter()
            spread(weights, args.picks, pool, anchors, radius)
            end = time.perf_counter()
            print(f"| {dim} | {n_anchors} | {args.pool} | {args.picks} | {radius:.3g} | {middle - start:.2f} | "
                  f"{end - middle:.2f} |", flush=True)


if __name__ == "__main__":
    main()
