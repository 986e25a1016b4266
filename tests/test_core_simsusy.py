"""A real spectrum generator through the external-program path: the repository's simsusy example
(inputs/simsusy_mssm.json), run with 2 workers on a few points."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

from conftest import REPO, run_cli, write_json

MZ = 91.1876


def test_simsusy_example_scan(tmp_path: Path, simsusy_bin: Path) -> None:
    data = json.loads((REPO / "inputs" / "simsusy_mssm.json").read_text())
    code = data["Codes"]["simsusy"]
    # the example finds simsusy in the repository's .venv-simsusy; the tests use their own venv
    assert code["Command"].startswith("../.venv-simsusy/bin/simsusy ")
    code["Command"] = code["Command"].replace("../.venv-simsusy/bin/simsusy", str(simsusy_bin))
    data["Setup"].update(Points=14, Seed=3)
    shutil.copytree(REPO / "inputs" / "simsusy", tmp_path / "simsusy")
    path = write_json(tmp_path / "simsusy_mssm.json", data)

    result = run_cli("run", str(path), "--quiet", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    run_dir = tmp_path / data["Setup"]["RunName"]
    with open(run_dir / "all_points.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["ID"]) for r in rows] == list(range(1, 15))
    kinds = set()
    for r in rows:
        m1, m2, mhu2, tanb = (float(r[k]) for k in ("M1", "M2", "mHu2", "tanb"))
        assert float(r["mQ3"]) == 1200.0
        # tree-level EWSB with m_Hd^2 = 1e5: mu^2 < 0 makes simsusy fail
        cos2b = (1 - tanb ** 2) / (1 + tanb ** 2)
        mu2 = 0.5 * (-mhu2 - 1e5 - MZ ** 2 + abs((1e5 - mhu2) / cos2b))
        if r["valid"] == "False":
            kinds.add("invalid")
            assert mu2 < 1e3, r
            assert r["error"] == ("simsusy exited with status 1: ERROR invalid EWSB spec (Failed to get EWSB: "
                                  "mu^2 < 0) | ERROR Model set-up failed.")
            assert r["mN1"] == "nan" and float(r["NLL"]) > 2 * 710
        else:
            kinds.add("valid")
            assert mu2 > -1e3, r
            mu, mn1, mc1 = float(r["mu"]), abs(float(r["mN1"])), abs(float(r["mC1"]))
            assert abs(mu) == math.sqrt(mu2) or abs(abs(mu) - math.sqrt(mu2)) < 1.0
            # the lightest neutralino is about the lightest of M1, M2, |mu| (mixing shifts it by ~MZ)
            assert abs(mn1 - min(m1, m2, abs(mu))) < MZ
            assert mn1 <= mc1 and 60 < float(r["mh"]) < MZ  # tree-level Higgs mass stays below MZ
            assert r["error"] == ""
    assert kinds == {"valid", "invalid"}
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["evaluations"] == 14 and summary["cores"] == 2
