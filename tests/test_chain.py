"""The chained example of docs/mlscanner.md, run as shipped in inputs/chain/ (two workers):
Random -> MLS_DNNC seeded by Random's CSV (InitCSV) -> MCMC chains started at MLS_DNNC's good points
-> read_csv re-evaluating the chains' states."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from bsmart.session import run_scan

CHAIN = Path(__file__).resolve().parent.parent / "inputs" / "chain"


def test_random_then_mls_dnnc_then_mcmc_then_read_csv(tmp_path: Path) -> None:
    for path in CHAIN.glob("*.json"):
        shutil.copy(path, tmp_path)
    random = run_scan(tmp_path / "1_random.json", output_dir=tmp_path)
    assert random["cores"] == 2 and random["evaluations"] == 1000
    mls = run_scan(tmp_path / "2_mls_dnnc.json", output_dir=tmp_path)
    assert mls["initcsv_points"] == 1000 and mls["stopped_by"] == "points" and mls["good"] >= 300
    # seeded by 1000 known points, the first model batch is already far better than random
    with open(tmp_path / "Chain_2_MLS_DNNC" / "iterations.csv", newline="") as fh:
        first = list(csv.DictReader(fh))[1]
    assert float(first["efficiency"]) > 3 * random["good"] / random["evaluations"]
    mcmc = run_scan(tmp_path / "3_mcmc.json", output_dir=tmp_path)
    with open(tmp_path / "Chain_3_MCMC" / "Results" / "MCMC_results", newline="") as fh:
        states = list(csv.DictReader(fh))
    with open(tmp_path / "Chain_2_MLS_DNNC" / "good_points.csv", newline="") as fh:
        seeds = {(r["x1"], r["x2"], r["x3"]) for r in csv.DictReader(fh)}
    assert mcmc["chains"] == 8 and len(states) == mcmc["states"] and {s["Chain"] for s in states} == set("01234567")
    starts = [next(s for s in states if s["Chain"] == str(k)) for k in range(8)]
    assert all((s["x1"], s["x2"], s["x3"]) in seeds for s in starts)  # every chain starts at a good point of MLS
    # the chains stay on the shells: a third of their weight is on good points (|F3d - 100| < 9.2, where
    # the posterior, of width 20, has 0.35 of its mass), where Random's points are good 0.04 of the time
    weight_good = sum(int(s["Weight"]) for s in states if -float(s["LogLike"]) < 0.1053)
    assert weight_good > 0.25 * sum(int(s["Weight"]) for s in states)
    replay = run_scan(tmp_path / "4_read_csv.json", output_dir=tmp_path)
    good_states = sum(-float(s["LogLike"]) < 0.1053 for s in states)
    assert replay["evaluations"] == len(states) and replay["good"] == good_states  # same code, same verdict
