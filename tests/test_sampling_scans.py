"""The sampling scans (issue 14) on toy posteriors whose answer is known: MCMC's chains must be a
sample of likelihood x prior, resume to the same chains, start where an earlier scan found the
region, and stop when told."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bsmart.errors import ConfigError
from conftest import gaussian_input
from bsmart.session import run_scan

HALF_NORMAL_MEAN = 2.0 * math.sqrt(2.0 / math.pi)  # of |N(0, 2)|
HALF_NORMAL_SD = 2.0 * math.sqrt(1.0 - 2.0 / math.pi)


def _gaussian_mcmc(tmp_path: Path, name: str = "gauss.json", **setup) -> Path:
    return gaussian_input(tmp_path, "MCMC", name, {"x": {"RANGE": [-10, 10], "VARIANCE": 4.0},
                                                    "y": {"RANGE": [0, 10], "VARIANCE": 3.0}},
                          **{"Points": 20000, "Chains": 8, **setup})


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _chains(run_dir: Path, chains: int) -> list[list[dict[str, str]]]:
    return [_rows(run_dir / "Results" / f"MCMC_run_{k}") for k in range(chains)]


def test_mcmc_samples_a_gaussian_posterior_cut_by_a_range(tmp_path: Path) -> None:
    """Steps that leave the range are rejected: BSMArt drew them again, which moves the
    half-normal's mean from 1.60 to about 1.79."""
    summary = run_scan(_gaussian_mcmc(tmp_path), output_dir=tmp_path)
    assert summary["evaluations"] == 20000 and summary["chains"] == 8 and 0.1 < summary["acceptance"] < 0.5
    chains = _chains(tmp_path / "G", 8)
    steps = {sum(int(r["Weight"]) for r in rows) for rows in chains}
    assert max(steps) - min(steps) <= 1  # the chains step together
    rows = [r for c in chains for r in c]
    x, y, weight = (np.array([float(r[k]) for r in rows]) for k in ("x", "y", "Weight"))
    assert list(rows[0]) == ["ID", "x", "y", "Shell", "Likelihood", "LogLike", "Weight"]
    for r in rows:
        assert float(r["LogLike"]) == pytest.approx(-float(r["Shell"]) ** 2 / 8, abs=1e-9)
        assert float(r["Likelihood"]) == pytest.approx(math.exp(float(r["LogLike"])))
    assert np.average(x, weights=weight) == pytest.approx(1.0, abs=0.12)
    assert math.sqrt(np.cov(x, aweights=weight)) == pytest.approx(2.0, rel=0.08)
    assert np.average(y, weights=weight) == pytest.approx(HALF_NORMAL_MEAN, abs=0.08)
    assert math.sqrt(np.cov(y, aweights=weight)) == pytest.approx(HALF_NORMAL_SD, rel=0.08)
    assert summary["posterior_mean"]["y"] == pytest.approx(np.average(y, weights=weight), rel=1e-6)
    assert max(summary["r_hat"].values()) < 1.05
    evaluated = {r["ID"]: r for r in _rows(tmp_path / "G" / "all_points.csv")}
    assert all(evaluated[r["ID"]]["x"] == r["x"] for r in rows)  # every state is an evaluated point


def test_mcmc_resumed_after_a_cut_writes_the_chains_of_an_uncut_run(tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    whole.mkdir()
    run_scan(_gaussian_mcmc(tmp_path, Points=600, Chains=3, **{"Merge Results": "True"}), output_dir=whole)
    cut = run_scan(tmp_path / "gauss.json", output_dir=tmp_path, max_evaluations=250)
    assert cut["stopped_by"] == "--max-evaluations"
    resumed = run_scan(tmp_path / "gauss.json", output_dir=tmp_path, resume=True)
    assert (resumed["evaluations"], resumed["evaluations_this_session"]) == (600, 350)
    merged = (tmp_path / "G" / "Results" / "MCMC_results").read_text()
    assert merged == (whole / "G" / "Results" / "MCMC_results").read_text()
    assert _rows(tmp_path / "G" / "Results" / "MCMC_results")[0]["Chain"] == "0"
    assert not list((tmp_path / "G" / "Results").glob("MCMC_run_*"))


def test_mcmc_resumed_with_the_other_layout_leaves_only_its_files(tmp_path: Path) -> None:
    """Merge Results changed between the cut run and the resumed one: the chains are replayed
    into the new layout, and the old layout's files are gone (not left beside, half written)."""
    path = _gaussian_mcmc(tmp_path, Points=300, Chains=3)
    run_scan(path, output_dir=tmp_path, max_evaluations=150)
    assert sorted(p.name for p in (tmp_path / "G" / "Results").iterdir()) == [f"MCMC_run_{k}" for k in range(3)]
    config = json.loads(path.read_text())
    config["Setup"]["Merge Results"] = True
    path.write_text(json.dumps(config))
    resumed = run_scan(path, output_dir=tmp_path, resume=True)
    assert resumed["evaluations"] == 300 and [p.name for p in (tmp_path / "G" / "Results").iterdir()] == ["MCMC_results"]
    whole = tmp_path / "whole"
    whole.mkdir()
    run_scan(path, output_dir=whole)
    assert (tmp_path / "G" / "Results" / "MCMC_results").read_text() == \
        (whole / "G" / "Results" / "MCMC_results").read_text()


def test_describe_mcmc_lists_the_per_variable_step() -> None:
    described = subprocess.run([sys.executable, "-m", "bsmart", "describe", "MCMC"], capture_output=True, text=True)
    assert described.returncode == 0
    assert "Per variable (key in Variables.<name>: meaning):\n  VARIANCE: the Gaussian step's width" in described.stdout


def test_mcmc_chains_start_at_the_best_points_of_an_initial_sample_spread_out(tmp_path: Path) -> None:
    """BSMArt's Initial Sample with its Sample LogLike Name: the chains start at the best point and at
    the best points farthest from it, not all at the one best point."""
    sample = tmp_path / "sample.csv"
    rows = [(-9.0, 9.0, -0.5), (-9.0, 9.01, -0.6), (8.0, 1.0, -0.7), (0.0, 5.0, -0.55)] + \
        [(x / 4, 5.0, -50.0 - x / 4) for x in range(-20, 20)]  # far worse: the best tenth holds (-5, 5)
    sample.write_text("x,y,loglike\n" + "".join(f"{x},{y},{ll}\n" for x, y, ll in rows))
    path = _gaussian_mcmc(tmp_path, Points=30, Chains=3, **{"Initial Sample": "sample.csv",
                                                             "Sample LogLike Name": "loglike"})
    run_scan(path, output_dir=tmp_path)
    first = [(float(r["x"]), float(r["y"])) for r in _rows(tmp_path / "G" / "all_points.csv")[:3]]
    assert first == [(-9.0, 9.0), (8.0, 1.0), (0.0, 5.0)]
    assert [float(c[0]["x"]) for c in _chains(tmp_path / "G", 3)] == [-9.0, 8.0, 0.0]


def test_mcmc_stops_at_valid_points(tmp_path: Path) -> None:
    summary = run_scan(_gaussian_mcmc(tmp_path, **{"Valid Points": 40, "Chains": 2}), output_dir=tmp_path)
    assert summary["states"] == 40 and summary["evaluations"] < 20000
    assert sum(len(c) for c in _chains(tmp_path / "G", 2)) == 40


@pytest.mark.parametrize("variable, setup, message", [
    ({"RANGE": [0, 1], "VARIANCE": -1}, {}, "Variables.x.VARIANCE: VARIANCE (the step width) must be positive"),
    ({"RANGE": [0, 1], "VARIANCE": "wide"}, {}, "Variables.x.VARIANCE: expected a number, got 'wide'"),
    ({"RANGE": [0, 1]}, {"Initial Sample": "none.csv"}, "Setup.Initial Sample: no file or folder"),
    ({"RANGE": [0, 1]}, {"InitCSV": "sample.csv", "Sample NLL Name": "chi2"}, "has no chi2 column"),
])
def test_mcmc_bad_input_is_one_line_naming_the_key(tmp_path: Path, variable, setup, message) -> None:
    (tmp_path / "sample.csv").write_text("x,y\n0.5,0.5\n")
    config = {"Scan": "MCMC", "Setup": {"RunName": "B", **setup}, "Variables": {"x": variable, "y": {"RANGE": [0, 1]}},
              "Codes": {"toy_targets": {"Observables": {"F2d": {"SCALING": "GAUSS", "MEAN": 0, "VARIANCE": 1}}}}}
    (tmp_path / "bad.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        run_scan(tmp_path / "bad.json", output_dir=tmp_path)
    assert str(tmp_path / "bad.json") in str(error.value) and not (tmp_path / "B").exists()


def test_mcmc_whose_steps_always_leave_the_ranges_stops_with_one_line(tmp_path: Path) -> None:
    from bsmart.errors import ScanError
    path = _gaussian_mcmc(tmp_path, Points=100, Chains=1)
    config = json.loads(path.read_text())
    config["Variables"] = {f"v{i}": {"RANGE": [0, 1], "VARIANCE": 50.0} for i in range(12)}
    path.write_text(json.dumps(config))
    with pytest.raises(ScanError, match="steps in a row left the ranges"):
        run_scan(path, output_dir=tmp_path)
    assert json.loads((tmp_path / "G" / "summary.json").read_text())["status"] == "stopped"
