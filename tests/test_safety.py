"""Safe on a shared machine: no folder deleted that bsmart did not make, one run per folder, no
code run from model files, and every fault of a code contained to its point."""

from __future__ import annotations

import csv
import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bsmart.cli import main as cli_main
from conftest import DATA, run_cli, write_json

TOY = {"Scan": "Random", "Setup": {"RunName": "run", "Points": 20, "Seed": 1},
       "Variables": {"x1": {"RANGE": [0, 31.4]}, "x2": {"RANGE": [0, 31.4]}},
       "Codes": {"toy_targets": {"Observables": {"F2d": {"MEAN": 100, "VARIANCE": 20}}}}}


def toy(run_name: str, **setup) -> dict:
    return {**TOY, "Setup": {**TOY["Setup"], "RunName": run_name, **setup}}


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def one_line_error(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("bsmart: error:")]
    assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out waiting"
        time.sleep(0.05)


# -- the run folder ----------------------------------------------------------------------

@pytest.mark.parametrize("run_name", [".", "./", "inputs", "inputs/.."])
def test_overwrite_never_deletes_the_current_or_the_input_folder(tmp_path, run_name):
    (tmp_path / "inputs").mkdir()
    precious = [tmp_path / "precious.txt", tmp_path / "inputs" / "notes.txt"]
    for path in precious:
        path.write_text("a week of work")
    path = write_json(tmp_path / "inputs" / "in.json", toy(run_name))
    error = one_line_error(run_cli("run", str(path), "--overwrite", cwd=tmp_path))
    assert "must name a folder of its own" in error or "must be a relative folder name" in error
    assert all(p.read_text() == "a week of work" for p in precious)


def test_overwrite_only_replaces_a_folder_bsmart_made(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "thesis.tex").write_text("chapter 1")
    path = write_json(tmp_path / "in.json", toy("results"))
    error = one_line_error(run_cli("run", str(path), "--overwrite", cwd=tmp_path))
    assert "holds files that bsmart did not write" in error
    assert (tmp_path / "results" / "thesis.tex").read_text() == "chapter 1"
    assert not (tmp_path / "results" / ".bsmart").exists()  # nothing written either

    path = write_json(tmp_path / "in.json", toy("mine"))
    assert run_cli("run", str(path), cwd=tmp_path).returncode == 0
    (tmp_path / "mine" / "old_plot.png").write_text("x")
    assert run_cli("run", str(path), "--overwrite", "--seed", "2", cwd=tmp_path).returncode == 0
    assert not (tmp_path / "mine" / "old_plot.png").exists()
    assert len(rows(tmp_path / "mine" / "all_points.csv")) == 20


def test_one_run_per_folder_the_second_is_refused_naming_the_holder(tmp_path):
    shutil.copy(DATA / "slow_code.py", tmp_path / "slow_code.py")
    spec = {**toy("live", Points=600, Batch_size=50, Cores=2),
            "Codes": {"slow": {"Function": "slow_code.py:evaluate", "Observables": {"F": {"MEAN": 100,
                                                                                           "VARIANCE": 20}}}}}
    path = write_json(tmp_path / "in.json", spec)
    first = subprocess.Popen([sys.executable, "-m", "bsmart", "run", str(path), "--quiet"], cwd=tmp_path,
                             stderr=subprocess.PIPE, text=True)
    wait_until(lambda: (tmp_path / "live" / "all_points.csv").is_file()
               and len(rows(tmp_path / "live" / "all_points.csv")) >= 50)
    for extra in (["--resume"], ["--overwrite", "--seed", "9"]):
        error = one_line_error(run_cli("run", str(path), *extra, cwd=tmp_path))
        assert f"is in use by another run (pid {first.pid} on {socket.gethostname()}" in error
    assert first.wait(120) == 0, first.stderr.read()
    ids = [int(r["ID"]) for r in rows(tmp_path / "live" / "all_points.csv")]
    assert ids == list(range(1, 601))  # nothing duplicated, nothing lost
    assert run_cli("run", str(path), "--resume", cwd=tmp_path).returncode == 0  # the lock went with the run


# -- model files hold no code -----------------------------------------------------------------

class _Plant:
    """Unpickling this runs code: it writes a file."""

    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (Path.write_text, (self.target, "pwned"))


def test_predict_runs_no_code_from_a_crafted_model_folder(tmp_path, capsys):
    model = tmp_path / "run" / "model"
    model.mkdir(parents=True)
    points = tmp_path / "points.csv"
    points.write_text("x\n0.5\n")
    pwned = tmp_path / "pwned"
    meta = {"method": "MLS_RFC", "kind": "classifier", "threshold": 1.0, "target": "classes", "single_class": None,
            "target_mean": 0.0, "target_std": 1.0, "score": "p",
            "variables": [{"name": "x", "lower": 0.0, "upper": 1.0, "prior": "UNIFORM"}]}
    outside = tmp_path / "learner.skops"
    outside.write_bytes(b"not a model")
    cases = {  # learner file named in model.json -> what is in the model folder
        "../learner.skops": None,
        "/etc/passwd": None,
        "learner.skops": pickle.dumps(_Plant(pwned)),
        "learner.pt": pickle.dumps(_Plant(pwned)),
    }
    for name, content in cases.items():
        for old in model.glob("learner*"):
            old.unlink()
        if content is not None:
            (model / name).write_bytes(content)
        (model / "model.json").write_text(json.dumps({**meta, "files": {"learner": name}}))
        assert cli_main(["predict", str(tmp_path / "run"), str(points)]) == 2
        error = capsys.readouterr().err.strip()
        assert error.startswith("bsmart: error:") and "\n" not in error, error
        assert not pwned.exists()
    (model / "model.json").write_text(json.dumps({**meta, "files": {"learner": "learner.skops"}}))
    (model / "learner.pt").unlink()
    (model / "learner.skops").symlink_to(outside)  # a link out of the model folder
    assert cli_main(["predict", str(tmp_path / "run"), str(points)]) == 2
    assert "link out of the model folder" in capsys.readouterr().err


# -- faults of codes ---------------------------------------------------------------------------

FAULTS = {0: None, 1: "py timed out after 1 s", 2: "died twice (killed by SIGSEGV)", 3: "died twice (exit status 7)",
          4: "py: SystemExit: 3", 5: "py: KeyboardInterrupt", 6: "observable y is nan", 7: "observable y is inf",
          8: "observable y is nan"}


@pytest.mark.parametrize("cores", [1, 2])
def test_every_fault_of_a_python_code_costs_only_its_point(tmp_path, cores):
    shutil.copy(DATA / "faulty_code.py", tmp_path / "faulty_code.py")
    spec = {"Scan": "Grid", "Setup": {"RunName": "faults", "Cores": cores, "Timeout": 600},
            "Variables": {"mode": str(list(FAULTS) + [0, 0, 0]), "other": "[1.0, 2.0]"},
            "Codes": {"py": {"Function": "faulty_code.py:evaluate", "Timeout": 1,
                             "Observables": {"y": {"SCALING": "OFF"}}}}}
    path = write_json(tmp_path / "in.json", spec)
    result = run_cli("run", str(path), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    table = rows(tmp_path / "faults" / "all_points.csv")
    assert [int(r["ID"]) for r in table] == list(range(1, 25))
    for row in table:
        expected = FAULTS[int(float(row["mode"]))]
        if expected is None:
            assert row["valid"] == "True" and float(row["y"]) == 1.0, row
        else:
            assert row["valid"] == "False" and expected in row["error"], row
    summary = json.loads((tmp_path / "faults" / "summary.json").read_text())
    assert (summary["status"], summary["evaluations"], summary["valid"]) == ("finished", 24, 8)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_programs_and_their_daemons_end_with_the_run(tmp_path, sig):
    pids = tmp_path / "pids"
    pids.mkdir()
    spec = {"Scan": "Random", "Setup": {"RunName": "stuck", "Cores": 2, "Points": 4, "Batch_size": 4},
            "Variables": {"x": {"RANGE": [0, 1]}},
            "Codes": {"stuck": {"Command": [str(DATA / "stuck_program.py"), str(pids)], "Timeout": 200}}}
    path = write_json(tmp_path / "in.json", spec)
    run = subprocess.Popen([sys.executable, "-m", "bsmart", "run", str(path), "--quiet"], cwd=tmp_path,
                           start_new_session=True, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: len(list(pids.iterdir())) == 4)  # two programs in flight, each with its daemon
        temp_roots = [p for p in Path("/dev/shm").glob("bsmart_stuck_*")
                      if (p / ".owner").is_file() and (p / ".owner").read_text().split()[1] == str(run.pid)]
        assert len(temp_roots) == 1
        os.kill(run.pid, sig)  # the run only: its workers are not signalled
        run.wait(30)
        processes = [int(p.read_text()) for p in pids.iterdir()]
        wait_until(lambda: not any(alive(pid) for pid in processes), timeout=10)
        wait_until(lambda: not temp_roots[0].exists(), timeout=10)
    finally:  # a failing test leaves nothing running
        subprocess.run(["pkill", "-9", "-f", str(pids)], check=False)
        if run.poll() is None:
            run.kill()


GATED = """
import time
from pathlib import Path

def evaluate(point, settings):
    deadline = time.time() + 30
    while not Path(settings["gate"]).exists() and time.time() < deadline:
        time.sleep(0.01)
    return {"F": point["x1"]}
"""


def test_a_run_whose_bookkeeping_folder_is_removed_still_ends(tmp_path):
    """The journal is best effort: removing .bsmart/ while the first points are in flight (a
    clean-up script, say) must not hang the run or lose its points."""
    (tmp_path / "gated.py").write_text(GATED)
    gate = tmp_path / "gate"
    spec = {**toy("gone", Points=60, Batch_size=20, Cores=2),
            "Codes": {"gated": {"Function": "gated.py:evaluate", "Settings": {"gate": str(gate)},
                                "Observables": {"F": {"SCALING": "OFF"}}}}}
    path = write_json(tmp_path / "in.json", spec)
    run = subprocess.Popen([sys.executable, "-m", "bsmart", "run", str(path), "--quiet"], cwd=tmp_path,
                           stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: (tmp_path / "gone" / ".bsmart" / "in_flight").is_file())  # a point started
        shutil.rmtree(tmp_path / "gone" / ".bsmart")
        gate.touch()
        assert run.wait(60) == 0, run.stderr.read()
    finally:
        if run.poll() is None:
            run.kill()
    assert [int(r["ID"]) for r in rows(tmp_path / "gone" / "all_points.csv")] == list(range(1, 61))


def test_temporary_folders_of_dead_runs_are_removed_by_the_next_run(tmp_path):
    base = tmp_path / "scratch"
    dead, live = base / "bsmart_old_dead", base / "bsmart_old_live"
    for folder, stamp in ((dead, f"{socket.gethostname()} 999999999 12345"),
                          (live, f"{socket.gethostname()} {os.getpid()} "
                                 f"{Path(f'/proc/{os.getpid()}/stat').read_text().rsplit(')', 1)[1].split()[19]}")):
        (folder / "point_1").mkdir(parents=True)
        (folder / ".owner").write_text(stamp)
    spec = {"Scan": "Random", "Setup": {"RunName": "tmp", "Points": 2, "Temporary Directory": str(base)},
            "Variables": {"x": {"RANGE": [0, 1]}},
            "Codes": {"echo": {"Command": ["true"]}}}
    assert run_cli("run", str(write_json(tmp_path / "in.json", spec)), cwd=tmp_path).returncode == 0
    assert not dead.exists() and live.exists()
    assert sorted(p.name for p in base.iterdir()) == ["bsmart_old_live"]  # and its own is gone too


def test_a_point_that_kills_the_run_twice_is_recorded_and_the_resume_goes_on(tmp_path):
    shutil.copy(DATA / "run_killer.py", tmp_path / "run_killer.py")
    spec = {"Scan": "Grid", "Setup": {"RunName": "killed", "Cores": 2},
            "Variables": {"x": "np.linspace(0, 1, num=11)"},
            "Codes": {"py": {"Function": "run_killer.py:evaluate", "Observables": {"y": {"SCALING": "OFF"}}}}}
    path = write_json(tmp_path / "in.json", spec)

    def run(*extra: str) -> int:
        proc = subprocess.Popen([sys.executable, "-m", "bsmart", "run", str(path), "--quiet", *extra], cwd=tmp_path,
                                start_new_session=True, stderr=subprocess.DEVNULL)
        return proc.wait(60)

    assert run() == -signal.SIGKILL
    assert run("--resume") == -signal.SIGKILL
    assert run("--resume") == 0
    table = rows(tmp_path / "killed" / "all_points.csv")
    assert sorted(int(r["ID"]) for r in table) == list(range(1, 12))
    bad = [r for r in table if r["valid"] == "False"]
    assert len(bad) == 1 and float(bad[0]["x"]) == 0.5 and "killed the run" in bad[0]["error"]


# -- resume ------------------------------------------------------------------------------------

def test_resume_refuses_a_changed_threshold(tmp_path):
    path = write_json(tmp_path / "in.json", toy("thr", Threshold=1.0))
    assert run_cli("run", str(path), cwd=tmp_path).returncode == 0
    write_json(tmp_path / "in.json", toy("thr", Threshold=5.0))
    assert "Setup.Threshold is 5.0, the run was started with 1.0" in one_line_error(
        run_cli("run", str(path), "--resume", cwd=tmp_path))


def test_a_garbage_value_in_all_points_does_not_stop_a_resume(tmp_path):
    path = write_json(tmp_path / "in.json", toy("garbage", Points=40, Batch_size=10))
    assert run_cli("run", str(path), cwd=tmp_path).returncode == 0
    csv_path = tmp_path / "garbage" / "all_points.csv"
    reference = rows(csv_path)
    lines = csv_path.read_text().splitlines()
    fields = lines[12].split(",")
    fields[1] = "0.5garbage"
    lines[12] = ",".join(fields)
    csv_path.write_text("\n".join(lines[:30]) + "\n")  # and the run was killed after 29 points
    result = run_cli("run", str(path), "--resume", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 row(s)" in (tmp_path / "garbage" / "bsmart.log").read_text()
    resumed = rows(csv_path)
    assert sorted(int(r["ID"]) for r in resumed) == list(range(1, 41))
    key = lambda r: (r["ID"], r["x1"], r["x2"], r["F2d"])  # noqa: E731
    assert sorted(map(key, resumed)) == sorted(map(key, reference))  # the damaged point evaluated again
    assert "0.5garbage" in (tmp_path / "garbage" / "all_points.rejected.csv").read_text()


def test_a_run_refused_after_locking_its_folder_unlocks_it(tmp_path):
    """In one Python process (a notebook): a refused resume must not leave the folder locked."""
    from bsmart.errors import BsmartError
    from bsmart.session import run_scan

    path = write_json(tmp_path / "in.json", toy("nb"))
    run_scan(path, output_dir=tmp_path)
    write_json(tmp_path / "in.json", {**toy("nb"), "Variables": {"x1": {"RANGE": [0, 1]}, "x2": {"RANGE": [0, 1]}}})
    with pytest.raises(BsmartError, match="Variables block differs"):
        run_scan(path, output_dir=tmp_path, resume=True)
    write_json(tmp_path / "in.json", toy("nb"))
    assert run_scan(path, output_dir=tmp_path, resume=True)["status"] == "finished"
    assert not (tmp_path / "nb" / ".bsmart" / "holder").exists()
