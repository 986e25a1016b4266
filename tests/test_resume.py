"""Crash safety: a run killed with SIGKILL or stopped with SIGINT/SIGTERM resumes without
re-evaluating any point and ends where an uninterrupted run ends."""

from __future__ import annotations

import json
import os
import shutil
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parent / "data"


def make_input(folder: Path, scan: dict | None = None) -> Path:
    shutil.copy(DATA / "slow_code.py", folder / "slow_code.py")
    spec = {
        "Scan": "Random",
        "Setup": {"RunName": "run", "Cores": 2, "Points": 1500, "Batch_size": 50, "Seed": 3, "Threshold": 1.0},
        "Variables": {"x1": {"RANGE": [0, 31.4]}, "x2": {"RANGE": [0, 31.4]}},
        "Codes": {"slow": {"Function": "slow_code.py:evaluate",
                           "Observables": {"F": {"MEAN": 100, "VARIANCE": 20}}}},
        **(scan or {}),
    }
    path = folder / "input.json"
    path.write_text(json.dumps(spec))
    return path


def bsmart(*args: str, cwd: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bsmart", "run", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs)


def wait_for_rows(csv: Path, rows: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if csv.exists() and csv.read_text().count("\n") > rows:
            return
        time.sleep(0.05)
    raise AssertionError(f"{csv} never reached {rows} rows")


def points(run_dir: Path) -> pd.DataFrame:
    return pd.read_csv(run_dir / "all_points.csv").drop(columns=["seconds"]).sort_values("ID").reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("reference")
    proc = bsmart(str(make_input(folder)), cwd=folder)
    assert proc.wait(120) == 0, proc.stderr.read()
    return points(folder / "run")


def test_sigkill_mid_run_then_resume(tmp_path, reference):
    path = make_input(tmp_path)
    proc = bsmart(str(path), cwd=tmp_path)
    wait_for_rows(tmp_path / "run" / "all_points.csv", 300)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole job, workers included, as a node failure would
    proc.wait(10)
    killed = points(tmp_path / "run")
    assert 300 <= len(killed) < 1500

    again = bsmart(str(path), cwd=tmp_path)  # no --resume: refuses to mix two runs
    assert again.wait(60) == 2
    assert "--resume" in again.stderr.read()

    resumed = bsmart(str(path), "--resume", cwd=tmp_path)
    assert resumed.wait(120) == 0, resumed.stderr.read()
    final = points(tmp_path / "run")
    pd.testing.assert_frame_equal(final, reference)  # same points, each evaluated once
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "finished"
    assert summary["evaluations_this_session"] == 1500 - len(killed)
    good = pd.read_csv(tmp_path / "run" / "good_points.csv")
    assert len(good) == reference["good"].sum() == summary["good"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_writes_what_is_done_and_says_how_to_resume(tmp_path, reference, sig):
    """The run goes to another folder (--output): the command printed to continue names it, and
    run as printed from yet another folder it continues that run (it used to drop --output and
    start a new run in the current folder)."""
    path = make_input(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    proc = bsmart("input.json", "--output", "out", cwd=tmp_path)
    wait_for_rows(tmp_path / "out" / "run" / "all_points.csv", 200)
    os.kill(proc.pid, sig)
    assert proc.wait(30) == 130
    err = proc.stderr.read()
    assert "Traceback" not in err
    command = err.strip().splitlines()[-1].strip()
    assert command == f"bsmart run {path} --output {tmp_path / 'out'} --resume"
    summary = json.loads((tmp_path / "out" / "run" / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert summary["evaluations"] == len(points(tmp_path / "out" / "run"))
    resumed = subprocess.run([sys.executable, "-m", *shlex.split(command)], cwd=tmp_path / "elsewhere",
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    pd.testing.assert_frame_equal(points(tmp_path / "out" / "run"), reference)
    assert not (tmp_path / "elsewhere" / "run").exists()


def test_resume_refuses_a_changed_input(tmp_path):
    path = make_input(tmp_path, {"Setup": {"RunName": "run", "Points": 100, "Seed": 1}})
    assert bsmart(str(path), cwd=tmp_path).wait(60) == 0
    spec = json.loads(path.read_text())
    spec["Variables"]["x1"]["RANGE"] = [0, 10]
    path.write_text(json.dumps(spec))
    proc = bsmart(str(path), "--resume", cwd=tmp_path)
    assert proc.wait(60) == 2
    err = proc.stderr.read().strip()
    assert "Variables" in err and len(err.splitlines()) == 1


def test_mlscanner_run_killed_then_resumed_matches_uninterrupted(tmp_path):
    """The ML loop rebuilds its training set, RNG and iteration count by replaying from disk."""
    mls = {"Scan": "MLS_RFR",
           "Setup": {"RunName": "run", "Cores": 2, "Points": 400, "Seed": 4, "Threshold": 1.0},
           "Networks": {"Bootstrap_Points": 100, "Points_Per_Iteration": 100, "Candidate_Points": 2000,
                        "Iterations": 30, "Estimators": 30}}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    reference = bsmart(str(make_input(tmp_path / "a", mls)), cwd=tmp_path / "a")
    assert reference.wait(120) == 0, reference.stderr.read()
    path = make_input(tmp_path / "b", mls)
    proc = bsmart(str(path), cwd=tmp_path / "b")
    wait_for_rows(tmp_path / "b" / "run" / "all_points.csv", 250)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert len(points(tmp_path / "b" / "run")) < len(points(tmp_path / "a" / "run"))
    resumed = bsmart(str(path), "--resume", cwd=tmp_path / "b")
    assert resumed.wait(120) == 0, resumed.stderr.read()
    pd.testing.assert_frame_equal(points(tmp_path / "b" / "run"), points(tmp_path / "a" / "run"))
    summary = json.loads((tmp_path / "b" / "run" / "summary.json").read_text())
    assert summary["stopped_by"] == "points" and summary["evaluations_this_session"] < summary["evaluations"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_write_waits_for_the_write_to_end(sig):
    """Points written to disk and points counted in summary.json change together."""
    from bsmart.runner import deferred_interrupts

    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # as the CLI installs it
    finished = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with deferred_interrupts():
                os.kill(os.getpid(), sig)
                time.sleep(0.05)
                finished.append(True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert finished == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_spectrum_cut_short_by_a_kill_is_dropped_on_resume(tmp_path: Path) -> None:
    """StoreAllPoints' file holds whole spectra only: one half-written when the run was killed is
    cut off when the run resumes, and the next spectra follow the last whole one."""
    from bsmart.points import EvaluatedPoint
    from bsmart.results import ResultStore

    def point(i: int, valid: bool = True) -> EvaluatedPoint:
        return EvaluatedPoint(i, {"x": float(i)}, {}, {}, 0.0 if valid else 710.0, valid, valid,
                              spectrum=f"BLOCK MASS\n   25   {120 + i}.0\n" if valid else None)

    def store() -> ResultStore:
        return ResultStore(tmp_path, ["x"], [], [], "Out", resume=True, store_spectra=True, store_invalid=True,
                           store_tabbed=True)

    first = store()
    first.append([point(1), point(2, valid=False), point(3)])
    first.close()
    spectra = tmp_path / "Spectrum_Files" / "Out"
    with open(spectra, "a") as fh:
        fh.write("BLOCK MASS\n   25   12")  # the kill came here
    second = store()
    second.append([point(4)])
    second.close()
    assert spectra.read_text().split("ENDOFPARAMETERPOINT\n") == [
        "BLOCK MASS\n   25   121.0\n", "BLOCK MASS\n   25   123.0\n", "BLOCK MASS\n   25   124.0\n", ""]
    invalid = (tmp_path / "Spectrum_Files" / "invalid_Out.csv").read_text().splitlines()
    assert len(invalid) == 2 and invalid[1].startswith("2,2.0,")
    tabbed = [line.split("\t")[:2] for line in (tmp_path / "Spectrum_Files" / "Out.dat").read_text().splitlines()]
    assert tabbed == [["ID", "x"], ["1", "1.0"], ["3", "3.0"], ["4", "4.0"]]  # rewritten on resume, then appended
    assert (tmp_path / "Spectrum_Files" / "invalid_Out.dat").read_text().splitlines()[1].startswith("2\t2.0\t")
