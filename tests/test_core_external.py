"""An external program that fails in every way real codes fail: the scan finishes, those points are
invalid with the reason in the ``error`` column, nothing is lost, no child process is left."""

from __future__ import annotations

import csv
import json
import math
import time
from pathlib import Path

import pytest

from bsmart.likelihood import MAX_LOSS
from conftest import DATA, run_cli, write_json

MODES = {  # mode -> expected fragment of the error (None: a good point)
    0: None,
    1: "exited with status 1: RuntimeError: cannot handle",
    2: "timed out after 3 s",
    3: "exited with status 3: convergence failed",
    4: "not valid SLHA: no BLOCK or DECAY found",
    5: "is not a text file",
    6: "entry BADOUT [1] is missing",
    7: None,  # leaves a child process behind but reports success
    8: "killed by SIGSEGV",
    9: "bad.out was not written",
    10: "bad: observable y is nan (not a finite number)",
    11: "bad: observable y is -inf (not a finite number)",
    12: None,  # leaves a double-forked daemon behind (its own session) but reports success
    13: "the process evaluating this point died twice (killed by SIGKILL)",  # killed its parent's group
}


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (zombies only wait to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _scan(tmp_path: Path, cores: int) -> tuple[Path, Path]:
    pids = tmp_path / "pids"
    pids.mkdir()
    (tmp_path / "bad.in").write_text("Block BADIN\n    1   mode\n    2   x   # written by bsmart\n")
    write_json(tmp_path / "bad.json", {
        "Setup": {"Type": "Grid", "RunName": "Bad", "Cores": str(cores), "Timeout": 3},
        "Variables": {"mode": str(list(MODES)), "x": "np.linspace(0.5, 2, num=2)"},
        "Codes": {"bad": {
            "Run": "True", "Command": [str(DATA / "bad_program.py"), "{InputFile}", "{OutputFile}", str(pids)],
            "InputFile": "bad.in", "OutputFile": "bad.out",
            "Observables": {"y": {"SLHA": ["BADOUT", [1]], "SCALING": "GAUSS", "MEAN": 1, "VARIANCE": 1},
                            "z": {"SLHA": ["BADOUT", [2]]}}}},
    })
    result = run_cli("run", str(tmp_path / "bad.json"), "--output", str(tmp_path), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return tmp_path / "Bad", pids


def test_bad_program_points_are_invalid_with_reasons_and_nothing_is_lost(tmp_path):
    run_dir, pids = _scan(tmp_path, cores=2)
    rows = list(csv.DictReader(open(run_dir / "all_points.csv")))
    assert [int(r["ID"]) for r in rows] == list(range(1, 2 * len(MODES) + 1))
    for row in rows:
        mode, x = int(float(row["mode"])), float(row["x"])
        expected = MODES[mode]
        if expected is None:
            assert row["valid"] == "True" and row["error"] == ""
            assert float(row["y"]) == x * x and float(row["z"]) == x + 1
            assert float(row["loss_y"]) == pytest.approx(-MAX_LOSS * math.expm1(-((x * x - 1) ** 2 / 2) / MAX_LOSS))
        else:
            assert row["valid"] == "False", row
            assert expected in row["error"], row["error"]
            assert row["error"].startswith("bad") or mode == 13, row["error"]
            assert row["y"] == "nan" and float(row["NLL"]) > 710.78
    valid_rows = list(csv.DictReader(open(run_dir / "Spectrum_Files" / "SLHA_output.csv")))
    assert sorted(int(float(r["mode"])) for r in valid_rows) == [0, 0, 7, 7, 12, 12]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (summary["status"], summary["evaluations"], summary["valid"]) == ("finished", 28, 6)
    assert set(summary["failures"].values()) == {2}  # each way of failing, twice (the 10 commonest kept)
    log = (run_dir / "bsmart.log").read_text()
    assert "finished: 28 evaluations, 6 valid" in log


def test_no_child_process_and_no_temporary_folder_is_left(tmp_path):
    _, pids = _scan(tmp_path, cores=1)
    children = [int(p.read_text()) for p in pids.iterdir()]
    # mode 7 ran twice and left a `sleep 300` child each time; mode 12 a daemon in its own session
    assert sorted(p.name.split("_")[0] for p in pids.iterdir()) == ["child", "child", "daemon", "daemon"]
    deadline = time.time() + 5
    while any(_alive(pid) for pid in children) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in children)
    assert not list(Path("/dev/shm").glob("bsmart_Bad_*")) and not list(Path("/tmp").glob("bsmart_Bad_*"))


def test_chained_programs_read_earlier_outputs_and_update_in_place(tmp_path: Path) -> None:
    (tmp_path / "bad.in").write_text("Block BADIN\n    1   mode\n    2   x\n")
    append = ["/bin/sh", "-c", 'printf "Block EXTRA\\n    1   7.0\\n" >> "$0"', "{OutputFile}"]
    write_json(tmp_path / "chain.json", {
        "Setup": {"Type": "Grid", "RunName": "Chain", "Timeout": 5},
        "Variables": {"mode": "[0, 1]", "x": "[3.0]"},
        "Codes": {
            "first": {"Command": [str(DATA / "bad_program.py"), "{InputFile}", "{OutputFile}", str(tmp_path)],
                      "InputFile": "bad.in", "OutputFile": "first.out",
                      "Observables": {"y": {"SLHA": ["BADOUT", [1]]}}},
            "copy": {"Command": "cp {InputFile} {OutputFile}", "InputFile": "first.out", "OutputFile": "copy.out",
                     "Observables": {"z": {"SLHA": ["BADOUT", [2]], "SCALING": "GAUSS", "MEAN": 4, "VARIANCE": 1}}},
            "inplace": {"Command": append, "InputFile": "copy.out", "OutputFile": "copy.out",
                        "Observables": {"extra": {"SLHA": ["EXTRA", [1]]}, "kept": {"SLHA": ["BADOUT", [2]]}}}},
        "Observables": {"w": {"FUNCTION": "y + z + extra"}, "v": {"SLHA": ["BADOUT", [1]]}},
    })
    result = run_cli("run", str(tmp_path / "chain.json"), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    good, failed = list(csv.DictReader(open(tmp_path / "Chain" / "all_points.csv")))
    assert list(good)[3:8] == ["w", "v", "y", "z", "extra"]  # global observables first, then the codes'
    assert [float(good[k]) for k in ("y", "z", "extra", "kept", "w", "v")] == [9.0, 4.0, 7.0, 4.0, 20.0, 9.0]
    assert failed["valid"] == "False" and failed["error"].startswith("first exited with status 1")


def test_a_python_code_after_a_program_reads_its_output_in_the_points_folder(tmp_path: Path) -> None:
    """A function with ``workdir`` and ``spectrum`` parameters gets the point's folder and the
    spectrum file there (the SPheno stand-in's output), as a HiggsTools- or SModelS-style wrapper
    needs; a value it returns that no observable declares is named in a warning, once."""
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\n    2   m12\n")
    (tmp_path / "wrapper.py").write_text(
        "import pyslha\n"
        "def higgs(point, workdir, spectrum):\n"
        "    assert spectrum.parent == workdir and (workdir / 'in.tpl').is_file()\n"
        "    mh = pyslha.read(str(spectrum), ignorenobr=True).blocks['MASS'][25]\n"
        "    return {'mh_shift': mh - 125.0, 'checked': 1.0}\n")
    write_json(tmp_path / "wrap.json", {
        "Setup": {"Type": "Grid", "RunName": "Wrap", "Cores": 2},
        "Variables": {"m0": [100, 300], "m12": [500]},
        "Codes": {"SPheno": {"Command": [str(DATA / "spheno_standin.py"), "{InputFile}", "{OutputFile}"],
                             "InputFile": "in.tpl", "OutputFile": "SPheno.spc",
                             "Observables": {"mh": {"SLHA": ["MASS", [25]]}}},
                  "wrapper": {"Function": "wrapper.py:higgs", "Observables": {"mh_shift": {"SCALING": "OFF"}}}}})
    result = run_cli("run", str(tmp_path / "wrap.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(tmp_path / "Wrap" / "all_points.csv")))
    assert [(float(r["mh"]), float(r["mh_shift"])) for r in rows] == [(115.0, -10.0), (125.0, 0.0)]
    warned = [line for line in result.stderr.splitlines() if "checked" in line]
    assert warned == ["Codes.wrapper returns checked, which no observable declares: it is not written to the CSV "
                      "files (declare it under Codes.wrapper.Observables, with SCALING OFF, to keep it)"]
