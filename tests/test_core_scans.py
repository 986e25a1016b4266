"""Real runs of the core scans through the command line: Random, Grid, read_csv chaining, Python
codes, a BSMArt toy input, and the same results on 1 and 2 cores."""

from __future__ import annotations

import copy
import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, run_cli, write_json

TOY = {
    "Setup": {"Type": "Random", "RunName": "Toy", "Points": 60, "Cores": 1, "Seed": 7, "Batch_size": 25},
    "Variables": {"x1": {"RANGE": [0, 31.4159265]}, "x2": {"RANGE": [0, 31.4159265]}},
    "Codes": {"toy_targets": {"Run": "True",
                              "Observables": {"F2d": {"SCALING": "GAUSS", "MEAN": 100, "VARIANCE": 20}}}},
}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _run(tmp_path: Path, data: dict, *extra: str, name: str = "input.json") -> Path:
    path = write_json(tmp_path / name, data)
    result = run_cli("run", str(path), "--quiet", *extra, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / data["Setup"]["RunName"]


def test_random_writes_the_run_folder(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, TOY)
    assert sorted(p.name for p in run_dir.iterdir()) == [
        ".bsmart", "Spectrum_Files", "all_points.csv", "bsmart.log", "good_points.csv", "input.json", "summary.json"]
    assert sorted(p.name for p in (run_dir / ".bsmart").iterdir()) == ["lock", "run"]  # unlocked: no holder
    rows = _rows(run_dir / "all_points.csv")
    assert list(rows[0])[:4] == ["ID", "x1", "x2", "F2d"]
    assert list(rows[0])[4:] == ["loss_F2d", "NLL", "valid", "good", "iteration", "seconds", "error"]
    assert [int(r["ID"]) for r in rows] == list(range(1, 61))
    assert [r["iteration"] for r in rows].count("2") == 10  # batches of 25, 25, 10
    for r in rows:
        x1, x2 = float(r["x1"]), float(r["x2"])
        assert float(r["F2d"]) == pytest.approx((2 + math.cos(x1 / 5) * math.cos(x2 / 7)) ** 5)
        assert float(r["NLL"]) == float(r["loss_F2d"])
    # no threshold: every valid point is good; BSMArt's file holds the valid points
    assert len(_rows(run_dir / "good_points.csv")) == 60 == len(_rows(run_dir / "Spectrum_Files/SLHA_output.csv"))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert {k: summary[k] for k in ("status", "evaluations", "valid", "good", "seed")} == \
        {"status": "finished", "evaluations": 60, "valid": 60, "good": 60, "seed": 7}
    assert json.loads((run_dir / "input.json").read_text()) == TOY
    assert "finished: 60 evaluations, 60 valid, 60 good" in (run_dir / "bsmart.log").read_text()


def test_threshold_selects_good_points(tmp_path: Path) -> None:
    data = copy.deepcopy(TOY)
    data["Setup"]["Threshold"] = 1.0
    run_dir = _run(tmp_path, data)
    good = _rows(run_dir / "good_points.csv")
    assert good and all(float(r["NLL"]) < 1.0 for r in good)
    assert len(good) == sum(float(r["NLL"]) < 1.0 for r in _rows(run_dir / "all_points.csv"))


def test_two_cores_give_the_same_results_as_one(tmp_path: Path) -> None:
    one = _run(tmp_path / "1" if (tmp_path / "1").mkdir() is None else tmp_path, TOY)
    data = copy.deepcopy(TOY)
    data["Setup"]["Cores"] = 2
    (tmp_path / "2").mkdir()
    two = _run(tmp_path / "2", data)

    def strip(rows):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    assert strip(_rows(one / "all_points.csv")) == strip(_rows(two / "all_points.csv"))


def test_seed_option_overrides_setup_seed(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = _run(tmp_path / "a", TOY, "--seed", "3")
    b = _run(tmp_path / "b", TOY)
    assert json.loads((a / "summary.json").read_text())["seed"] == 3
    assert _rows(a / "all_points.csv")[0]["x1"] != _rows(b / "all_points.csv")[0]["x1"]


def test_log_and_fixed_priors(tmp_path: Path) -> None:
    data = copy.deepcopy(TOY)
    data["Variables"] = {"x1": {"RANGE": [1, 1e4], "PRIOR": "LOG"}, "x2": {"PRIOR": "FIXED", "VALUE": "3.5"}}
    data["Setup"]["Points"] = 400
    rows = _rows(_run(tmp_path, data) / "all_points.csv")
    x1 = np.array([float(r["x1"]) for r in rows])
    assert {r["x2"] for r in rows} == {"3.5"}
    assert x1.min() >= 1 and x1.max() <= 1e4
    decades = np.histogram(np.log10(x1), bins=4, range=(0, 4))[0]
    assert decades.min() > 60  # log-uniform: about 100 points per decade


def test_grid_with_numpy_strings(tmp_path: Path) -> None:
    data = copy.deepcopy(TOY)
    data["Setup"] = {"Type": "Grid", "RunName": "G", "Cores": 2, "Batch_size": 7}
    data["Variables"] = {"x1": "np.linspace(0, 10, num=3)", "x2": "np.geomspace(1, 100, 3)",
                         "x3": {"RANGE": [1, 2], "PRIOR": "FIXED"}}
    rows = _rows(_run(tmp_path, data) / "all_points.csv")
    pairs = [(float(r["x1"]), float(r["x2"]), float(r["x3"])) for r in rows]
    assert pairs == [(a, b, 1.5) for a in (0.0, 5.0, 10.0) for b in (1.0, 10.0, 100.0)]  # variable order
    assert [int(r["iteration"]) for r in rows] == [0] * 7 + [1] * 2


def test_read_csv_reevaluates_a_random_run(tmp_path: Path) -> None:
    first = _run(tmp_path, TOY)
    replay = {"Setup": {"Type": "read_csv", "RunName": "Replay", "Batch_size": "16",
                        "Input_CSV_File": "Toy/all_points.csv", "Cores": 2},
              "Variables": TOY["Variables"],
              "Codes": {"toy_targets": {"Run": "True", "Observables": {
                  "F2d": {"SCALING": "GAUSS", "MEAN": 100, "VARIANCE": 20},
                  "Rosenbrock": {"FUNCTION": "Rosenbrock", "SCALING": "OFF"}}}}}
    second = _run(tmp_path, replay, name="replay.json")
    before, after = _rows(first / "all_points.csv"), _rows(second / "all_points.csv")
    assert len(after) == len(before) == 60  # every row once (BSMArt ran batch-boundary rows twice)
    for b, a in zip(before, after):
        assert (a["x1"], a["x2"], a["F2d"], a["NLL"]) == (b["x1"], b["x2"], b["F2d"], b["NLL"])
        assert float(a["Rosenbrock"]) > 0
    assert json.loads((second / "summary.json").read_text())["csv_rows"] == 60
    # BSMArt's file name and leading columns are read the same way
    replay["Setup"].update(RunName="Replay2", Input_CSV_File="Toy/Spectrum_Files/SLHA_output.csv")
    assert len(_rows(_run(tmp_path, replay, name="replay2.json") / "all_points.csv")) == 60


def test_read_csv_skips_rows_it_cannot_use(tmp_path: Path) -> None:
    (tmp_path / "points.csv").write_text("x2,x1,other\n1,2,a\n1,2,b\nnan,3,c\n1,99,d\n,4,e\n5,6,f\n")
    data = {"Setup": {"Type": "read_csv", "RunName": "R", "Input_CSV_File": "points.csv"},
            "Variables": TOY["Variables"], "Codes": TOY["Codes"]}
    run_dir = _run(tmp_path, data)
    rows = _rows(run_dir / "all_points.csv")
    assert [(r["x1"], r["x2"]) for r in rows] == [("2.0", "1.0"), ("6.0", "5.0")]
    assert json.loads((run_dir / "summary.json").read_text())["csv_skipped"] == {
        "non-numeric or NaN variables": 2, "outside the declared ranges": 1, "duplicates": 1}


PYCODE = '''
import math

def observables(point):
    if point["x"] > 0.9:
        raise ValueError("no spectrum above 0.9")
    return {"mass": 100 * point["x"] + point["shift"], "ratio": point["y"] / point["x"], "label": "text"}

def with_settings(point, settings):
    return {"scaled": settings["scale"] * point["x"]}
'''


@pytest.mark.parametrize("function", ["mycode.py:observables", "sub/mycode.py:observables", "mymodule:observables"])
def test_python_function_codes(tmp_path: Path, function: str) -> None:
    for path in (tmp_path / "mycode.py", tmp_path / "sub" / "mycode.py", tmp_path / "mymodule.py"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(PYCODE)
    data = {"Setup": {"Type": "Random", "RunName": "Py", "Points": 40, "Cores": 2, "Seed": 2,
                      "Skip SLHA Files": "True"},
            "Variables": {"x": {"RANGE": [0.1, 1]}, "y": {"RANGE": [0, 1]}},
            "Derived Variables": {"shift": "VARIABLE[1] * 10"},
            "Codes": {"mine": {"Run": True, "Function": function, "Observables": {
                "mass": {"SCALING": "GAUSS", "MEAN": 50, "VARIANCE": 10, "VALID": [0, 80]},
                "ratio": {"SCALING": "OFF"},
                "double": {"FUNCTION": "2*mass + ratio"}}},
                "second": {"Run": "True", "Function": "mycode.py:with_settings", "Settings": {"scale": 3},
                           "Observables": {"scaled": {}}}}}
    rows = _rows(_run(tmp_path, data) / "all_points.csv")
    assert len(rows) == 40
    statuses = set()
    for r in rows:
        x, y = float(r["x"]), float(r["y"])
        mass = 100 * x + 10 * y
        if x > 0.9:
            assert r["valid"] == "False" and r["error"] == "mine: ValueError: no spectrum above 0.9"
            statuses.add("raised")
        elif mass > 80:
            assert r["valid"] == "False" and r["error"].startswith("mine: mass = ")
            assert "outside VALID [0, 80]" in r["error"]
            assert float(r["mass"]) == pytest.approx(mass)  # kept: the value that failed
            assert r["scaled"] == "nan"  # the chain stopped before the second code
            statuses.add("outside VALID")
        else:
            assert r["valid"] == "True", r
            assert float(r["mass"]) == pytest.approx(mass) and float(r["ratio"]) == pytest.approx(y / x)
            assert float(r["double"]) == pytest.approx(2 * mass + y / x)
            assert float(r["scaled"]) == pytest.approx(3 * x)
            assert "label" not in r  # returned but not declared: not a column
            statuses.add("valid")
    assert statuses == {"raised", "outside VALID", "valid"}


def test_bsmart_style_toy_input_runs_unchanged(tmp_path: Path) -> None:
    data = {"Setup": {"RunName": "Toy_BSMArt", "Type": "Random", "Cores": "1", "csv": "True",
                      "Skip SLHA Files": "True", "StoreAllPoints": "False", "Points": "50", "Seed": "4"},
            "Variables": {"x": {"RANGE": ["-5", "5"]}, "y": {"RANGE": [-5, 5]}},
            "Codes": {"toy_targets": {"Run": "True", "Himmelblau a": "11", "Observables": {
                "Himmelblau": {"FUNCTION": "Himmelblau", "SCALING": "MINUSEXPUSER"},
                "Rosenbrock": {"FUNCTION": "Rosenbrock"}},
                "Conditions": ["Rosenbrock >= 0"]}}}
    path = write_json(tmp_path / "toy.json", data)
    result = run_cli(str(path), cwd=tmp_path)  # `bsmart input.json`, as BSMArt users type it
    assert result.returncode == 0, result.stderr
    assert "unknown" not in result.stderr
    rows = _rows(tmp_path / "Toy_BSMArt" / "Spectrum_Files" / "SLHA_output.csv")
    assert list(rows[0])[:5] == ["ID", "x", "y", "Himmelblau", "Rosenbrock"]
    for r in rows:
        x, y = float(r["x"]), float(r["y"])
        h = (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2
        assert float(r["Himmelblau"]) == pytest.approx(h)
        assert float(r["loss_Himmelblau"]) == pytest.approx(-710.782712893384 * math.expm1(-h / 710.782712893384))
        assert "loss_Rosenbrock" not in r  # no SCALING, no MEAN: OFF


def test_example_input_in_repository(tmp_path: Path) -> None:
    result = run_cli("run", str(REPO / "inputs" / "random_f2d.json"), "--quiet", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "Random_F2d" / "summary.json").read_text())
    assert (summary["evaluations"], summary["valid"], summary["cores"]) == (2000, 2000, 2)
    assert 0 < summary["good"] < 2000


def test_list_and_describe() -> None:
    listed = run_cli("list")
    assert listed.returncode == 0
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert {"Random", "Grid", "read_csv"} <= set(names)
    described = run_cli("describe", "random")
    assert described.returncode == 0
    assert "Random: Uniform random sampling" in described.stdout
    assert "  Points: int in [1, 1e+09], default 1000 (Setup): number of points to evaluate" in described.stdout
    missing = run_cli("describe", "Randon")
    assert missing.returncode == 2 and missing.stderr.strip().startswith("bsmart: error: Scan: unknown scan 'Randon'")
    assert len(missing.stderr.strip().splitlines()) == 1


def test_bsmart_example_runs_unchanged_with_the_bsmart_command(tmp_path: Path) -> None:
    """BSMArt 2.0.2's SMSSM_Grid.json, unchanged (variables named "0", "1", "2", reached as
    VARIABLE[i] in its template; SPheno at ~/BSMArt/...), run as a BSMArt job script runs it."""
    import os
    import shutil
    import subprocess

    example = Path(__file__).parent / "data" / "bsmart_examples" / "SMSSM"
    shutil.copytree(example, tmp_path / "job")
    spheno = tmp_path / "home" / "BSMArt" / "SPheno-4.0.5" / "bin" / "SPhenoSMSSM"
    spheno.parent.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "data" / "spheno_standin.py", spheno)
    command = shutil.which("BSMArt")
    assert command, "the BSMArt console script is not installed (pip install -e .)"
    done = subprocess.run([command, "SMSSM_Grid.json", "--csv", "--NoMPI", "--short"], cwd=tmp_path / "job",
                          capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr
    assert "Variables.0: the name cannot be written in expressions" in done.stderr
    assert "StoreAllPoints" not in done.stderr  # written, as BSMArt writes it
    table = _rows(tmp_path / "job" / "m0m12_grid" / "Spectrum_Files" / "SLHA_output.csv")
    assert list(table[0])[:7] == ["ID", "0", "1", "2", "mh", "mH1", "mH2"]
    assert len(table) == 8  # 2 x 2 x 2 grid, every point valid
    for row in table:
        m0, m12, a0 = (float(row[k]) for k in ("0", "1", "2"))
        assert float(row["mh"]) == pytest.approx(110 + m0 / 20)
        assert (float(row["mH1"]), float(row["mH2"])) == pytest.approx((m12 + 80, a0 + 180))
    # StoreAllPoints: every valid spectrum, in the order of the CSV, each ended by BSMArt's separator line
    spectra = _spectra(tmp_path / "job" / "m0m12_grid" / "Spectrum_Files" / "SLHA_output")
    assert [s.blocks["MASS"][25] for s in spectra] == pytest.approx([float(r["mh"]) for r in table])
    # --short: the same rows, tab-separated, in <Output File>.dat
    with open(tmp_path / "job" / "m0m12_grid" / "Spectrum_Files" / "SLHA_output.dat", newline="") as fh:
        assert list(csv.DictReader(fh, delimiter="\t")) == table


def _spectra(path: Path) -> list:
    import pyslha

    text = path.read_text()
    assert text.endswith("ENDOFPARAMETERPOINT\n")
    return [pyslha.readSLHA(part, ignorenobr=True) for part in text.split("ENDOFPARAMETERPOINT\n")[:-1]]


def test_bsmart_command_lists_and_describes_scans() -> None:
    import shutil
    import subprocess

    command = shutil.which("BSMArt")
    listed = subprocess.run([command], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and "MLScanner.MLS_DNNC" in listed.stdout
    described = subprocess.run([command, "--Settings", "Random"], capture_output=True, text=True, timeout=60)
    assert described.returncode == 0 and "Batch_size: int in [1, 1e+06], default 200" in described.stdout


def test_zero_width_range_is_a_fixed_value(tmp_path: Path) -> None:
    data = {"Setup": {"Type": "Random", "RunName": "Fixed", "Points": 5, "Seed": 1},
            "Variables": {"x1": {"RANGE": [0, 31.4]}, "x2": {"RANGE": [12.5, 12.5]}},
            "Codes": {"toy_targets": {"Observables": {"F2d": {"SCALING": "OFF"}}}}}
    rows = _rows(_run(tmp_path, data) / "all_points.csv")
    assert len(rows) == 5 and {r["x2"] for r in rows} == {"12.5"}


def test_bsmart_keys_that_do_nothing_here_say_so(tmp_path: Path) -> None:
    data = {"Setup": {"Type": "Random", "RunName": "Quiet", "Points": 3, "Seed": 1, "StoreInputs": "True",
                      "StoreSeparateFiles": "True", "StoreAllPoints": "False", "Merge Results": "True"},
            "Variables": {"x1": {"RANGE": [0, 31.4]}, "x2": {"RANGE": [0, 31.4]}},
            "Codes": {"toy_targets": {"Observables": {"F2d": {"SCALING": "OFF"}}}}}
    path = write_json(tmp_path / "in.json", data)
    done = run_cli("run", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Setup.StoreInputs: no code writes an input file from a template; nothing to store" in done.stderr
    assert "Setup.StoreSeparateFiles: stores nothing without StoreAllPoints (as in BSMArt)" in done.stderr
    assert "Setup.Merge Results: bsmart does not write per-rank files to merge" in done.stderr
    assert sorted(p.name for p in (tmp_path / "Quiet").iterdir() if not p.name.startswith(".")) == [
        "Spectrum_Files", "all_points.csv", "bsmart.log", "good_points.csv", "input.json", "summary.json"]


def test_store_inputs_separate_files_and_everything_keep_each_points_files(tmp_path: Path) -> None:
    """BSMArt's StoreInputs (Input_Files/<RunName>_<ID>.in, every point), StoreSeparateFiles
    (Spectrum_Files/<Output File>_<ID>.slha, valid points) and StoreEverything (the point's
    folder in All_Outputs/<Output File>_<ID>/), with the SPheno stand-in (mh = 110 + m0/20) and
    mh VALID [115, 125]: m0 above 300 makes the point invalid."""
    import pyslha

    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\n    2   m12\n")
    data = {"Setup": {"Type": "Grid", "RunName": "Kept", "Output File": "Out", "StoreInputs": "True",
                      "StoreAllPoints": "True", "StoreSeparateFiles": "True", "StoreEverything": "True"},
            "Variables": {"m0": [100, 250, 400], "m12": [500]},
            "Codes": {"SPheno": {"Command": str(REPO / "tests" / "data" / "spheno_standin.py"), "InputFile": "in.tpl",
                                 "OutputFile": "SPheno.spc",
                                 "Observables": {"mh": {"SLHA": ["MASS", [25]], "VALID": [115, 125]}}}}}
    run_dir = _run(tmp_path, data)
    rows = {r["ID"]: r for r in _rows(run_dir / "all_points.csv")}
    assert [rows[i]["valid"] for i in "123"] == ["True", "True", "False"]
    for point_id, row in rows.items():
        kept = pyslha.read(str(run_dir / "Input_Files" / f"Kept_{point_id}.in"), ignorenomass=True)
        assert kept.blocks["MINPAR"][1] == float(row["m0"])
        folder = run_dir / "All_Outputs" / f"Out_{point_id}"
        assert {"in.tpl", "SPheno.spc"} <= {p.name for p in folder.iterdir()}
        separate = run_dir / "Spectrum_Files" / f"Out_{point_id}.slha"
        assert separate.exists() == (row["valid"] == "True")
        if separate.exists():
            assert pyslha.read(str(separate), ignorenobr=True).blocks["MASS"][25] == pytest.approx(float(row["mh"]))
    assert not (run_dir / "Spectrum_Files" / "Out").exists()  # separate files instead of one


def test_bsmart_spheno_micromegas_chain_reads_omg_out(tmp_path: Path) -> None:
    """BSMArt's SMSQQ_Random.json (SPheno then MicrOmegas, whose omg.out has no Block line) with
    stand-ins at the file's own paths. Changed for the test: 6 points on 2 cores instead of 50 000
    on 20. Oh2 is a global observable: it is read from the spectrum that MicrOmegas' block joined."""
    import os
    import shutil
    import subprocess

    shutil.copytree(Path(__file__).parent / "data" / "bsmart_examples" / "SMSQQ", tmp_path / "job")
    home = tmp_path / "home" / "BSMArt"
    for standin, target in (("spheno_standin.py", "SPheno-4.0.4/bin/SPhenoSM_SQQ"),
                            ("micromegas_standin.py", "micromegas_5.2.1_C/SM_SQQ/MicrOmegas_v5.2_BSMArt")):
        (home / target).parent.mkdir(parents=True)
        shutil.copy(Path(__file__).parent / "data" / standin, home / target)
    data = json.loads((tmp_path / "job" / "SMSQQ_Random.json").read_text())
    data["Setup"].update(Points=6, Cores=2, Seed=3)
    env = {**os.environ, "HOME": str(tmp_path / "home")}

    def run(spec: dict) -> subprocess.CompletedProcess:
        (tmp_path / "job" / "in.json").write_text(json.dumps(spec))
        return subprocess.run([shutil.which("BSMArt"), "in.json", "--csv"], cwd=tmp_path / "job", capture_output=True,
                              text=True, timeout=120, env=env)

    done = run(data)
    assert done.returncode == 0, done.stderr
    rows = _rows(tmp_path / "job" / "SMSQQ_Random_01" / "all_points.csv")
    assert len(rows) == 6 and all(r["valid"] == "True" for r in rows), [r["error"] for r in rows]
    for row in rows:
        lightest = min(float(row[k]) for k in ("ms", "mqm", "mqp"))
        assert float(row["Oh2"]) == pytest.approx(0.12 * (lightest / 15000) ** 2, rel=1e-6)
        assert (float(row["TreeU"]), float(row["TriU_a0"])) == (1.0, 0.25)
    # the stored spectra hold MicrOmegas' block too, joined to SPheno's spectrum
    spectra = _spectra(tmp_path / "job" / "SMSQQ_Random_01" / "Spectrum_Files" / "SLHA_output")
    assert [s.blocks["DARKMATTER"][1] for s in spectra] == pytest.approx([float(r["Oh2"]) for r in rows])
    assert all(25 in s.blocks["MASS"] for s in spectra)

    # the candidate is always 105 here (ms^2 = (ms2-mqp2) + mqp2 > mqp2): allowed, or every point fails
    data["Codes"]["MicrOmegas"]["LSP"] = [1000022, 105]
    data["Setup"]["RunName"] = "LSP_ok"
    assert run(data).returncode == 0
    assert all(r["valid"] == "True" for r in _rows(tmp_path / "job" / "LSP_ok" / "all_points.csv"))
    data["Codes"]["MicrOmegas"]["LSP"] = [55]
    data["Setup"].update(RunName="LSP_no", **{"Store Invalid": "True"})
    assert run(data).returncode == 2  # every point failed, said in one line
    assert {r["error"] for r in _rows(tmp_path / "job" / "LSP_no" / "all_points.csv")} == {
        "MicrOmegas: the dark matter candidate 105 is not one of LSP [55]"}
    invalid = _rows(tmp_path / "job" / "LSP_no" / "Spectrum_Files" / "invalid_SLHA_output.csv")  # Store Invalid
    assert len(invalid) == 6 and {r["valid"] for r in invalid} == {"False"}
    assert (tmp_path / "job" / "LSP_no" / "Spectrum_Files" / "SLHA_output").read_text() == ""  # no valid spectrum


def test_bsmart_fitting_example_profiles_its_nuisance_variable(tmp_path: Path) -> None:
    """BSMArt's Minimise/Fitting_MSSM_mh.json: m0 is solved for at every point so that mh = 125
    (the stand-in SPheno gives mh = 110 + m0 / 20, so m0 = 300), then SPheno runs at the fitted m0.
    Changed for the test: 4 points on 2 cores instead of 20 on 1."""
    import os
    import shutil
    import subprocess

    shutil.copytree(Path(__file__).parent / "data" / "bsmart_examples" / "Minimise", tmp_path / "job")
    spheno = tmp_path / "home" / "BSMArt" / "SPheno-4.0.5" / "bin" / "SPhenoMSSM"
    spheno.parent.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "data" / "spheno_standin.py", spheno)
    data = json.loads((tmp_path / "job" / "Fitting_MSSM_mh.json").read_text())
    data["Setup"].update(Points=4, Cores=2, Seed=1)
    (tmp_path / "job" / "in.json").write_text(json.dumps(data))
    done = subprocess.run([shutil.which("BSMArt"), "in.json", "--csv"], cwd=tmp_path / "job", capture_output=True,
                          text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr
    assert "Fitting" not in done.stderr  # no warning: the block is used
    rows = _rows(tmp_path / "job" / "Fit_Mh" / "all_points.csv")
    assert list(rows[0])[:5] == ["ID", "m12", "A0", "m0", "mh"]  # the fitted variable after the variables, as BSMArt
    assert len(rows) == 4
    for row in rows:
        assert float(row["m0"]) == pytest.approx(300, abs=1e-6) and float(row["mh"]) == pytest.approx(125)
        assert row["good"] == "True"
    spectra = _spectra(tmp_path / "job" / "Fit_Mh" / "Spectrum_Files" / "MSSM_Output")  # at the fitted m0
    assert [s.blocks["MINPAR"][1] for s in spectra] == pytest.approx([300.0] * 4, abs=1e-6)


def test_fitting_with_scipy_and_a_target_out_of_reach(tmp_path: Path) -> None:
    """Two nuisance variables, two targets, Nelder-Mead (a scipy method named in Method); and a
    target no value in the range reaches: the closest value, as BSMArt. The code is a Python
    function with the stand-in SPheno's masses (fast: Nelder-Mead takes about 100 trials)."""
    (tmp_path / "masses.py").write_text("def masses(p):\n    return {'mh': 110 + p['m0'] / 20, 'mH1': p['m12'] + 80}\n")
    base = {"Setup": {"Type": "Random", "RunName": "Fit2", "Points": 2, "Seed": 4, "Cores": 1},
            "Variables": {"A0": {"RANGE": [-1000, 1000]}},
            "Codes": {"masses": {"Function": "masses.py:masses", "Observables": {"mh": {}, "mH1": {}}}}}
    two = {**base, "Fitting": {"Variables": {"m0": {"RANGE": [200, 6000]}, "m12": {"RANGE": [200, 4000]}},
                               "Observables": {"mh": {"TARGET": 125, "VARIANCE": 0.5},
                                               "mH1": {"TARGET": 1000, "VARIANCE": 5}},
                               "Method": "Nelder-Mead", "Options": {"fatol": "1e-6", "xatol": "1e-6"}}}
    rows = _rows(_run(tmp_path, two) / "all_points.csv")
    assert list(rows[0])[:4] == ["ID", "A0", "m0", "m12"]
    for row in rows:
        assert float(row["mh"]) == pytest.approx(125, abs=0.01) and float(row["mH1"]) == pytest.approx(1000, abs=0.1)
    far = {**base, "Setup": {**base["Setup"], "RunName": "Far"}, "Variables": {"A0": {"RANGE": [-1000, 1000]},
                                                                                "m12": {"RANGE": [200, 400]}},
           "Fitting": {"Variables": {"m0": {"RANGE": [200, 6000]}}, "Observables": {"mh": {"TARGET": 500}},
                       "Options": {"eps": 0.25}}}
    rows = _rows(_run(tmp_path, far) / "all_points.csv")
    assert {(r["m0"], r["mh"]) for r in rows} == {("6000.0", "410.0")}  # mh = 110 + m0 / 20 at the range's end


def test_fitting_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    base = {"Setup": {"Type": "Random", "RunName": "Bad", "Points": 2},
            "Variables": {"x": {"RANGE": [0, 1]}},
            "Codes": {"toy_targets": {"Observables": {"F2d": {"SCALING": "OFF"}}}}}
    cases = {
        "Fitting.Observables.mh: no observable of that name is declared":
            {"Variables": {"y": {"RANGE": [0, 1]}}, "Observables": {"mh": {"TARGET": 1}}},
        "Fitting.Variables.x: is already a variable":
            {"Variables": {"x": {"RANGE": [0, 1]}}, "Observables": {"F2d": {"TARGET": 1}}},
        "Fitting.Method: 'Simplex' is not Brentq, Minimise or one of scipy's minimize methods":
            {"Variables": {"y": {"RANGE": [0, 1]}}, "Observables": {"F2d": {"TARGET": 1}}, "Method": "Simplex"},
        "Fitting: needs Variables and Observables": {"Variables": {"y": {"RANGE": [0, 1]}}},
    }
    for message, fitting in cases.items():
        done = run_cli("run", str(write_json(tmp_path / "in.json", {**base, "Fitting": fitting})), cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr, (message, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1


def test_a_bsmart_tool_without_its_program_is_named_in_one_line(tmp_path: Path) -> None:
    """A code named as one of BSMArt's tools that runs a program (MadAnalysisExpert: ma5) but has no
    Command stops the run before any point with one line naming the tool and the key."""
    data = {"Setup": {"Type": "Random", "RunName": "run01", "Points": 2},
            "Variables": {"x": {"RANGE": [0, 1]}}, "Codes": {"madanalysisexpert": {"Run": "True"}}}
    done = run_cli("run", str(write_json(tmp_path / "in.json", data)), cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert ("Codes.madanalysisexpert: BSMArt's MadAnalysisExpert tool needs \"Command\", the path of its program"
            in done.stderr), done.stderr
    assert not (tmp_path / "run01").exists()
