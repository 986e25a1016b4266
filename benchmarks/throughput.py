"""Evaluations per second against workers, with a code costing 0.2 s a point, against the ideal.

    python benchmarks/throughput.py [--points 80] [--cost 0.2] [--out benchmarks/results]

Rows: the local process pool with 1, 2 and 4 workers; Dask on a LocalCluster of 2 workers;
and 2 SLURM jobs through dask-jobqueue when a SLURM is up (../shared/slurm-local.sh start).
Prints a markdown table and writes throughput.csv. Wall time includes starting the workers.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from tables import RESULTS, report  # noqa: E402

from bsmart.session import run_scan  # noqa: E402

HERE = Path(__file__).parent


def slurm_is_up() -> bool:
    if shutil.which("sinfo") is None:
        return False
    out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    return out.returncode == 0 and ("idle" in out.stdout or "mix" in out.stdout)


def run_one(workdir: Path, setup: dict, points: int, cost: float) -> dict:
    spec = {
        "Scan": "Random",
        "Setup": {"RunName": "run", "Points": points, "Batch_size": points, "Seed": 1, **setup},
        "Variables": {"a": {"RANGE": [0, 1]}, "b": {"RANGE": [0, 1]}},
        "Codes": {"sleep": {"Function": str(HERE / "sleep_code.py") + ":evaluate", "Settings": {"seconds": cost}}},
    }
    path = workdir / "input.json"
    path.write_text(json.dumps(spec))
    start = time.perf_counter()
    summary = run_scan(path, output_dir=workdir, overwrite=True)
    wall = time.perf_counter() - start
    assert summary["valid"] == points
    return {"wall_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=80)
    parser.add_argument("--cost", type=float, default=0.2)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    configs = [("local", 1, {"Cores": 1}), ("local", 2, {"Cores": 2}), ("local", 4, {"Cores": 4}),
               ("dask LocalCluster", 2, {"Cores": 2, "Backend": "dask"})]
    if slurm_is_up():
        configs.append(("dask SLURM jobs", 2, {"Cores": 2, "Backend": "dask", "Cluster": {
            "Type": "SLURM", "queue": "debug", "cores": 1, "memory": "1GB", "walltime": "00:10:00", "jobs": 2,
            "scheduler_options": {"host": "127.0.0.1"}, "interface": "lo",
            "log_directory": tempfile.mkdtemp(prefix="bsmart-slurm-logs-")}}))
    rows = []
    for backend, workers, setup in configs:
        with tempfile.TemporaryDirectory() as tmp:
            result = run_one(Path(tmp), setup, args.points, args.cost)
        ideal = args.points * args.cost / workers
        rows.append({"backend": backend, "workers": workers, "points": args.points, "wall_s": round(result["wall_s"], 2),
                     "evals_per_s": round(args.points / result["wall_s"], 2),
                     "ideal_evals_per_s": round(workers / args.cost, 2),
                     "efficiency": round(ideal / result["wall_s"], 3)})
    report(Path(args.out) / "throughput.csv", rows,
           f"# Throughput: code cost {args.cost} s/point, {args.points} points, {time.strftime('%Y-%m-%d')}, "
           f"{platform.node()} ({platform.processor() or platform.machine()})")


if __name__ == "__main__":
    main()
