"""A real spectrum generator end to end (issue 13): SOFTSUSY 4.1.22, built from third_party/softsusy
(cached), runs inputs/softsusy_cmssm.json's CMSSM scan: the light Higgs mass near 125.1 GeV and a
neutralino LSP. A point SOFTSUSY rejects is invalid with SOFTSUSY's own words."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from bsmart.session import run_scan
from conftest import REPO


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def cmssm(tmp_path: Path, softsusy_bin: Path) -> Path:
    """The example input, with this machine's softpoint.x."""
    shutil.copytree(REPO / "inputs" / "softsusy", tmp_path / "softsusy")
    data = json.loads((REPO / "inputs" / "softsusy_cmssm.json").read_text())
    data["Codes"]["SOFTSUSY"]["Command"] = str(softsusy_bin)
    (tmp_path / "cmssm.json").write_text(json.dumps(data))
    return tmp_path / "cmssm.json"


def test_random_cmssm_points_through_softsusy(cmssm: Path, tmp_path: Path) -> None:
    data = json.loads(cmssm.read_text())
    data["Scan"], data["Setup"]["Points"], data["Setup"]["Threshold"] = "Random", 60, 0.5
    cmssm.write_text(json.dumps(data))
    summary = run_scan(cmssm, output_dir=tmp_path)
    assert summary["evaluations"] == 60 and 30 < summary["valid"] < 60, summary
    rows = _rows(tmp_path / "SOFTSUSY_CMSSM" / "all_points.csv")
    for row in rows:
        if row["valid"] == "True":  # SOFTSUSY's spectrum: a light Higgs of 110-130 GeV, a heavier gluino
            assert 110 < float(row["mh"]) < 130 and float(row["mgluino"]) > abs(float(row["mN1"]))
            lsp = float(row["LSP_gap"]) > 0
            assert (row["good"] == "True") == (lsp and abs(float(row["mh"]) - 125.1) < 2.0), row
        else:  # e.g. "SOFTSUSY: [ stau tachyon ] (Point invalid)"
            assert row["error"].startswith("SOFTSUSY: [ ") and "(Point invalid)" in row["error"], row["error"]
    assert 0 < summary["good"] < summary["valid"]


def test_mls_rfr_finds_cmssm_points_at_125_gev(cmssm: Path, tmp_path: Path) -> None:
    """The example as shipped, smaller: the ML scan's batches are good far more often than the
    uniform bootstrap is."""
    data = json.loads(cmssm.read_text())
    data["Setup"]["Points"] = 60
    cmssm.write_text(json.dumps(data))
    summary = run_scan(cmssm, output_dir=tmp_path)
    iterations = _rows(tmp_path / "SOFTSUSY_CMSSM" / "iterations.csv")
    first, later = float(iterations[0]["efficiency"]), [float(r["efficiency"]) for r in iterations[1:]]
    assert summary["good_found"] >= 60 and later and min(later) > first + 0.2, (first, later)
