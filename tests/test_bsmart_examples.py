"""Every input file shipped with BSMArt 2.0.2 (data/InputExamples and AuxFiles'
BSMArt_basetemplate.json), copied unchanged into tests/data/bsmart_examples, run with bsmart
against stand-in programs placed at the paths the files name (under a temporary HOME): those
whose scan exists run to BSMArt's CSV; the others end in one line naming what is missing.

A run is cut short with ``Points`` (Random) or ``max_evaluations`` (Grid), never by editing
the file."""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
from pathlib import Path

import pytest

from bsmart.cli import bsmart_compat_main
from bsmart.session import run_scan

EXAMPLES = Path(__file__).parent / "data" / "bsmart_examples"
DATA = Path(__file__).parent / "data"
STANDINS = {"SPheno": "spheno_standin.py", "MicrOmegas": "micromegas_standin.py"}
ONE_LINE_ERROR = {  # file -> the error it ends in
    "AuxFiles/BSMArt_basetemplate.json": "Setup.Type: scan name must be a string, got ''",
    "anyBSM/random.json": "Codes.SPheno.Command: program /dev/shm/BSMART_Temp/SPhenoTHDMII does not exist",
    # BSMArt ships neither the template nor the VacStab code's vacstab.py
    "VacStab/SMSQQ_ALnew_NN.json": "VacStab/SMSQQ_AL.in: cannot read SLHA template: it does not exist",
}
RUNS = ("DiracGauginos/DiracGauginos_Random.json", "E6AFH/CSV_High_E6AFH.json", "Minimise/Fitting_MSSM_mh.json",
        "SMSQQ/SMSQQ_Grid.json", "SMSQQ/SMSQQ_Random.json", "SMSSM/SMSSM_Grid.json", "ValidityCheck/validity_MSSM.json")
MCMC_RUNS = ("DiracGauginos/DiracGauginos_MCMC.json", "E6AFH/MCMC_High_E6AFH.json", "E6AFH/MCMC_low_E6AFH.json",
             "SMSQQ/SMSQQ_MCMC.json")
MLS_RUNS = ("MLS/FakeMLS.json", "MLS/MLS_MSSM.json")
AL_RUNS = ("DiracGauginos/DiracGauginos_AL.json", "SMSQQ/SMSQQ_AL.json")


def test_every_shipped_example_is_covered() -> None:
    shipped = {str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.json")}
    assert len(shipped) == 18 and shipped == {*ONE_LINE_ERROR, *RUNS, *MCMC_RUNS, *MLS_RUNS, *AL_RUNS}


@pytest.fixture(autouse=True)
def _own_console_handlers():
    """The command line points the bsmart logger at this test's captured stderr; put it back."""
    logger = logging.getLogger("bsmart")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


E6AFH_PARTICLES = {31: (0, 3), 35: (0, 1), 45: (0, 1), 36: (0, 1), 37: (3, 1), 81: (3, 1), 82: (0, 1), 84: (0, 1),
                   1000081: (0, 2), 1000082: (0, 2), 2000266: (3, 2), 1000023: (0, 2), 1000024: (3, 2),
                   2000253: (3, 2)}  # the SPheno stand-in's E6AFH states: (3 x charge, spin states)


def _qnumbers(particles: dict[int, tuple[int, int]]) -> str:
    """SModelS' QNUMBERS blocks (the model file a BSMArt user gives SModelS) for colourless states."""
    return "".join(f"BLOCK QNUMBERS {pdg} # state {pdg}\n  1 {charge}\n  2 {spin}\n  3 1\n  4 {int(charge != 0)}\n"
                   for pdg, (charge, spin) in particles.items())


@pytest.fixture
def job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the examples, with the stand-ins at every ``~/...`` Command the files name."""
    home = tmp_path / "home"
    shutil.copytree(EXAMPLES, tmp_path / "job")
    for path in (tmp_path / "job").rglob("*.json"):
        for name, spec in json.loads(path.read_text()).get("Codes", {}).items():
            command = str(spec.get("Command", ""))
            standin = next((f for prefix, f in STANDINS.items() if name.startswith(prefix)), None)
            if standin and command.startswith("~/"):
                target = home / command[2:]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(DATA / standin, target)
            if name == "ZPEED" and not (home / spec["Path"][2:]).exists():  # ZPEED's own source
                (home / spec["Path"][2:]).parent.mkdir(parents=True, exist_ok=True)
                (home / spec["Path"][2:]).symlink_to(DATA / "ZPEED")
            for dataset in ("HiggsBounds Dataset", "HiggsSignals Dataset"):
                if str(spec.get(dataset, "")).startswith("~/"):
                    (home / spec[dataset][2:]).mkdir(parents=True, exist_ok=True)
            if name == "SModelS" and spec["Parameter file"].startswith("~/"):  # the user's parameters.ini and model, on tests/data/smodels' toy database
                parameters = home / spec["Parameter file"][2:]
                parameters.parent.mkdir(parents=True, exist_ok=True)
                if not (tmp_path / "smodels-database").exists():
                    shutil.copytree(DATA / "smodels" / "database", tmp_path / "smodels-database")
                parameters.write_text((DATA / "smodels" / "parameters.ini").read_text().replace(
                    "path = database", f"path = {tmp_path / 'smodels-database'}"))
                (path.parent / spec["QNUMBERS file"]).write_text(_qnumbers(E6AFH_PARTICLES))
    monkeypatch.setenv("HOME", str(home))
    return tmp_path / "job"


@pytest.mark.parametrize("name", sorted(ONE_LINE_ERROR))
def test_example_ends_in_one_line_naming_what_is_missing(job: Path, name: str, capsys, monkeypatch) -> None:
    monkeypatch.chdir((job / name).parent)
    assert bsmart_compat_main([Path(name).name, "--csv", "--NoMPI"]) == 2
    err = capsys.readouterr().err.strip()
    expected = ONE_LINE_ERROR[name]
    assert expected in err and err.count("bsmart: error:") == 1, err
    assert not any(p.is_dir() and (p / "all_points.csv").exists() for p in (job / name).parent.iterdir())


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _run(job: Path, name: str, monkeypatch, **kwargs) -> tuple[dict, list[dict[str, str]]]:
    monkeypatch.chdir((job / name).parent)
    summary = run_scan(job / name, **kwargs)
    data = json.loads((job / name).read_text())
    out = Path(summary["run_dir"]) / "Spectrum_Files" / (data["Setup"].get("Output File", "SLHA_output") + ".csv")
    rows = _rows(out)
    assert list(rows[0])[:len(data["Variables"]) + 1] == ["ID", *data["Variables"]]  # BSMArt's first columns
    assert "Result" not in rows[0]  # BSMArt's Random and Grid write none
    return summary, rows


@pytest.mark.parametrize("name", MLS_RUNS)
def test_mls_example_runs_its_batches_with_bsmart_keys(job: Path, name: str, monkeypatch) -> None:
    """BSMArt's MLS keys in Setup: a first batch of 5 x Points, then Iterations - 1 batches of Points
    chosen by the network (Neurons, LR, Epochs; TrainLH False in MLS_MSSM: it learns Oh2); cut short
    with Points 4 and Iterations 3. The Spectrum_Files table ends with BSMArt's Result."""
    monkeypatch.chdir((job / name).parent)
    summary = run_scan(job / name, setup={"Points": 4, "Iterations": 3, "Cores": 2, "Seed": 1})
    assert summary["status"] == "finished" and summary["stopped_by"] == "iterations"
    assert summary["evaluations"] == 5 * 4 + 2 * 4 and "short_of_target" not in summary
    iterations = _rows(Path(summary["run_dir"]) / "iterations.csv")
    assert [int(r["evaluated"]) for r in iterations] == [20, 4, 4]
    chosen = int(iterations[1]["from_model"]) + int(iterations[1]["from_smote"])
    assert int(iterations[1]["random"]) == 0 and chosen == 4  # 10 % of 4 rounds to no random point
    data = json.loads((job / name).read_text())
    rows = _rows(Path(summary["run_dir"]) / "Spectrum_Files" / "MSSM_Output.csv")
    assert list(rows[0])[:3] == ["ID", "m0", "m12"] and list(rows[0])[-1] == "Result" and len(rows) == summary["valid"]
    model = json.loads((Path(summary["run_dir"]) / "model" / "model.json").read_text())
    assert model["method"] == "MLS" and model["target"] == ("NLL" if data["Setup"].get("TrainLH", "True") == "True"
                                                            else "Observables")
    torch = pytest.importorskip("torch")
    weights = torch.load(Path(summary["run_dir"]) / "model" / next(iter(model["files"].values())), weights_only=True)
    widths = [w.shape[0] for k, w in weights["state_dict"].items() if k.endswith("weight")]
    assert widths[:-1] == data["Setup"]["Neurons"]  # the hidden layers the file asks for


@pytest.mark.parametrize("name", AL_RUNS)
def test_al_example_runs_with_its_cuts_as_the_good_points(job: Path, name: str, monkeypatch) -> None:
    """BSMArt's AL keys in Networks (K, L, HiddenLayers x HiddenSize, Diversity Alpha, FromGood) and the
    observables' TYPE cuts: a point is good when every cut passes (UPPER below MAX, RANGE within MEAN -+
    VARIANCE; a USER value is a probability). Cut short with Points 12: the first batch (Kinitial, or K,
    uniform points; the network's batches are tested in test_mlscanner.py)."""
    data = json.loads((job / name).read_text())
    monkeypatch.chdir((job / name).parent)
    summary = run_scan(job / name, setup={"Points": 12, "Cores": 2, "Seed": 1})
    assert summary["status"] == "finished" and summary["stopped_by"] == "max_evaluations"
    assert summary["evaluations"] == 12 and "short_of_target" not in summary
    rows = _rows(Path(summary["run_dir"]) / "all_points.csv")
    cuts = {n: o for n, o in data.get("Observables", {}).items() if o.get("TYPE") in ("UPPER", "RANGE")}
    for row in rows:
        passes = all(float(row[n]) <= o["MAX"] if o["TYPE"] == "UPPER" else
                     abs(float(row[n]) - o["MEAN"]) <= o["VARIANCE"] for n, o in cuts.items())
        assert (row["good"] == "True") == (row["valid"] == "True" and passes)


@pytest.mark.parametrize("name", MCMC_RUNS)
def test_mcmc_example_writes_bsmart_merged_chain_file(job: Path, name: str, monkeypatch) -> None:
    """Merge Results (every shipped MCMC file sets it): Results/MCMC_results, BSMArt's columns (ID,
    variables, observables, Likelihood) then LogLike, Weight and Chain; one chain per core."""
    if name.startswith("E6AFH"):
        pytest.importorskip("smodels", reason="SModelS is an optional extra: pip install bsmart[smodels]")
        monkeypatch.syspath_prepend(str(DATA / "higgstools_standin"))
    summary, rows = _run(job, name, monkeypatch, max_evaluations=8, setup={"Cores": 2, "Seed": 2})
    assert summary["evaluations"] == 8 and summary["chains"] == 2 and summary["states"] >= 2
    data = json.loads((job / name).read_text())
    columns = list(rows[0])[1 + len(data["Variables"]):]
    observables = columns[:next(i for i, c in enumerate(columns) if c.startswith("loss_") or c == "NLL")]
    assert set(observables) == {*data.get("Observables", {}), *(o for code in data["Codes"].values()
                                                                   for o in code.get("Observables", {}))}
    chain = _rows(Path(summary["run_dir"]) / "Results" / "MCMC_results")
    assert list(chain[0]) == ["ID", *data["Variables"], *observables, "Likelihood", "LogLike", "Weight", "Chain"]
    assert {r["Chain"] for r in chain} == {"0", "1"} and len(chain) == summary["states"]
    by_id = {r["ID"]: r for r in rows}
    for state in chain:  # a state is a valid point, as the Spectrum_Files table has it
        assert all(by_id[state["ID"]][k] == state[k] for k in [*data["Variables"], *observables])
        low, high = data["Variables"][next(iter(data["Variables"]))]["RANGE"]
        assert low <= float(state[next(iter(data["Variables"]))]) <= high


def test_smsqq_grid_runs_spheno_then_micromegas_with_dd_limits(job: Path, monkeypatch) -> None:
    """A 10^5-point grid, stopped after 6 points; MicrOmegas' DD_Limits gives DARKMATTER 501
    (1: allowed, the candidates of 1 TeV with the stand-in's small cross sections)."""
    summary, rows = _run(job, "SMSQQ/SMSQQ_Grid.json", monkeypatch, max_evaluations=6, setup={"Cores": 2})
    assert summary["grid_points"] == 100_000 and summary["evaluations"] == 6 and len(rows) == 6
    assert summary["stopped_by"] == "--max-evaluations" and "short_of_target" in summary
    assert [float(r["kappa"]) for r in rows] == [100.0] * 6  # the grid's first points, in BSMArt's order
    assert {(r["ms"], r["Oh2"], r["DMpval"]) for r in rows} == {("1000.0", "0.0005333333", "1.0")}
    summary, rows = _run(job, "SMSQQ/SMSQQ_Grid.json", monkeypatch, max_evaluations=9, setup={"Cores": 2},
                         resume=True)  # a trial goes on where it stopped
    assert (summary["evaluations"], summary["evaluations_this_session"], len(rows)) == (9, 3, 9)


def test_smsqq_random_reads_omg_out_and_its_dd_exclusion(job: Path, monkeypatch) -> None:
    summary, rows = _run(job, "SMSQQ/SMSQQ_Random.json", monkeypatch, setup={"Points": 6, "Cores": 2, "Seed": 3})
    assert summary["valid"] == 6 and len(rows) == 6
    for row in rows:
        lightest = min(float(row[k]) for k in ("ms", "mqm", "mqp"))
        assert float(row["Oh2"]) == pytest.approx(0.12 * (lightest / 15000) ** 2, rel=1e-6)
        assert float(row["Oh2"]) > 0.122 and row["DD"] == "0.0"  # candidates above 17 TeV: overabundant


def test_validity_check_makes_points_outside_valid_invalid(job: Path, monkeypatch) -> None:
    """mh VALID [120, 130] (the stand-in's mh = 110 + m0 / 20) and MicrOmegas' LSP [1000022]."""
    summary, rows = _run(job, "ValidityCheck/validity_MSSM.json", monkeypatch,
                         setup={"Cores": 2, "Seed": 1, "Store Invalid": "True"})
    assert summary["evaluations"] == 20 and summary["valid"] == 2  # m0 in [200, 400] twice with this seed
    for row in rows:
        assert 120 <= float(row["mh"]) <= 130 and float(row["LSP"]) == 1000022
    invalid = _rows(Path(summary["run_dir"]) / "Spectrum_Files" / "invalid_MSSM_Output.csv")
    assert len(invalid) == 20 - summary["valid"]
    assert all("mh = " in r["error"] and "outside VALID [120, 130]" in r["error"] for r in invalid)


def test_dirac_gauginos_skips_a_code_with_run_false(job: Path, monkeypatch) -> None:
    summary, rows = _run(job, "DiracGauginos/DiracGauginos_Random.json", monkeypatch,
                         setup={"Points": 4, "Cores": 2, "Seed": 1})
    assert summary["valid"] == 4 and [float(r["mH"]) for r in rows] == [110.0] * 4
    spectra = (Path(summary["run_dir"]) / "Spectrum_Files" / "SLHA_output").read_text()
    assert spectra.count("ENDOFPARAMETERPOINT") == 4 and "DARKMATTER" not in spectra  # MicrOmegas did not run


def test_an_example_with_its_program_missing_names_it(job: Path, capsys, monkeypatch) -> None:
    shutil.rmtree(Path(os.environ["HOME"]) / "BSMArt" / "SPheno-4.0.5")
    monkeypatch.chdir(job / "SMSSM")
    assert bsmart_compat_main(["SMSSM_Grid.json"]) == 2
    err = capsys.readouterr().err
    assert "Codes.SPheno.Command: program " in err and "SPheno-4.0.5/bin/SPhenoSMSSM does not exist" in err


def test_e6afh_chain_runs_zpeed_zprime_higgstools_and_smodels(job: Path, monkeypatch) -> None:
    """CSV_High_E6AFH.json, unchanged, re-evaluates BSMArt's own points (E6AFH_points.csv) through
    SPheno, MicrOmegas' cross-section driver, ZPEED, Zprime, HiggsTools and SModelS, on the
    stand-ins, ZPEED's own source, the HiggsTools stand-in package and SModelS (PyPI) with a toy
    database whose one result (gluinos) does not apply to a Z': r = 0, as SModelS finds."""
    pytest.importorskip("smodels", reason="SModelS is an optional extra: pip install bsmart[smodels]")
    monkeypatch.syspath_prepend(str(DATA / "higgstools_standin"))
    summary, rows = _run(job, "E6AFH/CSV_High_E6AFH.json", monkeypatch, max_evaluations=3, setup={"Cores": 2})
    assert summary["evaluations"] == 3 and summary["valid"] == 3
    bsmart_columns = list(_rows(job / "E6AFH" / "E6AFH_points.csv")[0])
    assert set(bsmart_columns) - set(rows[0]) == {"Result"}  # BSMArt's read_csv has no NLL column of its own
    for row in rows:
        assert float(row["mZp"]) == pytest.approx(0.32 * float(row["vs"]), rel=1e-7)
        assert 0 < float(row["CLs"]) <= 1 and float(row["loglike"]) >= 0 and float(row["zplim"]) > 0
        assert (float(row["SModelSr"]), float(row["SModelSrm1"])) == (0.0, -1.0)
        assert float(row["HBobsr"]) == pytest.approx(0.1)  # the charged scalar's 10 * BR(t -> H+ b)
