"""read_dir (issue 14): each file of a folder is the first code's input file, as it is; a real
program (the SPheno stand-in) reads it, and the variables are read back from it."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from bsmart.errors import ConfigError
from bsmart.session import run_scan
from conftest import DATA


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _input(tmp_path: Path, scan: str = "read_dir", files: dict[str, str] | None = None, **setup) -> Path:
    folder = tmp_path / "points"
    folder.mkdir(exist_ok=True)
    for name, text in (files if files is not None else {
        "a.in": "Block MINPAR\n    1   1.0E+02\n    2   5.0E+02\n",
        "b.in": "Block MINPAR   # from a paper\n    1   2.0E+02\n    2   6.0E+02\n    5   -1.0E+02\nBlock EXTRA\n    7   1.5\n",
        "c.in": "this is no LesHouches file\n",
        ".hidden": "Block MINPAR\n    1   9.0E+02\n",
    }).items():
        (folder / name).write_text(text)
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\n    2   VARIABLE[1]\n    5   -100\n")
    config = {"Scan": scan, "Setup": {"RunName": "D", "Input_Dir": "points", "StoreInputs": True, **setup},
              "Variables": {"m0": {"RANGE": [0, 1000]}, "m12": {"RANGE": [0, 1000]}, "tb": {"RANGE": [2, 50]}},
              "Codes": {"SPheno": {"Command": [str(DATA / "spheno_standin.py"), "{InputFile}", "{OutputFile}"],
                                   "InputFile": "in.tpl", "OutputFile": "SPheno.spc",
                                   "Observables": {"mh": {"SLHA": ["MASS", [25]], "SCALING": "GAUSS", "MEAN": 125,
                                                          "VARIANCE": 3}}}}}
    (tmp_path / "dir.json").write_text(json.dumps(config))
    return tmp_path / "dir.json"


@pytest.mark.parametrize("scan", ["read_dir", "read_dir_mpi"])
def test_each_file_is_the_programs_input_and_its_variables_are_read_back(tmp_path: Path, scan: str) -> None:
    summary = run_scan(_input(tmp_path, scan), output_dir=tmp_path)
    assert summary["evaluations"] == 3 and summary["input_files"] == 3  # .hidden is left out
    rows = _rows(tmp_path / "D" / "all_points.csv")
    files = {r["ID"]: r["File"] for r in _rows(tmp_path / "D" / "Results" / "read_dir_files.csv")}
    assert files == {"1": "a.in", "2": "b.in", "3": "c.in"}
    a, b, c = rows
    assert (float(a["m0"]), float(a["m12"]), float(a["mh"])) == (100, 500, pytest.approx(115))
    assert (float(b["m0"]), float(b["m12"]), float(b["mh"])) == (200, 600, pytest.approx(120))
    assert math.isnan(float(a["tb"]))  # the template has no entry that is just tb
    assert c["valid"] == "False" and "SPheno exited with status 1" in c["error"] and math.isnan(float(c["m0"]))
    # the file as it is (its own entries, its comment and its extra block), not the template filled in
    kept = (tmp_path / "D" / "Input_Files" / "D_2.in").read_text()
    assert kept == (tmp_path / "points" / "b.in").read_text()
    # the spectra are stored, as BSMArt's read_dir stores them, without StoreAllPoints
    spectra = (tmp_path / "D" / "Spectrum_Files" / "SLHA_output").read_text().split("ENDOFPARAMETERPOINT\n")
    assert len(spectra) == 3 and spectra[2] == ""  # the two valid points'
    assert "BLOCK MINPAR\n   1    100\n   2    500\n   5    0\n" in spectra[0]  # a.in has no A0: not the template's
    assert "BLOCK MINPAR\n   1    200\n   2    600\n   5   -100\n" in spectra[1]


def test_resumed_read_dir_goes_on_with_the_next_file(tmp_path: Path) -> None:
    path = _input(tmp_path, Batch_size=1)
    run_scan(path, output_dir=tmp_path, max_evaluations=2)
    resumed = run_scan(path, output_dir=tmp_path, resume=True)
    assert (resumed["evaluations"], resumed["evaluations_this_session"]) == (3, 1)
    assert [r["ID"] for r in _rows(tmp_path / "D" / "all_points.csv")] == ["1", "2", "3"]
    assert [r["File"] for r in _rows(tmp_path / "D" / "Results" / "read_dir_files.csv")] == ["a.in", "b.in", "c.in"]


@pytest.mark.parametrize("change, message", [
    ({"Input_Dir": None}, "Setup.Input_Dir: read_dir needs the folder of input files"),
    ({"Input_Dir": "nowhere"}, "Setup.Input_Dir: no file or folder .*nowhere: a relative path in an input file is read from the input file.s folder"),
    ({"files": {}}, "Setup.Input_Dir: .*points has no files"),
    ({"codes": {"toy_targets": {"Observables": {"F2d": {"SCALING": "OFF"}}}}},
     "Codes: read_dir gives each file to the first code that fills a template, and no code has one"),
])
def test_bad_read_dir_input_is_one_line(tmp_path: Path, change: dict, message: str) -> None:
    path = _input(tmp_path, files=change.get("files"))
    config = json.loads(path.read_text())
    if "Input_Dir" in change:
        config["Setup"]["Input_Dir"] = change["Input_Dir"]
    config["Codes"] = change.get("codes", config["Codes"])
    path.write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=message) as error:
        run_scan(path, output_dir=tmp_path)
    assert str(path) in str(error.value) and not (tmp_path / "D").exists()
