"""How well the contour scans find a small contour: ContourGP against a Gaussian process fitted
to as many uniform points (the same kernel), and CMAES_ND against CMAES on a ring.

    python benchmarks/contours.py [--seeds 1 2 3]

ContourGP: the likelihood exp(-r^2 / (2 0.3^2)) around (0.5, 0) in [-2, 2]^2, whose contour at 0.5
is the circle of radius 0.353 (2.4 % of the square), 40 evaluations; the table gives the median
and largest distance from the circle of the 400 points of a uniform sample of 20 000 that each
process puts nearest the boundary. CMAES_ND: the ring 2 <= r <= 2.5 in [-5, 5]^2 (CFUNCTION),
1500 evaluations in generations of 20; good points found and the angular sectors (of 12) they fall in.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel

from bsmart.session import run_scan

logging.getLogger("bsmart").setLevel(logging.WARNING)  # the tables only

RADIUS = 0.3 * math.sqrt(2 * math.log(2))


def _run(folder: Path, config: dict) -> Path:
    folder.mkdir(parents=True)
    (folder / "input.json").write_text(json.dumps(config))
    run_scan(folder / "input.json", output_dir=folder)
    return folder / config["Setup"]["RunName"]


def _miss(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    miss = np.abs(np.hypot(x - 0.5, y) - RADIUS)
    return float(np.median(miss)), float(miss.max())


def contour_gp(folder: Path, scan: str, seed: int) -> tuple[float, float]:
    run = _run(folder, {"Scan": scan, "Setup": {"RunName": "B", "Seed": seed, "Threshold": 0.5, "Points": 40},
                        "Variables": {"x": {"RANGE": [-2, 2]}, "y": {"RANGE": [-2, 2]}},
                        "Codes": {"toy_targets": {"Shell center": [0.5, 0], "Observables": {
                            "Shell": {"SCALING": "GAUSS", "MEAN": 0, "VARIANCE": 0.3}}}}})
    if scan == "ContourGP":
        boundary = pd.read_csv(run / "Results" / "boundary.csv")
        return _miss(boundary.x.values, boundary.y.values)
    points = pd.read_csv(run / "all_points.csv")
    kernel = ConstantKernel() * RBF([0.1, 0.1], (0.01, 2.0))
    gp = GaussianProcessRegressor(kernel, alpha=1e-8, normalize_y=True, n_restarts_optimizer=2, random_state=seed)
    gp.fit((points[["x", "y"]].values + 2) / 4, np.exp(-points.NLL.values) - 0.5)
    sample = np.random.default_rng(seed).random((20_000, 2))
    nearest = sample[np.argsort(np.abs(gp.predict(sample)))[:400]] * 4 - 2
    return _miss(nearest[:, 0], nearest[:, 1])


def ring(folder: Path, scan: str, seed: int, novelty: bool = True) -> tuple[int, int]:
    setup = {"RunName": "R", "Seed": seed, "Points": 1500, "CMAESPopulationSize": 20}
    setup.update({"CMAESMaxGenerations": 75, "CMAESNoveltyDetection": novelty} if scan == "CMAES_ND"
                 else {"CMAESEpisodes": 20})
    run = _run(folder, {"Scan": scan, "Setup": setup, "Variables": {"x": {"RANGE": [-5, 5]}, "y": {"RANGE": [-5, 5]}},
                        "Codes": {"toy_targets": {"Observables": {"Shell": {"SCALING": "CFUNCTION", "RANGE": [2, 2.5]}}}}})
    points = pd.read_csv(run / "all_points.csv")
    good = points[points.NLL == 0]
    sectors = np.histogram(np.arctan2(good.y, good.x), bins=12, range=(-np.pi, np.pi))[0]
    return len(good), int(np.count_nonzero(sectors))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    seeds = parser.parse_args(argv).seeds
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("| seed | ContourGP: median, max distance | GP on 40 uniform points |\n|---|---|---|")
        for seed in seeds:
            gp = contour_gp(root / f"gp{seed}", "ContourGP", seed)
            uniform = contour_gp(root / f"uniform{seed}", "Random", seed)
            print(f"| {seed} | {gp[0]:.3f}, {gp[1]:.3f} | {uniform[0]:.3f}, {uniform[1]:.3f} |")
        print("\n| seed | CMAES_ND: good, sectors | novelty off | CMAES, 20 episodes |\n|---|---|---|---|")
        for seed in seeds:
            rows = [ring(root / f"{name}{seed}", scan, seed, novelty)
                    for name, scan, novelty in (("nd", "CMAES_ND", True), ("off", "CMAES_ND", False),
                                                ("cmaes", "CMAES", True))]
            print(f"| {seed} | " + " | ".join(f"{good}, {sectors}" for good, sectors in rows) + " |")


if __name__ == "__main__":
    sys.exit(main())
