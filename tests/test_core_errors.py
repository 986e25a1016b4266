"""Every bad input ends ``bsmart run`` with exit code 2 and one stderr line naming the file, the
block and the key: no traceback, no run folder, no code run."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from bsmart.scans import available_scans
from conftest import run_cli, write_json

BASE: dict[str, Any] = {
    "Setup": {"Type": "Random", "RunName": "Err", "Points": 4, "Cores": 1, "Seed": 1},
    "Variables": {"x": {"RANGE": [0, 10]}, "y": {"RANGE": [1, 10], "PRIOR": "LOG"}},
    "Codes": {"toy_targets": {"Run": "True",
                              "Observables": {"F2d": {"SCALING": "GAUSS", "MEAN": 100, "VARIANCE": 20}}}},
}
TEMPLATE = "Block MINPAR\n    1   x\n    2   0.5*y   # an expression\n"


def _set(path: str, value: Any) -> Callable[[dict], None]:
    """Mutation setting ``a.b.c`` (None deletes the key)."""
    def mutate(data: dict) -> None:
        *parents, last = path.split(".")
        for key in parents:
            data = data[key]
        if value is None:
            data.pop(last)
        else:
            data[last] = value
    return mutate


def _external(**spec: Any) -> Callable[[dict], None]:
    def mutate(data: dict) -> None:
        data["Codes"] = {"prog": {"Run": True, "Command": "true", "InputFile": "template.in", "OutputFile": "o.slha",
                                  "Observables": {"m": {"SLHA": ["MASS", [25]]}}, **spec}}
    return mutate


OBS = "Codes.toy_targets.Observables.F2d"
CASES: dict[str, tuple[Callable[[dict], None] | str, str]] = {
    # name: (mutation of BASE, or the whole file text; what the one line must contain)
    "malformed JSON": ('{"Setup": {"Type": "Random",}', "invalid JSON at line 1 column 29"),
    "empty file": ("", "invalid JSON at line 1 column 1"),
    "top level not an object": ("[1, 2]", "the top level must be a JSON object"),
    "missing Variables": (_set("Variables", None), "Variables: block is missing"),
    "missing Codes": (_set("Codes", None), "Codes: block is missing"),
    "Variables not an object": (_set("Variables", [1, 2]), "Variables: must be a JSON object"),
    "no scan selected": (_set("Setup.Type", None), "no scan selected"),
    "unknown scan": (_set("Setup.Type", "Randon"), "unknown scan 'Randon'; did you mean Random?"),
    "range lo > hi": (_set("Variables.x.RANGE", [10, 5]), "Variables.x.RANGE: low must be below high"),
    "range not a pair": (_set("Variables.x.RANGE", [1]), "Variables.x.RANGE: expected [low, high]"),
    "range NaN": (_set("Variables.x.RANGE", ["nan", 1]), "Variables.x.RANGE: expected a finite number"),
    "log range <= 0": (_set("Variables.y.RANGE", [0, 10]), "Variables.y.RANGE: a LOG variable needs a positive range"),
    "unknown PRIOR": (_set("Variables.x.PRIOR", "GAUSSIAN"), "Variables.x.PRIOR: PRIOR 'GAUSSIAN' is not supported"),
    "reserved variable name": (_set("Variables.NLL", {"RANGE": [0, 1]}), "Variables.NLL: name 'NLL' is reserved"),
    "unknown SCALING": (_set(f"{OBS}.SCALING", "GAUS"), f"{OBS}.SCALING: SCALING 'GAUS' is not one of"),
    "GAUSS without width": (_set(f"{OBS}.VARIANCE", None), f"{OBS}: SCALING GAUSS needs MEAN and VARIANCE"),
    "negative width": (_set(f"{OBS}.VARIANCE", -1), f"{OBS}: VARIANCE (the width) must be positive"),
    "MEAN not a number": (_set(f"{OBS}.MEAN", "abc"), f"{OBS}.MEAN: expected a number, got 'abc'"),
    "FUNCTION syntax": (_set(f"{OBS}.FUNCTION", "x +* 2"), f"{OBS}.FUNCTION: cannot parse 'x +* 2'"),
    "FUNCTION attribute": (_set(f"{OBS}.FUNCTION", "x.__class__"), f"{OBS}.FUNCTION: attribute access"),
    "FUNCTION import": (_set(f"{OBS}.FUNCTION", "__import__('os')"), f"{OBS}.FUNCTION: unknown function"),
    "FUNCTION unknown function": (_set(f"{OBS}.FUNCTION", "system(x)"), f"{OBS}.FUNCTION: unknown function 'system'"),
    "FUNCTION unknown name": (_set(f"{OBS}.FUNCTION", "F2d + zz"), f"{OBS}.FUNCTION: uses unknown name(s) ['zz']"),
    "VALID empty": (_set(f"{OBS}.VALID", []), f"{OBS}.VALID: expected [low, high]"),
    "bad SLHA entry": (_set(f"{OBS}.SLHA", ["MASS", ["a"]]), f"{OBS}.SLHA: bad SLHA entry"),
    "Conditions unknown name": (_set("Codes.toy_targets.Conditions", ["F2d > q"]),
                                "Codes.toy_targets.Conditions[0]: uses unknown name(s) ['q']"),
    "Run not a boolean": (_set("Codes.toy_targets.Run", "maybe"), "Codes.toy_targets.Run: expected true/false"),
    "no code runs": (_set("Codes.toy_targets.Run", "False"), "Codes: no code has Run set to true"),
    "code without Command": (_set("Codes.other", {"Run": True}), "Codes.other: needs \"Function\""),
    "Cores zero": (_set("Setup.Cores", 0), "Setup.Cores: must be between 1 and 1024, got 0"),
    "Cores not a number": (_set("Setup.Cores", "two"), "Setup.Cores: expected a number, got 'two'"),
    "Cores fractional": (_set("Setup.Cores", 1.5), "Setup.Cores: expected a whole number"),
    "Points negative": (_set("Setup.Points", -3), "Setup.Points: must be at least 1, got -3"),
    "Seed negative": (_set("Setup.Seed", -1), "Setup.Seed: must be a non-negative integer"),
    "RunName escapes": (_set("Setup.RunName", "../elsewhere"), "Setup.RunName: '../elsewhere' must be a relative"),
    "Derived unknown name": (_set("Derived Variables", {"z": "q*2"}), "Derived Variables.z: uses unknown name(s) ['q']"),
    "Derived shadows variable": (_set("Derived Variables", {"x": "y*2"}), "Derived Variables.x: has the name of a variable"),
    "grid not a grid": (_set("Variables.x", "hello"), "Variables.x: grid 'hello' must be a list or np.linspace"),
    "grid calls eval": (_set("Variables.x", "os.system('ls')"), "Variables.x: grid function in 'os.system('ls')'"),
    "grid too large": (_set("Variables.x", "np.linspace(0, 1, num=1e9)"), "Variables.x: grid 'np.linspace(0, 1, num=1e9)' gives 1000000000 values"),
    "missing program (path)": (_external(Command="./no_such_program {InputFile}"), "Codes.prog.Command: program"),
    "missing program (PATH)": (_external(Command="no_such_program_xyz"), "Codes.prog.Command: program 'no_such_program_xyz' is not on PATH"),
    "OutputFile with folder": (_external(OutputFile="../o.slha"), "Codes.prog.OutputFile: '../o.slha' must be a plain file name"),
    "missing template": (_external(InputFile="nothere.in"), "Codes.prog.InputFile: " + "{tmp}/nothere.in: cannot read SLHA template"),
    "template unknown name": (_external(InputFile="unknown.in"), "Codes.prog.InputFile: {tmp}/unknown.in: line 3 (block MINPAR): 'mzero' uses unknown name(s) ['mzero']"),
    "Blocks bad expression": (lambda d: (_external()(d), d.update(Blocks={"MINPAR": {"3": "x +"}})),
                              "Blocks.MINPAR.3 (block MINPAR): cannot parse 'x +'"),
    "Blocks unknown name": (lambda d: (_external()(d), d.update(Blocks={"MINPAR": {"3": "tanb"}})),
                            "Blocks.MINPAR.3 (block MINPAR): 'tanb' uses unknown name(s) ['tanb']"),
    "Function file missing": (_set("Codes.py", {"Function": "nofile.py:f"}), "Codes.py.Function: file"),
    "Function module missing": (_set("Codes.py", {"Function": "no_module_xyz:f"}), "Codes.py.Function: cannot import 'no_module_xyz'"),
    "Function not in module": (_set("Codes.py", {"Function": "math:nothing"}), "Codes.py.Function: 'math' has no function 'nothing'"),
    "read_csv without file": (_set("Setup.Type", "read_csv"), "Setup.Input_CSV_File: read_csv needs the CSV file"),
    "read_csv file missing": (lambda d: d["Setup"].update(Type="read_csv", Input_CSV_File="none.csv"),
                              "Setup.Input_CSV_File: no file or folder"),
    "read_csv wrong columns": (lambda d: d["Setup"].update(Type="read_csv", Input_CSV_File="wrong.csv"),
                               "Setup.Input_CSV_File: "),
    "read_csv binary": (lambda d: d["Setup"].update(Type="read_csv", Input_CSV_File="binary.csv"),
                        "Setup.Input_CSV_File: "),
    # hostile input: no hang, no memory blow-up, no internal error
    "template is a FIFO": (_set("Codes.ext", {"Command": "true", "InputFile": "fifo"}), "not a regular file"),
    "template is /dev/zero": (_set("Codes.ext", {"Command": "true", "InputFile": "x.in", "Template": "/dev/zero"}),
                              "not a regular file"),
    "template is a folder": (_set("Codes.ext", {"Command": "true", "InputFile": "x.in", "Template": "."}),
                             "not a regular file"),
    "expression that allocates": (_set("Codes.toy_targets.Observables.G", {"FUNCTION": "max(VARIABLE * 100000000)"}),
                                  "Codes.toy_targets.Observables.G.FUNCTION: VARIABLE must be indexed"),
    "expression nested deeply": (_set("Codes.toy_targets.Observables.G", {"FUNCTION": "1+" * 999 + "1"}),
                                 "Codes.toy_targets.Observables.G.FUNCTION: '1+1+1"),
    "RunName with NUL": (_set("Setup.RunName", "a\0b"), "Setup.RunName: 'a\\x00b' must be a relative folder"),
    "RunName of 300 characters": (_set("Setup.RunName", "a" * 300), "at most 200 characters"),
    "Temporary Directory /proc": (lambda d: (d["Setup"].update({"Temporary Directory": "/proc"}), _external()(d)),
                                  "Setup.Temporary Directory: cannot make the points' working folders in /proc"),
    "Temporary Directory a file": (lambda d: (d["Setup"].update({"Temporary Directory": "template.in"}),
                                              _external()(d)), "Setup.Temporary Directory: cannot make"),
    "Temporary Directory /dev/null": (lambda d: (d["Setup"].update({"Temporary Directory": "/dev/null"}),
                                                 _external()(d)), "Setup.Temporary Directory: cannot make"),
    "Points null": (lambda d: d["Setup"].update(Points=None), "Setup.Points: expected int in [1, 1e+09], got null"),
    "Points 1e18": (_set("Setup.Points", 1e18), "Setup.Points: must be at most 1e+09"),
    "Candidate_Points 1e9": (lambda d: (d["Setup"].update(Type="MLS_RFC"), d.update(Networks={"Candidate_Points": 1e9})),
                             "Networks.Candidate_Points: must be at most 1e+06"),
    "integer of 5000 digits": (json.dumps(BASE)[:-1] + ', "Extra": ' + "9" * 5000 + "}", "(4300 digits)"),
    "duplicate key": ('{"Setup": {"Type": "Random"}, "Variables": {"x": {"RANGE": [0, 1]}, "x": {"RANGE": [0, 2]}}, '
                      '"Codes": {"toy_targets": {}}}', "key 'x' appears twice in one object"),
    "block not an object": (_set("Networks", [1]), "Networks: must be a JSON object"),
    "Blocks without template": (_set("Blocks", {"MINPAR": {"1": "x"}}), "Blocks: no code reads an SLHA template"),
    "MEAN inf": (_set("Codes.toy_targets.Observables.F2d.MEAN", "inf"), "MEAN: expected a finite number"),
    "name of a generated column": (_set("Variables.loss_F2d", {"RANGE": [0, 1]}), "reserved for an output column"),
    "misspelt toy observable": (lambda d: d["Codes"]["toy_targets"].update(Observables={"F2D": {"SCALING": "OFF"}}),
                                "Codes.toy_targets.Observables.F2D: toy_targets computes no F2D with 2 variable(s); "
                                "did you mean F2d?"),
    "toy observable of more variables": (lambda d: d["Codes"]["toy_targets"].update(
        Observables={"F3d": {"SCALING": "OFF"}}), "toy_targets computes no F3d with 2 variable(s)"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_naming_file_and_key(tmp_path: Path, name: str) -> None:
    change, expected = CASES[name]
    (tmp_path / "template.in").write_text(TEMPLATE)
    (tmp_path / "unknown.in").write_text("Block MINPAR\n    1   x\n    2   mzero\n")
    (tmp_path / "wrong.csv").write_text("ID,a,b\n1,2,3\n")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 8)
    os.mkfifo(tmp_path / "fifo")  # reading it would hang
    path = tmp_path / "input.json"
    if isinstance(change, str):
        path.write_text(change)
    else:
        data = copy.deepcopy(BASE)
        change(data)
        write_json(path, data)
    result = run_cli("run", str(path), cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"bsmart: error: {path}"), lines[0]
    assert expected.replace("{tmp}", str(tmp_path)) in lines[0], lines[0]
    assert not (tmp_path / "Err").exists()  # stopped before the run folder was made


def test_missing_input_file(tmp_path: Path) -> None:
    result = run_cli("run", str(tmp_path / "nothere.json"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"bsmart: error: {tmp_path / 'nothere.json'}: input file does not exist"


def test_unknown_keys_warn_but_run(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["Setup"]["Colour"] = "blue"
    data["Extra"] = {}
    result = run_cli("run", str(write_json(tmp_path / "input.json", data)), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Extra: unknown block, ignored" in result.stderr
    assert "Setup.Colour: unknown key for scan Random, ignored" in result.stderr


def test_existing_run_folder_is_not_overwritten(tmp_path: Path) -> None:
    path = write_json(tmp_path / "input.json", BASE)
    assert run_cli("run", str(path), "--quiet", cwd=tmp_path).returncode == 0
    again = run_cli("run", str(path), "--quiet", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr and len(again.stderr.splitlines()) == 1
    assert run_cli("run", str(path), "--quiet", "--overwrite", cwd=tmp_path).returncode == 0


@pytest.mark.skipif(not any(s.endswith("MLS_RFR") for s in available_scans()), reason="MLScanner scans not present")
@pytest.mark.parametrize("csv_text, expected", [
    (None, "Setup.InitCSV: no file or folder"),
    ("a,b\n1,2\n", "Setup.InitCSV: "),
    ("x,y\n1,2\n", "Setup.InitCSV: "),  # no NLL column and no observable columns
])
def test_broken_initcsv(tmp_path: Path, csv_text: str | None, expected: str) -> None:
    data = copy.deepcopy(BASE)
    data["Setup"].update(Type="MLScanner.MLS_RFR", InitCSV="init.csv")
    if csv_text is not None:
        (tmp_path / "init.csv").write_text(csv_text)
    path = write_json(tmp_path / "input.json", data)
    result = run_cli("run", str(path), cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"bsmart: error: {path}: ") and expected in lines[0], lines[0]
    assert not (tmp_path / "Err").exists()


def test_a_missing_file_is_named_with_the_path_rule(tmp_path: Path) -> None:
    """Paths in an input file are read from its folder; BSMArt read them from the current folder,
    so a file found there is named in the one line, with what to write instead."""
    data = copy.deepcopy(BASE)
    data["Setup"].update(Type="MLScanner.MLS_RFR", InitCSV="init.csv")
    (tmp_path / "inputs").mkdir()
    path = write_json(tmp_path / "inputs" / "input.json", data)
    (tmp_path / "init.csv").write_text("x,y,NLL\n1,2,0.5\n")
    result = run_cli("run", str(path), cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0] == (f"bsmart: error: {path}: Setup.InitCSV: no file or folder {tmp_path}/inputs/init.csv: a relative "
                        f"path in an input file is read from the input file's folder ({tmp_path}/inputs), while run "
                        f"folders are made in the current folder or --output; {tmp_path}/init.csv exists: name it "
                        f"from the input file's folder, or absolutely")
