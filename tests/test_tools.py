"""BSMArt's tools that are Python code: user tools (``Tools/<Name>.py`` with BSMArt's tool
class), and the libraries BSMArt drives (flavio), each run on real files in real worker
processes."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from bsmart.errors import ConfigError
from bsmart.session import run_scan

DATA = Path(__file__).parent / "data"
EXAMPLES = DATA / "bsmart_examples"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_bsmart_user_tool_runs_as_in_bsmart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BSMArt's own MLS/Tools/fakefunc.py, unchanged (pre-package imports `from HEPRun import
    HepTool`, `import zslha`), under FakeMLS.json with a Random scan: the tool reads the filled
    template, writes Block DUMMY into the point's spectrum, and the observable reads it."""
    shutil.copytree(EXAMPLES / "MLS", tmp_path / "job")
    data = json.loads((tmp_path / "job" / "FakeMLS.json").read_text())
    data["Setup"].update(Type="Random", Points=4, Cores=2, Seed=1)
    (tmp_path / "job" / "fake_random.json").write_text(json.dumps(data))
    monkeypatch.chdir(tmp_path / "job")
    summary = run_scan(tmp_path / "job" / "fake_random.json")
    rows = _rows(Path(summary["run_dir"]) / "Spectrum_Files" / "MSSM_Output.csv")
    assert len(rows) == 4
    for row in rows:
        m0, m12 = float(row["m0"]), float(row["m12"])
        assert float(row["lres"]) == pytest.approx(-((m0 - 800) ** 2 + (m12 - 750) ** 2) / 1e5, rel=1e-7)
    spectra = (Path(summary["run_dir"]) / "Spectrum_Files" / "MSSM_Output").read_text()
    assert spectra.count("BLOCK DUMMY") == 4 and spectra.count("ENDOFPARAMETERPOINT") == 4


def test_user_tool_failures_are_one_line_and_cost_only_their_point(tmp_path: Path) -> None:
    (tmp_path / "Tools").mkdir()
    (tmp_path / "Tools" / "picky.py").write_text(
        "from bsmart.HEPRun import HepTool\n"
        "class NewTool(HepTool):\n"
        "    def run(self, spc_file, temp_dir, log, data_point):\n"
        "        x = data_point.get_var_dict()['x']\n"
        "        if x > 0.5:\n"
        "            raise ValueError('x too large for me')\n"
        "        data_point.obs_dict['y'] = 2 * x\n")
    data = {"Setup": {"Type": "Random", "RunName": "Picky", "Points": 8, "Seed": 2, "Cores": 2},
            "Variables": {"x": {"RANGE": [0, 1]}},
            "Codes": {"picky": {"Run": "True", "Observables": {"y": {"SCALING": "OFF"}}}}}
    (tmp_path / "in.json").write_text(json.dumps(data))
    summary = run_scan(tmp_path / "in.json", output_dir=tmp_path)
    rows = _rows(tmp_path / "Picky" / "all_points.csv")
    assert summary["evaluations"] == 8 and 0 < summary["valid"] < 8
    for row in rows:
        if float(row["x"]) > 0.5:
            assert row["valid"] == "False" and row["error"] == "picky: ValueError: x too large for me"
        else:
            assert float(row["y"]) == pytest.approx(2 * float(row["x"]))
    (tmp_path / "Tools" / "picky.py").write_text("class NewTool:\n    pass\n")
    with pytest.raises(ConfigError, match=r"Codes.picky: .*picky.py must define a class NewTool\(HepTool\)"):
        run_scan(tmp_path / "in.json", output_dir=tmp_path, overwrite=True)
    (tmp_path / "Tools" / "picky.py").unlink()
    with pytest.raises(ConfigError, match=r"Codes.picky: needs .*or a user tool Tools/picky.py next to the input"):
        run_scan(tmp_path / "in.json", output_dir=tmp_path, overwrite=True)


WILSON_WRITER = """import json, sys
import pyslha
c10 = pyslha.read(sys.argv[1], ignorenobr=True, ignorenomass=True).blocks["MINPAR"][1]
open(sys.argv[2], "w").write("Block MINPAR\\n    1   %.8E  # C10\\n" % c10)
json.dump({"eft": "WET", "basis": "flavio", "scale": 4.8, "values": {"C10_bsmumu": c10}}, open("WC.json", "w"))
"""


def test_flavio_computes_the_new_physics_shift_from_the_points_wilson_coefficients(tmp_path: Path) -> None:
    """A program writes a WCxf file for each point (C10_bsmumu = the variable); flavio gives
    BR(Bs->mumu) minus its SM value in Block FLAVIO. Expected values: flavio 2.7.1 itself
    (python -c "flavio.np_prediction('BR(Bs->mumu)', w) - flavio.sm_prediction('BR(Bs->mumu)')")."""
    pytest.importorskip("flavio", reason="flavio is in bsmart's test extra: pip install -e '.[test]'")
    (tmp_path / "wc.py").write_text(WILSON_WRITER)
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   C10\n")
    data = {"Setup": {"Type": "Grid", "RunName": "Flavio", "Cores": 1},
            "Variables": {"C10": [-0.5, 0.8]},
            "Codes": {"wc": {"Command": f"python3 {tmp_path / 'wc.py'} {{InputFile}} {{OutputFile}}",
                             "InputFile": "in.tpl", "OutputFile": "spectrum.slha"},
                      "flavio": {"InputFile": "WC.json", "Run": "True",
                                 "Observables": {"BR(Bs->mumu)": {"SLHA": ["FLAVIO", [1]], "SCALING": "OFF"},
                                                 "BR(B0->mumu)": {"SCALING": "OFF"}}}}}
    (tmp_path / "in.json").write_text(json.dumps(data))
    summary = run_scan(tmp_path / "in.json", output_dir=tmp_path)
    assert summary["valid"] == 2, summary
    rows = _rows(tmp_path / "Flavio" / "all_points.csv")
    shifts = {float(r["C10"]): float(r["BR(Bs->mumu)"]) for r in rows}
    assert shifts == pytest.approx({-0.5: 9.232397961701316e-10, 0.8: -1.2597784983348998e-09}, rel=1e-6)
    assert [float(r["BR(B0->mumu)"]) for r in rows] == [0.0, 0.0]  # taken directly; b -> d: no shift


ZPRIME_SCAN = {"Setup": {"Type": "Grid", "RunName": "Zp", "Cores": 2},
               "Variables": {"MZp": [2000, 3000, 4000], "gl": [0.05]},
               "Codes": {"spectrum": {"Command": f"python3 {DATA / 'zprime_spectrum.py'} {{InputFile}} {{OutputFile}}",
                                      "InputFile": "in.tpl", "OutputFile": "spectrum.slha"},
                         "ZPEED": {"Path": str(DATA / "ZPEED"), "Run": "True",
                                   "Observables": {"loglike": {"SLHA": ["ZPEED", [1]], "SCALING": "OFF"},
                                                   "CLs": {"SLHA": ["ZPEED", [3]], "SCALING": "OFF"}}},
                         "Zprime": {"Run": "True",
                                    "Observables": {"zplim": {"SLHA": ["ZPRIME", [1]], "SCALING": "OFF"},
                                                    "xs": {"SLHA": ["XSECTION", [1.3e4, 2212, 2212, 31]],
                                                           "SCALING": "OFF"}}}}}


def test_zpeed_and_zprime_limit_a_zprime_as_in_bsmart(tmp_path: Path) -> None:
    """A Z' of 2, 3 and 4 TeV (couplings in Block ZPEEDIN, its 13 TeV cross section as an
    XSECTION section): ZPEED's likelihood, run from its own source (tests/data/ZPEED, unchanged),
    and BSMArt's Z'-explorer limit ratio. Expected values: ZPEED itself (calculate_chi2 with
    interference and chi2_CLs.get_likelihood on the same couplings, mass and width), and BSMArt's
    XSBR spline through data/ZprimeExplorer (the largest of xs * BR / limit: ee at 2 TeV, mumu
    above)."""
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   MZp\n    2   gl\n")
    (tmp_path / "in.json").write_text(json.dumps(ZPRIME_SCAN))
    summary = run_scan(tmp_path / "in.json", output_dir=tmp_path)
    assert summary["valid"] == 3, summary
    rows = {float(r["MZp"]): r for r in _rows(tmp_path / "Zp" / "all_points.csv")}
    zpeed = {2000.0: (81.23531790690433, 3.2492658584355484e-14), 3000.0: (15.477254261861756, 0.015060150517629742),
             4000.0: (4.727012131851712, 0.6084929031674623)}
    bsmart_spline = {2000.0: 72.3913211243959, 3000.0: 15.080905831892311, 4000.0: 4.186243690093593}
    for mass, row in rows.items():
        assert (float(row["loglike"]), float(row["CLs"])) == pytest.approx(zpeed[mass], rel=1e-6)
        assert float(row["zplim"]) == pytest.approx(bsmart_spline[mass], rel=1e-5)
        assert float(row["xs"]) == pytest.approx(0.01 * (3000 / mass) ** 6, rel=1e-6)


def test_zpeed_without_its_source_is_one_line_before_any_point(tmp_path: Path) -> None:
    data = json.loads(json.dumps(ZPRIME_SCAN))
    data["Codes"]["ZPEED"]["Path"] = str(tmp_path / "nowhere")
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   MZp\n    2   gl\n")
    (tmp_path / "in.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"Codes.ZPEED.Path: no ZPEED in .*nowhere \(missing .*\); get it from"):
        run_scan(tmp_path / "in.json", output_dir=tmp_path)
    assert not (tmp_path / "Zp").exists()


HIGGS_SCAN = {"Setup": {"Type": "Grid", "RunName": "Higgs", "Cores": 2, "Spectrum File": "SPheno.spc.MSSM"},
              "Variables": {"m0": [300, 340], "m12": [1000]},
              "Codes": {"SPheno": {"Command": str(DATA / "spheno_standin.py"), "InputFile": "in.tpl",
                                   "OutputFile": "SPheno.spc.MSSM"},
                        "HiggsTools": {"HiggsBounds Dataset": "hbdataset", "HiggsSignals Dataset": "hsdataset",
                                       "Neutral Higgs": [25, 35, 45, 36], "Charged Higgs": [37], "Run": "True",
                                       "Observables": {"HBresult": {"SLHA": ["HIGGSTOOLS", [1]], "SCALING": "OFF"},
                                                       "HBobsr": {"SLHA": ["HIGGSTOOLS", [2]], "SCALING": "OFF"},
                                                       "HSchi2": {"SLHA": ["HIGGSTOOLS", [11]], "SCALING": "OFF"},
                                                       "HSpval": {"SLHA": ["HIGGSTOOLS", [13]], "SCALING": "OFF"},
                                                       "ratio25": {"SLHA": ["HIGGSTOOLS", [25]], "SCALING": "OFF"},
                                                       "ratio37": {"SLHA": ["HIGGSTOOLS", [37]], "SCALING": "OFF"}}}}}


def test_higgstools_gets_the_spectrum_as_higgstools_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HiggsTools' package is not on PyPI, so a stand-in ``Higgs`` package (tests/data/
    higgstools_standin: HiggsTools' calls, made-up physics of the input dictionary) takes its
    place. The SPheno stand-in writes mh = 110 + m0/20, effc_WW(25) = 1 - m0/40000 in
    HiggsCouplingsBosons (value first), BR(t -> 37 b) = 0.01, no DMASS (BSMArt's 3 GeV), and
    BR(h -> chi1 chi1) = 0.05 into the stable LSP (DECAY 1000022 0: invisible; h -> WW is not,
    though the W has no DECAY block)."""
    from scipy.stats import chi2

    monkeypatch.syspath_prepend(str(DATA / "higgstools_standin"))
    (tmp_path / "hbdataset").mkdir()
    (tmp_path / "hsdataset").mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\n    2   m12\n")
    (tmp_path / "in.json").write_text(json.dumps(HIGGS_SCAN))
    summary = run_scan(tmp_path / "in.json", output_dir=tmp_path)
    assert summary["valid"] == 2, summary
    for row in _rows(tmp_path / "Higgs" / "all_points.csv"):
        m0 = float(row["m0"])
        mh, effc_ww = 110 + m0 / 20, 1 - m0 / 40000
        assert float(row["ratio25"]) == pytest.approx(0.5 * effc_ww ** 2 * (125 / mh) ** 2, rel=1e-7)
        assert float(row["ratio37"]) == pytest.approx(10 * 0.01)
        assert float(row["HBobsr"]) == pytest.approx(max(0.5 * effc_ww ** 2 * (125 / mh) ** 2, 0.1), rel=1e-7)
        assert float(row["HBresult"]) == 1
        hs = 150 + ((mh - 125.09) / 3.0) ** 2 + 100 * 0.05
        assert float(row["HSchi2"]) == pytest.approx(hs, rel=1e-7)
        assert float(row["HSpval"]) == pytest.approx(chi2.sf(hs, 159), rel=1e-6)


def test_higgstools_signal_strengths_as_in_bsmart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BSMArt's entries 1000 (n + 1) + 100 i + j: scalar n's rate in production i, decay j over an
    SM-like scalar's. The stand-in's rates are effc_WW^2 BR(decay) against SM_BR: for 25 (effc_WW
    = 1 - m0/40000, BR(bb) = 0.6) in H -> bb and LEP's eeHZ -> bb, and 35 (effc_WW 0.1, BR(bb) 1);
    no gg decay is 0."""
    monkeypatch.syspath_prepend(str(DATA / "higgstools_standin"))
    for folder in ("hbdataset", "hsdataset"):
        (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\n    2   m12\n")
    data = json.loads(json.dumps(HIGGS_SCAN))
    data["Codes"]["HiggsTools"]["Signal Strengths"] = "True"
    data["Codes"]["HiggsTools"]["Observables"] = {
        name: {"SLHA": ["HIGGSTOOLS", [entry]], "SCALING": "OFF"}
        for name, entry in (("mu_H_25_bb", 1000), ("mu_H_25_WW", 1002), ("mu_H_25_gg", 1004),
                            ("mu_eeHZ_25_bb", 1400), ("mu_H_35_bb", 2000))}
    (tmp_path / "in.json").write_text(json.dumps(data))
    assert run_scan(tmp_path / "in.json", output_dir=tmp_path)["valid"] == 2
    for row in _rows(tmp_path / "Higgs" / "all_points.csv"):
        effc_ww = 1 - float(row["m0"]) / 40000
        assert float(row["mu_H_25_bb"]) == float(row["mu_eeHZ_25_bb"]) == pytest.approx(effc_ww ** 2 * 0.6 / 0.58)
        assert float(row["mu_H_25_WW"]) == pytest.approx(effc_ww ** 2 * 0.25 / 0.215)
        assert float(row["mu_H_25_gg"]) == 0.0
        assert float(row["mu_H_35_bb"]) == pytest.approx(0.01 / 0.58)


def test_higgstools_missing_package_or_dataset_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\n    2   m12\n")
    (tmp_path / "in.json").write_text(json.dumps(HIGGS_SCAN))
    with pytest.raises(ConfigError, match=r"Codes.HiggsTools: BSMArt's HiggsTools tool needs the Python package "
                                          r"'Higgs', which is not installed here; it is not on PyPI: build it"):
        run_scan(tmp_path / "in.json", output_dir=tmp_path)
    monkeypatch.syspath_prepend(str(DATA / "higgstools_standin"))
    with pytest.raises(ConfigError, match=r"Codes.HiggsTools.HiggsBounds Dataset: no dataset folder hbdataset"):
        run_scan(tmp_path / "in.json", output_dir=tmp_path)
    assert not (tmp_path / "Higgs").exists()


def _smodels_job(tmp_path: Path, tool: str = "SModelS") -> Path:
    """tests/data/smodels (a toy database, its parameters.ini, QNUMBERS of a gluino and a
    neutralino) copied beside a Grid over the gluino mass, pass_tool making the spectrum; the
    code is named ``tool`` (BSMArt's SModelS, or its legacy SModelS2 with the same keys)."""
    shutil.copytree(DATA / "smodels", tmp_path / "smodels")
    shutil.copy(DATA / "smodels" / "gluino.tpl", tmp_path / "gluino.slha")
    data = {"Setup": {"Type": "Grid", "RunName": "SModelS", "Cores": 2, "Spectrum File": "gluino.slha"},
            "Variables": {"mg": [1400, 1800, 3400], "mlsp": [400]},
            "Codes": {"pass_tool": {"InputFile": "gluino.slha"},
                      tool: {"Parameter file": "smodels/parameters.ini", "QNUMBERS file": "smodels/qnumbers.slha",
                                  "Run": "True",
                                  "Observables": {"SModelSr": {"SLHA": ["SMODELS", [1]], "SCALING": "OFF"},
                                                  "SModelSrm1": {"SLHA": ["SMODELS", [2]], "SCALING": "OFF"}}}}}
    (tmp_path / "in.json").write_text(json.dumps(data))
    return tmp_path / "in.json"


@pytest.mark.parametrize("tool", ["SModelS", "SModelS2"])
def test_smodels_finds_the_r_of_the_result_that_applies(tmp_path: Path, tool: str) -> None:
    """A 100 fb gluino pair, each gluino -> d d~ neutralino (400 GeV), against the toy result's
    upper limit 0.02 + 0.03 mlsp / mg pb: r = 3.5 at mg = 1400 and 3.75 at 1800 (on the
    grid's nodes, up to SModelS' interpolation); above the grid (3400) no result applies: r = 0."""
    pytest.importorskip("smodels", reason="SModelS is an optional extra: pip install bsmart[smodels]")
    summary = run_scan(_smodels_job(tmp_path, tool), output_dir=tmp_path)
    assert summary["valid"] == 3, summary
    rows = {float(r["mg"]): r for r in _rows(tmp_path / "SModelS" / "all_points.csv")}
    for mg, expected in ((1400.0, 100 / (20 + 30 * 400 / 1400)), (1800.0, 100 / (20 + 30 * 400 / 1800)),
                         (3400.0, 0.0)):
        assert float(rows[mg]["SModelSr"]) == pytest.approx(expected, rel=2e-4, abs=1e-12)
        assert float(rows[mg]["SModelSrm1"]) == pytest.approx(expected - 1, rel=2e-4)


def test_smodels_without_its_parameters_or_database_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("smodels", reason="SModelS is an optional extra: pip install bsmart[smodels]")
    path = _smodels_job(tmp_path)
    (tmp_path / "smodels" / "parameters.ini").write_text(
        (tmp_path / "smodels" / "parameters.ini").read_text().replace("path = database", "path = nowhere"))
    with pytest.raises(ConfigError, match=r"Codes.SModelS.Parameter file: .*parameters.ini: \[database\] path nowhere "
                                          r"does not exist"):
        run_scan(path, output_dir=tmp_path)
    (tmp_path / "smodels" / "parameters.ini").unlink()
    with pytest.raises(ConfigError, match=r"Codes.SModelS.Parameter file: no file or folder .*parameters.ini"):
        run_scan(path, output_dir=tmp_path)
    assert not (tmp_path / "SModelS").exists()


def test_anybsm_example_computes_kappa_lambda(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BSMArt's anyBSM/random.json (SPheno, HiggsTools, anyBSM) with its three machine paths
    (SPheno's /dev/shm program, HiggsTools' /itp datasets) pointed here and the template it does
    not ship written. anyBSM's models are fetched from gitlab on first use, so a stand-in package
    (tests/data/anybsm_standin: anyBSM's calls, made-up physics) takes its place: the variables
    reach it through setparameters' expressions, and BSMArt's "quiet": "True" arrives as a bool."""
    monkeypatch.syspath_prepend(str(DATA / "higgstools_standin"))
    monkeypatch.syspath_prepend(str(DATA / "anybsm_standin"))
    shutil.copytree(EXAMPLES / "anyBSM", tmp_path / "job")
    data = json.loads((tmp_path / "job" / "random.json").read_text())
    data["Codes"]["SPheno"]["Command"] = str(DATA / "spheno_standin.py")
    for key in ("HiggsBounds Dataset", "HiggsSignals Dataset"):
        (tmp_path / key.split()[0]).mkdir()
        data["Codes"]["HiggsTools"][key] = str(tmp_path / key.split()[0])
    (tmp_path / "job" / "tpl.in").write_text("Block MINPAR\n    1   400\n    2   MA\n")  # mh = 130 for HSchi2
    (tmp_path / "job" / "in.json").write_text(json.dumps(data))
    monkeypatch.chdir(tmp_path / "job")
    summary = run_scan(tmp_path / "job" / "in.json", setup={"Points": 4, "Cores": 2, "Seed": 5})
    assert summary["valid"] == 4, summary
    for row in _rows(Path(summary["run_dir"]) / "all_points.csv"):
        mh, ma, mhp, m = (float(row[k]) for k in ("MH", "MA", "MHp", "M"))
        loop = 190.0 * (2 - float(row["SinBmA"]) ** 2) + (mh ** 2 + ma ** 2 + mhp ** 2 - 3 * m ** 2) ** 2 / 1e12
        assert float(row["kappalam"]) == pytest.approx(loop / 187.2818, rel=1e-7)
