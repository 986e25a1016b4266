"""Executors behind the run manager: local process pool, Dask, and (opt-in) SLURM via dask-jobqueue."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from bsmart.session import run_scan

DATA = Path(__file__).parent / "data"
KILL_GRID = [0.1, 0.2, 0.3, 0.42, 0.5, 0.6, 0.7, 0.905, 0.95, 0.97, 0.99]


def write_input(tmp_path: Path, setup: dict, **blocks) -> Path:
    spec = {"Setup": {"RunName": "run", "Cores": 2, **setup}, **blocks}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(spec))
    return path


def kill_input(tmp_path: Path, **setup) -> Path:
    shutil.copy(DATA / "killer.py", tmp_path / "killer.py")
    return write_input(
        tmp_path, {"Batch_size": 100, **setup}, Scan="Grid", Variables={"x": KILL_GRID},
        Codes={"killer": {"Function": "killer.py:evaluate", "Settings": {"marker_dir": str(tmp_path)}}})


def check_killed_workers(run_dir: Path) -> None:
    points = pd.read_csv(run_dir / "all_points.csv")
    assert sorted(points["x"]) == KILL_GRID  # nothing lost, nothing evaluated twice
    by_x = points.set_index("x")
    assert by_x.loc[0.42, "valid"]  # killed once, retried, fine
    assert not by_x.loc[0.905, "valid"]  # kills every worker: invalid with a reason
    assert isinstance(by_x.loc[0.905, "error"], str) and by_x.loc[0.905, "error"]
    assert by_x.drop(index=0.905)["valid"].all()


def test_local_pool_survives_killed_workers(tmp_path):
    run_scan(kill_input(tmp_path), output_dir=tmp_path)
    check_killed_workers(tmp_path / "run")


def random_f2d(tmp_path: Path, **setup) -> Path:
    return write_input(
        tmp_path, {"Points": 300, "Batch_size": 100, "Seed": 7, "Threshold": 1.0, **setup}, Scan="Random",
        Variables={"x1": {"RANGE": [0, 31.4]}, "x2": {"RANGE": [0, 31.4]}},
        Codes={"toy_targets": {"Observables": {"F2d": {"MEAN": 100, "VARIANCE": 20}}}})


def test_dask_backend_matches_local_backend(tmp_path):
    pytest.importorskip("distributed")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    local = run_scan(random_f2d(tmp_path / "a"), output_dir=tmp_path / "a")
    dask = run_scan(random_f2d(tmp_path / "b", Backend="dask"), output_dir=tmp_path / "b")
    assert local["evaluations"] == dask["evaluations"] == 300
    assert local["good"] == dask["good"] > 0
    a = pd.read_csv(tmp_path / "a" / "run" / "all_points.csv")
    b = pd.read_csv(tmp_path / "b" / "run" / "all_points.csv")
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))


def test_dask_backend_survives_killed_workers(tmp_path):
    pytest.importorskip("distributed")
    run_scan(kill_input(tmp_path, Backend="dask"), output_dir=tmp_path)
    check_killed_workers(tmp_path / "run")


def slurm_is_up() -> bool:
    if shutil.which("sinfo") is None:
        return False
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and ("idle" in out.stdout or "mix" in out.stdout)


@pytest.mark.skipif(not slurm_is_up(), reason="no SLURM up (start one with ../shared/slurm-local.sh)")
def test_scan_on_slurm_jobs(tmp_path):
    pytest.importorskip("dask_jobqueue")
    cluster = {"Type": "SLURM", "queue": "debug", "cores": 1, "memory": "1GB", "walltime": "00:10:00", "jobs": 2,
               "log_directory": str(tmp_path / "slurm-logs"),
               "scheduler_options": {"host": "127.0.0.1"}, "interface": "lo"}
    summary = run_scan(random_f2d(tmp_path, Backend="dask", Cluster=cluster), output_dir=tmp_path)
    assert summary["evaluations"] == 300 and summary["valid"] == 300
