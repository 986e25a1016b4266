"""BSMArt's tools that run a program on the point's spectrum (HiggsBounds, HiggsSignals,
VevaciousPlusPlus, VacStab), the FlexibleSUSY spectrum generators and pass_tool, each run as
BSMArt runs it, against stand-in programs that read and write the real programs' files."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from bsmart.errors import ConfigError, ScanError
from bsmart.session import run_scan

DATA = Path(__file__).parent / "data"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _off(block: str, entry: int) -> dict:
    return {"SLHA": [block, [entry]], "SCALING": "OFF"}


VACUUM = str(DATA / "vacuum_standin.py")
CHAIN = {"Setup": {"Type": "Grid", "RunName": "Chain", "Cores": 2, "Spectrum File": "SPheno.spc.MSSM",
                   "StoreAllPoints": "True"},
         "Variables": {"m0": [100, 400], "m12": [1000]},
         "Codes": {"SPheno": {"Command": str(DATA / "spheno_standin.py"), "InputFile": "in.tpl",
                              "OutputFile": "SPheno.spc.MSSM"},
                   "HiggsBounds": {"Command": str(DATA / "higgsbounds_standin.py"), "Neutral Higgs": [25, 35, 45, 36],
                                   "Charged Higgs": [37], "Run": "True",
                                   "Observables": {"HBRatio": _off("HIGGSBOUNDS", 101),
                                                   "HBresult": _off("HIGGSBOUNDS", 6)}},
                   "HiggsSignals": {"Command": str(DATA / "higgsbounds_standin.py"), "Neutral Higgs": 4,
                                    "Charged Higgs": 1,
                                    "Observables": {"HSpval": _off("HIGGSSIGNALS", 101),
                                                    "csqmh": _off("HIGGSSIGNALS", 7)}},
                   "VevaciousPlusPlus": {"Command": f"{VACUUM} vevacious", "Initialization File": "init.xml",
                                         "Observables": {"Vstab": _off("VEVACIOUSSTABILITY", 1)}},
                   "VacStab": {"Command": "python3 ~/vacuum_standin.py vacstab", "InputFile": "vacstab.in",
                               "Observables": {"Vacstab": _off("VACUUMSTABILITY", 1)}}}}


def test_higgsbounds_higgssignals_and_vacuum_tools_read_the_spectrum_and_add_their_blocks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SPheno's stand-in writes mh = 110 + m0/20 and HiggsBounds' input files; the HiggsBounds
    stand-in finds obsratio = 0.5 (125/mh)^2, HiggsSignals' csq(mh) = ((mh - 125.09)/5)^2 with
    BSMArt's 5 GeV mass uncertainty, the vacuum stand-ins 'stable' when mh < 125. VacStab's
    command names its script under ~, as BSMArt's example does."""
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(VACUUM, tmp_path)
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\n    2   m12\n")
    (tmp_path / "init.xml").write_text("<VevaciousPlusPlusObjectInitialization/>\n")
    (tmp_path / "in.json").write_text(json.dumps(CHAIN))
    summary = run_scan(tmp_path / "in.json", output_dir=tmp_path)
    assert summary["valid"] == 2, summary
    for row in _rows(tmp_path / "Chain" / "all_points.csv"):
        mh = 110 + float(row["m0"]) / 20
        assert float(row["HBRatio"]) == pytest.approx(0.5 * (125 / mh) ** 2, rel=1e-7)
        assert float(row["HBresult"]) == 1
        csq = ((mh - 125.09) / 5.0) ** 2
        assert float(row["csqmh"]) == pytest.approx(csq, rel=1e-6)
        assert float(row["HSpval"]) == pytest.approx(math.exp(-(100 + csq) / 200), rel=1e-6)
        assert float(row["Vstab"]) == float(row["Vacstab"]) == (mh < 125)
    spectra = (tmp_path / "Chain" / "Spectrum_Files" / "SLHA_output").read_text().upper()
    for block in ("HIGGSBOUNDS", "HIGGSSIGNALS", "VEVACIOUSSTABILITY", "VACUUMSTABILITY"):
        assert spectra.splitlines().count(f"BLOCK {block}") == 2, block


def test_a_program_tool_that_fails_costs_only_its_point(tmp_path: Path) -> None:
    """HiggsBounds asked for more scalars than SPheno's files hold stops as Fortran's read does:
    each point is invalid with HiggsBounds' own words; a missing Vevacious initialization file
    is one line before any point."""
    data = json.loads(json.dumps(CHAIN))
    data["Codes"]["HiggsBounds"]["Options"] = "LandH effC 9 1"
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\n    2   m12\n")
    (tmp_path / "init.xml").write_text("<VevaciousPlusPlusObjectInitialization/>\n")
    (tmp_path / "in.json").write_text(json.dumps(data))
    with pytest.raises(ScanError, match="every one of the 2 evaluated points failed: 2x HiggsBounds exited"):
        run_scan(tmp_path / "in.json", output_dir=tmp_path)
    for row in _rows(tmp_path / "Chain" / "all_points.csv"):
        assert row["error"] == "HiggsBounds exited with status 1: Fortran runtime error: End of file (./MH_GammaTot.dat)"
    (tmp_path / "init.xml").unlink()
    with pytest.raises(ConfigError, match=r"Codes.VevaciousPlusPlus.Initialization File: no file .*init.xml"):
        run_scan(tmp_path / "in.json", output_dir=tmp_path, overwrite=True)


def test_flexiblesusy_and_pass_tool_make_the_spectrum(tmp_path: Path) -> None:
    """FlexibleSUSY is called with --slha-input-file/--slha-output-file and its output is the
    spectrum HiggsBounds reads beside; pass_tool writes the parameter card and reads it back."""
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\n    2   m12\n")
    data = {"Setup": {"Type": "Grid", "RunName": "FS", "Cores": 1}, "Variables": {"m0": [100, 400], "m12": [1000]},
            "Codes": {"FlexibleSUSY": {"Command": str(DATA / "flexiblesusy_standin.py"), "InputFile": "in.tpl",
                                       "Observables": {"mh": _off("MASS", 25)}},
                      "HiggsBounds": {"Command": str(DATA / "higgsbounds_standin.py"), "Options": "LandH effC 1 1",
                                      "Observables": {"HBRatio": _off("HIGGSBOUNDS", 101)}}}}
    (tmp_path / "fs.json").write_text(json.dumps(data))
    assert run_scan(tmp_path / "fs.json", output_dir=tmp_path)["valid"] == 2
    for row in _rows(tmp_path / "FS" / "all_points.csv"):
        assert float(row["mh"]) == pytest.approx(110 + float(row["m0"]) / 20)
        assert float(row["HBRatio"]) == pytest.approx(0.5 * (125 / float(row["mh"])) ** 2, rel=1e-7)
    (tmp_path / "param_card.dat").write_text("Block MINPAR\n    1   m0\n    2   m12\n")
    data = {"Setup": {"Type": "Grid", "RunName": "Card", "Cores": 1, "Spectrum File": "param_card.dat"},
            "Variables": {"m0": [100, 400], "m12": [1000]},
            "Codes": {"pass_tool": {"InputFile": "param_card.dat", "Observables": {"m0back": _off("MINPAR", 1)}}}}
    (tmp_path / "card.json").write_text(json.dumps(data))
    assert run_scan(tmp_path / "card.json", output_dir=tmp_path)["valid"] == 2
    assert [float(r["m0back"]) for r in _rows(tmp_path / "Card" / "all_points.csv")] == [100.0, 400.0]


def test_resummino_runs_once_per_process_at_the_points_energy(tmp_path: Path) -> None:
    """Two processes (neutralino pair; A + H+), CMS an expression of a variable: Block RESUMMINO
    entries 1-3 and 11-13 from the stand-in's JSON (lo = (sqrt(s)/13 TeV)^2 (1 TeV/(m1 + m2))^4
    pb, with the SPheno stand-in's m(chi1) = 0.4 m12, mA = m12 + 90, mH+ = m12 + 100); a process
    resummino cannot compute (no mass for its particle) makes the point invalid with its words."""
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\n    2   m12\n")
    data = {"Setup": {"Type": "Grid", "RunName": "XS", "Cores": 2, "Spectrum File": "SPheno.spc.MSSM"},
            "Variables": {"m0": [100], "m12": [1000, 1500], "sqrts": [13000, 14000]},
            "Codes": {"SPheno": {"Command": str(DATA / "spheno_standin.py"), "InputFile": "in.tpl",
                                 "OutputFile": "SPheno.spc.MSSM"},
                      "resummino": {"Command": str(DATA / "resummino_standin.py"), "CMS": "sqrts",
                                    "Processes": [[1000022, 1000022], [36, 37]],
                                    "Observables": {"lo0": _off("RESUMMINO", 1), "nll0": _off("RESUMMINO", 3),
                                                    "nlo1": _off("RESUMMINO", 12)}}}}
    (tmp_path / "in.json").write_text(json.dumps(data))
    assert run_scan(tmp_path / "in.json", output_dir=tmp_path)["valid"] == 4
    for row in _rows(tmp_path / "XS" / "all_points.csv"):
        m12, energy = float(row["m12"]), (float(row["sqrts"]) / 13000) ** 2
        assert float(row["lo0"]) == pytest.approx(energy * (1000 / (0.8 * m12)) ** 4, rel=1e-6)
        assert float(row["nll0"]) == pytest.approx(1.4 * float(row["lo0"]), rel=1e-6)
        assert float(row["nlo1"]) == pytest.approx(1.3 * energy * (1000 / (2 * m12 + 190)) ** 4, rel=1e-6)
    data["Codes"]["resummino"]["Processes"].append([1000021, 1000021])
    data["Setup"]["RunName"] = "Gluinos"
    (tmp_path / "in.json").write_text(json.dumps(data))
    with pytest.raises(ScanError, match="every one of the 4 evaluated points failed"):
        run_scan(tmp_path / "in.json", output_dir=tmp_path)
    for row in _rows(tmp_path / "Gluinos" / "all_points.csv"):
        assert row["error"].startswith("resummino exited with status 1: error: particle [1000021, 1000021] has no mass")


def _madgraph_input(tmp_path: Path, madgraph: dict, masses: list[float]) -> Path:
    """A copy of the MadGraph stand-in's process folder (with an earlier run under Events/) and
    an input whose pass_tool writes the gluino mass mgl into the spectrum."""
    shutil.copytree(DATA / "madgraph_standin", tmp_path / "proc")
    (tmp_path / "proc" / "Events" / "run_01").mkdir()
    (tmp_path / "proc" / "Events" / "run_01" / "unweighted_events.lhe.gz").write_text("the user's events")
    (tmp_path / "in.tpl").write_text("Block MINPAR\n    1   m0\nBlock MASS\n  1000021  mgl\n")
    (tmp_path / "qnumbers.dat").write_text("BLOCK QNUMBERS 1000021 # go\n  1 0\n  2 8\n  3 8\n  4 0\n")
    data = {"Setup": {"Type": "Grid", "RunName": "MG", "Cores": 2, "Spectrum File": "card.slha",
                      "debug": "True", "Temporary Directory": "scratch"},
            "Variables": {"m0": [100], "mgl": masses},
            "Codes": {"pass_tool": {"InputFile": "card.slha", "Template": "in.tpl"},
                      "MadGraph": {"Command": "proc/bin/generate_events", "Process": "p p > go go", **madgraph}}}
    (tmp_path / "in.json").write_text(json.dumps(data))
    return tmp_path / "in.json"


def test_madgraph_runs_each_worker_in_its_own_copy_of_the_process_folder(tmp_path: Path) -> None:
    """The stand-in's cross section is 2 pb (1000/mgl)^4, times the k-factor; the expression in
    Extra Commands is evaluated per point; QNUMBERS are appended to the param card; the user's
    process folder (its cards, its earlier events) is left as it was, with two workers."""
    observables = {f"xs{k}": _off("MADGRAPH", k) for k in (1, 2, 3)}
    path = _madgraph_input(tmp_path, {"k-factor": 1.5, "QNUMBERS file": "qnumbers.dat", "Observables": observables,
                                      "Extra Commands": [["set nevents", "10 * mgl"], ["set run_tag", "bsmart"],
                                                         ["done"]]}, [1000, 1500, 2000, 2500])
    before = {p: p.read_bytes() for p in (tmp_path / "proc").rglob("*") if p.is_file()}
    summary = run_scan(path, output_dir=tmp_path)
    assert summary["valid"] == 4, summary
    for row in _rows(tmp_path / "MG" / "all_points.csv"):
        assert float(row["xs1"]) == pytest.approx(1.5 * 2 * (1000 / float(row["mgl"])) ** 4, rel=1e-5)
        assert float(row["xs2"]) == float(row["xs3"]) == 0
    assert before == {p: p.read_bytes() for p in (tmp_path / "proc").rglob("*") if p.is_file()}
    copies = list((tmp_path / "scratch").glob("bsmart_MG_*/.MadGraph-*"))
    assert 1 <= len(copies) <= 2
    ran = {(c / "Events" / "run_01" / "commands.txt").read_text() for c in copies}  # one run each, the last
    assert ran <= {f"set nevents {10 * m:12.8e}\nset run_tag bsmart\ndone\n" for m in (1000, 1500, 2000, 2500)}
    assert all("BLOCK QNUMBERS 1000021" in (c / "Cards" / "param_card.dat").read_text() for c in copies)
    assert all(not (c / "Events" / "run_02").exists() for c in copies)  # earlier points' runs were cleared


def test_madgraph_madspin_cross_section_table_and_errors(tmp_path: Path) -> None:
    """With madspin=ON the decayed run's cross section is read; with a Cross-sections table (fb)
    entries 1-3 come from it and 4-6 from MadGraph, and a mass outside it makes the point invalid;
    a point MadGraph fails on is invalid with its words; a folder that is not a MadGraph process
    folder is one line."""
    (tmp_path / "xs.csv").write_text("# mass, xs (fb), error (fb)\n" +
                                     "".join(f"{m}, {4000 * (1000 / m) ** 4}, {400 * (1000 / m) ** 4}\n"
                                             for m in range(800, 2600, 200)))
    table = {"File": "xs.csv", "Mass Variable": "mgl", "Units": "fb"}
    observables = {f"xs{k}": _off("MADGRAPH", k) for k in (1, 2, 4)}
    path = _madgraph_input(tmp_path, {"Extra Commands": [["madspin=ON"], ["done"]], "Cross-sections": table,
                                      "Observables": observables}, [1000, 2000, 3000])
    run_scan(path, output_dir=tmp_path)
    rows = {float(r["mgl"]): r for r in _rows(tmp_path / "MG" / "all_points.csv")}
    for mass in (1000, 2000):
        assert float(rows[mass]["xs1"]) == pytest.approx(4 * (1000 / mass) ** 4, rel=1e-3)
        assert float(rows[mass]["xs2"]) == pytest.approx(0.1, rel=1e-3)
        assert float(rows[mass]["xs4"]) == pytest.approx((1000 / mass) ** 4, rel=1e-5)  # MadSpin's half
    assert "outside the table (800 to 2400)" in rows[3000]["error"]

    data = json.loads(path.read_text())
    data["Variables"]["mgl"] = [1000, 2000]
    data["Codes"]["pass_tool"]["Template"] = "nomass.tpl"
    (tmp_path / "nomass.tpl").write_text("Block MINPAR\n    1   m0\n    2   mgl\n")
    del data["Codes"]["MadGraph"]["Cross-sections"]
    path.write_text(json.dumps(data))
    with pytest.raises(ScanError, match=r"2x MadGraph exited with status 1: Error: no gluino mass"):
        run_scan(path, output_dir=tmp_path, overwrite=True)
    del data["Codes"]["MadGraph"]["Command"]
    data["Codes"]["MadGraph"].update({"Proc Card": "proc_card.dat", "MadGraph Path": "~/MG5/bin/mg5_aMC"})
    (tmp_path / "proc_card.dat").write_text("import model MSSM_SLHA2\ngenerate p p > go go\noutput gluinos\n")
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"Codes.MadGraph.Proc Card: .*gluinos is not a MadGraph5 process folder "
                                          r"\(no bin/generate_events\); make it once with `~/MG5/bin/mg5_aMC "
                                          r"proc_card.dat`"):
        run_scan(path, output_dir=tmp_path, overwrite=True)


def test_madgraph_cross_section_readers_take_the_first_that_madgraph_wrote(tmp_path: Path) -> None:
    """As BSMArt's readxsdata: merged cross sections (MLM/FxFx matching) first, then the
    systematics log (the uncertainties in quadrature), then the banner."""
    from bsmart.codes.tools._madgraph import read_cross_section
    from bsmart.errors import CodeError

    with pytest.raises(CodeError, match="no cross section in run_01"):
        read_cross_section(tmp_path / "run_01")
    (tmp_path / "run_01_tag_1_banner.txt").write_text("#  Integrated weight (pb)  :       0.25\n")
    assert read_cross_section(tmp_path) == (0.25, 0.0, 0.0)
    (tmp_path / "parton_systematics.log").write_text(
        "# original cross-section: 0.5\n#     scale variation: +9.6% -8.07%\n"
        "#     central scheme variation: +0.00% -9.01%\n# PDF variation: +1.65% -1.65%\n")
    xs, plus, minus = read_cross_section(tmp_path)
    assert (xs, plus, minus) == pytest.approx((0.5, math.hypot(9.6, 0, 1.65) / 100, math.hypot(8.07, 9.01, 1.65) / 100))
    (tmp_path / "tag_1_merged_xsecs.txt").write_text("Merging scale   Cross section (pb)  Error (pb)\n"
                                                     "30.0   1.234e+00   1.2e-02\n")
    assert read_cross_section(tmp_path) == (1.234, 0.0, 0.0)


def _hackanalysis_job(tmp_path: Path, **code: Any) -> Path:
    """A Grid over the gluino mass: pass_tool fills the spectrum, HackAnalysis_LO (the stand-in
    analysePYTHIA.exe, tests/data/hackanalysis_standin) analyses it with the YAML file and the Pythia
    configuration beside it, whose 1000022:m0 = 0.5 * mg is evaluated for each point."""
    shutil.copytree(DATA / "hackanalysis_standin", tmp_path / "ha")
    (tmp_path / "gluino.slha").write_text("Block MASS\n   1000021   mg\n   1000022   100.0\n")
    data = {"Setup": {"Type": "Grid", "RunName": "HA", "Cores": 2, "Spectrum File": "gluino.slha"},
            "Variables": {"mg": [1000, 2000, 4000]},
            "Codes": {"pass_tool": {"InputFile": "gluino.slha"},
                      "HackAnalysis_LO": {"Command": "ha/analysePYTHIA.py", "YAML file": "ha/toy.yaml", **code,
                                          "Observables": {"efficiency": {"SLHA": ["EFFICIENCIES",
                                                                                  ["toy", "SR-mass", 0]]},
                                                          "cores": {"SLHA": ["PROCESS", ["TOY", "Cores"]]}}}}}
    (tmp_path / "ha.json").write_text(json.dumps(data))
    return tmp_path / "ha.json"


def test_hackanalysis_lo_runs_the_analysis_on_each_points_spectrum(tmp_path: Path) -> None:
    run_scan(_hackanalysis_job(tmp_path, Cores=3), output_dir=tmp_path)
    rows = {float(r["mg"]): r for r in _rows(tmp_path / "HA" / "all_points.csv")}
    assert float(rows[1000]["efficiency"]) == pytest.approx(0.25) and float(rows[2000]["efficiency"]) == 0.5
    assert {rows[m]["cores"] for m in (1000, 2000)} == {"3.0"}  # Cores overrides the YAML's 4
    assert rows[4000]["valid"] == "False"  # m0 = 2000 GeV: the stand-in exits 1, as a failed run
    assert "HackAnalysis_LO exited with status 1: analysePYTHIA: Pythia could not generate events" in \
        rows[4000]["error"]


def test_hackanalysis_lo_without_its_yaml_or_pythia_configuration_is_one_line(tmp_path: Path) -> None:
    path = _hackanalysis_job(tmp_path)
    yaml_file = tmp_path / "ha" / "toy.yaml"
    good_yaml = yaml_file.read_text()
    yaml_file.write_text(good_yaml.replace("cores: 4", "cores: four"))
    with pytest.raises(ConfigError, match=r"Codes.HackAnalysis_LO.YAML file \(toy.yaml\) settings: cores: expected"):
        run_scan(path, output_dir=tmp_path)
    yaml_file.write_text(good_yaml)
    (tmp_path / "ha" / "toy.cfg").unlink()
    with pytest.raises(ConfigError, match=r"Codes.HackAnalysis_LO.YAML file: no Pythia configuration .*toy.cfg"):
        run_scan(path, output_dir=tmp_path)
    (tmp_path / "ha" / "toy.yaml").unlink()
    with pytest.raises(ConfigError, match=r"Codes.HackAnalysis_LO.YAML file: no file or folder .*toy.yaml"):
        run_scan(path, output_dir=tmp_path)
    assert not (tmp_path / "HA").exists()


def _collider_job(tmp_path: Path, code: str, spec: dict[str, Any], masses: list[float]) -> Path:
    """A Grid over the gluino mass mg (pass_tool writes it into the spectrum, the stand-in MadGraph
    process folder makes events with sigma = 2 pb (1000/mg)^4), then the collider tool ``code``
    with the stand-ins of MadAnalysis5 (ma5/) and HackAnalysis (ha/); each point's folder is kept."""
    shutil.copytree(DATA / "madgraph_standin", tmp_path / "proc")
    shutil.copytree(DATA / "ma5_standin", tmp_path / "ma5")
    shutil.copytree(DATA / "hackanalysis_standin", tmp_path / "ha", symlinks=True)
    (tmp_path / "in.tpl").write_text("Block MASS\n  1000021  mg\n  1000022  100.0\n")
    data = {"Setup": {"Type": "Grid", "RunName": "LHC", "Cores": 2, "Spectrum File": "card.slha",
                      "StoreEverything": "True", "Output File": "lhc", "Temporary Directory": "scratch",
                      "debug": "True"},
            "Variables": {"mg": masses},
            "Codes": {"pass_tool": {"InputFile": "card.slha", "Template": "in.tpl"},
                      code: {"MadGraph": "proc/bin/generate_events", "Process": "gluinos", **spec}}}
    return write_json(tmp_path / "in.json", data)


def write_json(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


def _kept(tmp_path: Path, row: dict[str, str]) -> Path:
    return tmp_path / "LHC" / "All_Outputs" / f"lhc_{row['ID']}"


def test_madanalysis_allpad_recasts_madgraph_events_as_bsmart_did(tmp_path: Path) -> None:
    """MadGraph's HepMC events and cross section go to ma5 -R with a recasting card made from the
    Analyses (each with its PAD's version and card); the best region (the smallest positive sigma95
    of the lines marked best) fills Block MADANALYSISPAD 1-4; a run that writes no summary (the
    stand-in below 0.06 pb) makes its point invalid; an unknown analysis or no card is one line."""
    observables = {name: _off("MADANALYSISPAD", k) for k, name in enumerate(("cls", "sig95", "excess", "r1"), 1)}
    observables["xs"] = _off("MADGRAPH", 1)  # MadGraph's block, as every MadGraph-based tool of BSMArt's adds it
    spec = {"MA5 Path": "ma5", "Analyses": ["atlas_susy_2018_04", "cms_sus_16_039"], "Observables": observables}
    path = _collider_job(tmp_path, "MadAnalysisAllPAD", spec, [1000, 1500, 2500])
    run_scan(path, output_dir=tmp_path)
    rows = {float(r["mg"]): r for r in _rows(tmp_path / "LHC" / "all_points.csv")}
    for mass in (1000, 1500):
        xs = 2 * (1000 / mass) ** 4
        values = [float(rows[mass][k]) for k in ("cls", "sig95", "excess", "r1", "xs")]
        assert values == pytest.approx([1 - math.exp(-float(f"{xs:.4e}") / 0.05), 0.05, xs - 0.05, xs / 0.05 - 1, xs],
                                       rel=1e-4)
        folder = _kept(tmp_path, rows[mass])
        assert (folder / "gluinos_sample.card").read_text() == (
            "atlas_susy_2018_04    vSFS    on    atlas_sfs.ma5   #\ncms_sus_16_039    vSFS    on    cms_sfs.ma5   #\n")
        assert f"set gluinos_sample.xsection = {xs:.4e}\n" in (folder / "MA5" / "launch" / "gluinos_sample").read_text()
    assert rows[2500]["error"] == ("MadAnalysisAllPAD: MadAnalysis wrote no "
                                   "MA5/gluinos_sample/Output/SAF/CLs_output_summary.dat")

    (tmp_path / "exot.card").write_text("atlas_exot_2018_06    v1.2    on    delphes_card_atlas_exot_2018_06.tcl   #\n")
    data = json.loads(path.read_text())
    data["Codes"]["MadAnalysisAllPAD"]["MA5 Card"] = "exot.card"
    data["Variables"]["mg"] = [1000]
    run_scan(write_json(path, data), output_dir=tmp_path, overwrite=True)
    assert float(_rows(tmp_path / "LHC" / "all_points.csv")[0]["sig95"]) == 0.2
    del data["Codes"]["MadAnalysisAllPAD"]["MA5 Card"]
    data["Codes"]["MadAnalysisAllPAD"]["Analyses"] = ["cms_sus_16_039", "atlas_susy_2099_01"]
    with pytest.raises(ConfigError, match=r"Codes.MadAnalysisAllPAD.Analyses: \['atlas_susy_2099_01'\] not in .*ma5"
                                          r"/tools/PAD\(ForSFS\)/Input/recast_config.dat \(4 analyses there\)"):
        run_scan(write_json(path, data), output_dir=tmp_path, overwrite=True)
    del data["Codes"]["MadAnalysisAllPAD"]["Analyses"]
    with pytest.raises(ConfigError, match=r"Codes.MadAnalysisAllPAD: name an \"MA5 Card\""):
        run_scan(write_json(path, data), output_dir=tmp_path, overwrite=True)


def test_madanalysis_expert_runs_the_users_analysis_on_the_events(tmp_path: Path) -> None:
    """Command is ma5 (MadGraph's generate_events is "MadGraph"): it runs in the point's MA5/launch
    on the sample file naming the HepMC events; a point whose events it cannot read is invalid."""
    path = _collider_job(tmp_path, "MadAnalysisExpert", {"Command": "ma5/bin/ma5", "Process": "p p > go go"}, [1200])
    summary = run_scan(path, output_dir=tmp_path)
    assert summary["valid"] == 1, summary
    launch = _kept(tmp_path, _rows(tmp_path / "LHC" / "all_points.csv")[0]) / "MA5" / "launch"
    assert (launch / "expert_analysis.txt").read_text() == "events 10\n"
    assert (launch / "p_p___go_go_sample").read_text().endswith("Events/run_01/tag_1_pythia8_events.hepmc.gz")


def test_madgraph_hackanalysis_lhe_and_hepmc_modes(tmp_path: Path) -> None:
    """LHE mode (read from the program's name): MadGraph without shower, nevents from the YAML,
    the events dealt into Split/split_<i>.lhe.gz for 2 cores (removed afterwards), the Pythia
    configuration evaluated per point; HEPMC mode: showered events. HackAnalysis' PROCESS and
    EFFICIENCIES blocks are read as BSMArt reads them. GridPack is warned and ignored; Check
    Exclusion is one line."""
    (tmp_path / "ha.yaml").write_text("settings:\n  Config file: toy.cfg\n  nevents: 20\nanalyses:\n  - toy\n")
    observables = {"xs": {"SLHA": ["PROCESS", ["toy", "XS"]]}, "events": {"SLHA": ["PROCESS", ["toy", "Events"]]},
                   "efficiency": {"SLHA": ["EFFICIENCIES", ["TOY", "SR-mass", 0]]}}
    spec = {"HackAnalysis": "ha/analysePYTHIA_LHE.py", "YAML file": "ha.yaml", "Cores": 2, "GridPack": "True",
            "Observables": observables}
    path = _collider_job(tmp_path, "MadGraphHackAnalysis", spec, [1000, 2000])
    shutil.copy(tmp_path / "ha" / "toy.cfg", tmp_path / "toy.cfg")
    from bsmart.config import load_config
    assert any("MadGraphHackAnalysis.GridPack: ignored" in w for w in load_config(path).warnings)
    run_scan(path, output_dir=tmp_path)
    for row in _rows(tmp_path / "LHC" / "all_points.csv"):
        mass = float(row["mg"])
        assert (float(row["xs"]), float(row["events"]), float(row["efficiency"])) == pytest.approx(
            (2000 * (1000 / mass) ** 4, 20, mass / 4000), rel=1e-4)
        folder = _kept(tmp_path, row)
        assert "1000022:m0 = " + f"{0.5 * mass:10.6e}" in (folder / "toy.cfg").read_text()
        assert not list((folder / "Split").glob("*")), "the split events are removed without Store Events"
    copy = next((tmp_path / "scratch").glob("bsmart_LHC_*/.MadGraphHackAnalysis-*"))  # a worker's process folder
    commands = (copy / "Events" / "run_01" / "commands.txt").read_text().split("\n")
    assert commands[:5] == ["shower=OFF", "detector=OFF", "analysis=OFF", "madspin=OFF", "done"]
    assert commands[5:8] == ["update dependent", "set nevents 20", "done"]

    data = json.loads(path.read_text())
    data["Codes"]["MadGraphHackAnalysis"].update({"HackAnalysis": "ha/analysePYTHIA.py", "Mode": "hepmc"})
    run_scan(write_json(path, data), output_dir=tmp_path, overwrite=True)
    for row in _rows(tmp_path / "LHC" / "all_points.csv"):
        assert (float(row["events"]), float(row["efficiency"])) == (20, 0.5)
    data["Codes"]["MadGraphHackAnalysis"]["Check Exclusion"] = "True"
    with pytest.raises(ConfigError, match=r"Codes.MadGraphHackAnalysis.Check Exclusion: not built into bsmart"):
        run_scan(write_json(path, data), output_dir=tmp_path, overwrite=True)
    del data["Codes"]["MadGraphHackAnalysis"]["Mode"]  # analysePYTHIA.py names neither mode
    with pytest.raises(ConfigError, match=r"Codes.MadGraphHackAnalysis.Mode: set \"Mode\": LHE or HEPMC"):
        run_scan(write_json(path, data), output_dir=tmp_path, overwrite=True)
