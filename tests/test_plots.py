"""`bsmart plot RUN_DIR` writes real PNGs, including the input file's Plotting block."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def bsmart(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bsmart", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_plot_a_run_folder(tmp_path):
    spec = {
        "Scan": "Random", "Setup": {"RunName": "run", "Points": 400, "Seed": 2, "Threshold": 1.0},
        "Variables": {"x1": {"RANGE": [0, 31.4]}, "x2": {"RANGE": [0, 31.4]}, "x3": {"RANGE": [0, 31.4]}},
        "Codes": {"toy_targets": {"Observables": {"F3d": {"MEAN": 100, "VARIANCE": 20}}}},
        "Plotting": {"Plots": {"x1 vs x2": {"Values": ["x1", "x2"], "Labels": ["$x_1$", "$x_2$"],
                                            "Ranges": [[0, 31.4], [0, 31.4]]},
                               "F3d map": {"Values": ["x1", "x3", "F3d"]}}},
    }
    (tmp_path / "input.json").write_text(json.dumps(spec))
    assert bsmart("run", "input.json", cwd=tmp_path).returncode == 0
    done = bsmart("plot", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = {Path(line).name for line in done.stdout.split()}
    assert written == {"corner.png", "efficiency.png", "nll_histogram.png", "x1_vs_x2.png", "F3d_map.png"}
    for name in written:
        data = (tmp_path / "run" / "Plots" / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000


def test_plot_of_a_folder_that_is_no_run(tmp_path):
    done = bsmart("plot", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("bsmart: error:") and len(done.stderr.strip().splitlines()) == 1


def test_labels_log_axes_and_a_second_corner_plot(tmp_path):
    """LABEL/UNIT label the axes (a LABEL matplotlib cannot draw is named in a warning, and the
    column's name is used); a variable with a LOG prior is plotted on log axes; --variables writes
    its own corner file, so the default corner.png is not overwritten."""
    spec = {
        "Scan": "Random", "Setup": {"RunName": "run", "Points": 300, "Seed": 2, "Threshold": 1.0},
        "Variables": {"x1": {"RANGE": [0.1, 31.4], "PRIOR": "LOG", "LABEL": "$x_1$", "UNIT": "GeV"},
                      "x2": {"RANGE": [0, 31.4], "LABEL": "$x_2^{$"}, "x3": {"RANGE": [0, 31.4]}},
        "Codes": {"toy_targets": {"Observables": {"F3dInvalid": {"MEAN": 100, "VARIANCE": 20, "LABEL": "$F$"}}}},
    }
    (tmp_path / "input.json").write_text(json.dumps(spec))
    assert bsmart("run", "input.json", cwd=tmp_path).returncode == 0
    done = bsmart("plot", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "LABEL of x2: matplotlib cannot draw '$x_2^{$'" in done.stderr
    first = (tmp_path / "run" / "Plots" / "corner.png").read_bytes()
    again = bsmart("plot", "run", "--variables", "x1", "F3dInvalid", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert {Path(line).name for line in again.stdout.split()} == {"corner_x1_F3dInvalid.png", "efficiency.png",
                                                                   "nll_histogram.png"}
    assert (tmp_path / "run" / "Plots" / "corner.png").read_bytes() == first
    assert (tmp_path / "run" / "Plots" / "corner_x1_F3dInvalid.png").read_bytes().startswith(PNG_MAGIC)
