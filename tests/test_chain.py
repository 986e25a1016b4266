"""The chained example of docs/mlscanner.md, run as shipped in inputs/chain/ (two workers):
Random -> MLS_DNNC seeded by Random's CSV (InitCSV) -> read_csv re-evaluating MLS_DNNC's good points."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from bsmart.session import run_scan

CHAIN = Path(__file__).resolve().parent.parent / "inputs" / "chain"


def test_random_then_mls_dnnc_then_read_csv(tmp_path: Path) -> None:
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
    replay = run_scan(tmp_path / "3_read_csv.json", output_dir=tmp_path)
    assert replay["evaluations"] == mls["good"] and replay["good"] == mls["good"]  # same code, same verdict
