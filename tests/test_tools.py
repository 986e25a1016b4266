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

EXAMPLES = Path(__file__).parent / "data" / "bsmart_examples"


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
