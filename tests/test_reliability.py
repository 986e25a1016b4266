"""Long and failing runs: bounded memory over 100 000 evaluations, and a run where every point
fails ends with one line of reasons."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd


def run_cli(tmp_path: Path, spec: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(spec))
    return subprocess.run([sys.executable, "-m", "bsmart", "run", str(path)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)


def test_100k_evaluations_bounded_memory(tmp_path):
    path = tmp_path / "input.json"
    path.write_text(json.dumps({
        "Scan": "Random", "Setup": {"RunName": "load", "Cores": 2, "Points": 100_000, "Batch_size": 2000,
                                    "Seed": 5, "Threshold": 1.0},
        "Variables": {"x1": {"RANGE": [0, 31.4]}, "x2": {"RANGE": [0, 31.4]}},
        "Codes": {"toy_targets": {"Observables": {"F2d": {"MEAN": 100, "VARIANCE": 20}}}}}))
    # a fresh parent, so that the peak RSS is that of this run's processes alone
    wrapper = ("import resource, subprocess, sys; "
               "done = subprocess.run([sys.executable, '-m', 'bsmart', 'run', sys.argv[1], '--quiet']); "
               "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", wrapper, str(path)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    returncode, peak_kib = map(int, done.stdout.split())
    assert returncode == 0, done.stderr
    print(f"peak RSS of the bsmart process or a worker: {peak_kib / 1024:.0f} MiB")
    assert peak_kib / 1024 < 400  # nothing grows with the number of points
    points = pd.read_csv(tmp_path / "load" / "all_points.csv")
    assert len(points) == 100_000 and points["ID"].is_unique and points["valid"].all()


def test_every_point_failing_ends_in_one_line(tmp_path):
    done = run_cli(tmp_path, {
        "Scan": "Random", "Setup": {"RunName": "fail", "Points": 12, "Cores": 2},
        "Variables": {"x": {"RANGE": [0, 1]}},
        "Codes": {"bad": {"Command": "false", "OutputFile": "out.slha",
                          "Observables": {"m": {"SLHA": ["MASS", [25]], "MEAN": 125, "VARIANCE": 2}}}}})
    assert done.returncode == 2
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("bsmart: error:")]
    assert len(error_lines) == 1 and "Traceback" not in done.stderr
    assert "every one of the 12 evaluated points failed" in error_lines[0]
    assert "bad exited with status 1" in error_lines[0]
    summary = json.loads((tmp_path / "fail" / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["failures"] == {"bad exited with status 1": 12}
    assert len(pd.read_csv(tmp_path / "fail" / "all_points.csv")) == 12  # still stored
