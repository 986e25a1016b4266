"""BSMArt's tools that run a program on the point's spectrum (HiggsBounds, HiggsSignals,
VevaciousPlusPlus, VacStab), the FlexibleSUSY spectrum generators and pass_tool, each run as
BSMArt runs it, against stand-in programs that read and write the real programs' files."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

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
