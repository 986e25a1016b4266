"""BSMArt's scans that run a well-kept library's loop (issue 14) on a toy whose answers are known:
a Gaussian likelihood of width 2 around (1, 0) on x in [-10, 10], y in [0, 10]. The posterior is
N(1, 2) in x and a half-normal in y; the evidence is the half Gaussian's integral over the prior's
area, 4 pi / 200; the best fit is (1, 0). Samplers must sample it, the nested sampler and Vegas
must give the evidence, optimisers must find the best fit, and every one must resume exactly."""

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

HALF_NORMAL_MEAN = 2.0 * math.sqrt(2.0 / math.pi)
HALF_NORMAL_SD = 2.0 * math.sqrt(1.0 - 2.0 / math.pi)
LOG_EVIDENCE = math.log(4.0 * math.pi / 200.0)


def _gauss(tmp_path: Path, scan: str, **setup) -> Path:
    return gaussian_input(tmp_path, scan, **setup)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _evaluated(tmp_path: Path) -> dict[str, dict[str, str]]:
    return {r["ID"]: r for r in _rows(tmp_path / "G" / "all_points.csv")}


def test_affinemc_walkers_sample_the_posterior(tmp_path: Path) -> None:
    summary = run_scan(_gauss(tmp_path, "AffineMC", Steps=600, Walkers=39), output_dir=tmp_path)
    assert summary["walkers"] == 40 and summary["steps"] == 600  # made even
    assert summary["evaluations"] <= 40 * 601 and 0.3 < summary["acceptance"] < 0.9
    rows = _rows(tmp_path / "G" / "Results" / "Results.csv")
    assert list(rows[0]) == ["x", "y", "Shell", "NLL", "ID", "Step", "Walker"]  # BSMArt's columns first
    assert len(rows) == 600 * 40 and {r["Walker"] for r in rows} == {str(k) for k in range(40)}
    evaluated = _evaluated(tmp_path)
    assert all(evaluated[r["ID"]]["x"] == r["x"] and evaluated[r["ID"]]["NLL"] == r["NLL"] for r in rows[::97])
    late = [r for r in rows if int(r["Step"]) >= 100]
    x, y = (np.array([float(r[k]) for r in late]) for k in ("x", "y"))
    assert x.mean() == pytest.approx(1.0, abs=0.25) and x.std() == pytest.approx(2.0, rel=0.1)
    assert y.mean() == pytest.approx(HALF_NORMAL_MEAN, abs=0.12) and y.std() == pytest.approx(HALF_NORMAL_SD, rel=0.1)


def test_multinest_gives_the_evidence_and_the_posterior(tmp_path: Path) -> None:
    """BSMArt reads Points as the live points when Live Points is absent."""
    summary = run_scan(_gauss(tmp_path, "MultiNest", Points=300), output_dir=tmp_path)
    assert summary["live_points"] == 300 and summary["log_evidence_error"] < 0.2
    assert abs(summary["log_evidence"] - LOG_EVIDENCE) < 3 * summary["log_evidence_error"]
    rows = _rows(tmp_path / "G" / "Results" / "posterior.csv")
    weight = np.array([float(r["Weight"]) for r in rows])
    assert weight.sum() == pytest.approx(1.0) and len(rows) > 1000
    y = np.array([float(r["y"]) for r in rows])
    assert np.average(y, weights=weight) == pytest.approx(HALF_NORMAL_MEAN, abs=0.15)
    assert summary["posterior_mean"]["x"] == pytest.approx(1.0, abs=0.25)
    evaluated = _evaluated(tmp_path)
    assert all(evaluated[r["ID"]]["y"] == r["y"] for r in rows[::50])


def test_vegas_gives_the_evidence_and_the_posterior(tmp_path: Path) -> None:
    summary = run_scan(_gauss(tmp_path, "Vegas", Points=6000, Iterations=6), output_dir=tmp_path)
    assert summary["evaluations"] == 6000 and summary["iterations"] == 6
    assert summary["log_evidence_error"] < 0.02
    assert abs(summary["log_evidence"] - LOG_EVIDENCE) < 4 * summary["log_evidence_error"]
    assert summary["posterior_mean"]["y"] == pytest.approx(HALF_NORMAL_MEAN, abs=0.1)
    assert summary["posterior_sd"]["x"] == pytest.approx(2.0, rel=0.1)
    rows = _rows(tmp_path / "G" / "Results" / "Vegas_samples.csv")
    assert len(rows) == 6000 and {r["Iteration"] for r in rows} == {str(k) for k in range(6)}
    late = [r for r in rows if r["Iteration"] == "5"]  # the adapted map puts its points where the likelihood is
    assert np.mean([float(r["Shell"]) < 4 for r in late]) > 2 * np.mean([float(r["Shell"]) < 4 for r in rows[:1000]])


@pytest.mark.parametrize("scan, setup", [
    ("CMAES", {"Points": 1500, "CMAESEpisodes": 2}),
    ("Diver", {"Max Civilisations": 1, "NP": 30}),
    ("DEAP", {"Points": 2000, "DEAP": {"Population Size": 40, "Generations": 60, "Global Only": True}}),
])
def test_optimisers_find_the_best_fit(tmp_path: Path, scan: str, setup: dict) -> None:
    summary = run_scan(_gauss(tmp_path, scan, **setup), output_dir=tmp_path)
    assert summary["best_nll"] < 1e-3 and summary["best_point"]["x"] == pytest.approx(1.0, abs=0.1)
    best = _evaluated(tmp_path)[str(summary["best_id"])]
    assert float(best["NLL"]) == pytest.approx(summary["best_nll"], abs=1e-8)
    assert float(best["NLL"]) == min(float(r["NLL"]) for r in _evaluated(tmp_path).values())


@pytest.mark.parametrize("scan, setup", [
    ("CMAES", {"Points": 500, "CMAESEpisodes": 10}), ("Diver", {"Points": 500}),
    ("DEAP", {"Points": 500, "DEAP": {"Generations": 1000}}),
    ("Vegas", {"Points": 500, "Batch Size": 64}), ("CMAES_ND", {"Points": 500, "CMAESMaxGenerations": 1000}),
])
def test_points_is_the_exact_budget(tmp_path: Path, scan: str, setup: dict) -> None:
    """The batch that would pass Points is cut to fit, and the library's loop ends there."""
    assert run_scan(_gauss(tmp_path, scan, **setup), output_dir=tmp_path)["evaluations"] == 500


def test_cmaes_starts_at_the_initial_samples_best_point(tmp_path: Path) -> None:
    (tmp_path / "sample.csv").write_text("x,y,NLL\n-6,8,3.0\n-8,2,1.0\n5,5,2.0\n")
    run_scan(_gauss(tmp_path, "CMAES", Points=12, CMAESSigma=0.01, **{"Initial Sample": "sample.csv"}),
             output_dir=tmp_path)
    first = [(float(r["x"]), float(r["y"])) for r in _rows(tmp_path / "G" / "all_points.csv")]
    assert all(abs(x + 8) < 1.5 and abs(y - 2) < 1.5 for x, y in first)


def _ring(tmp_path: Path, scan: str, **setup) -> list[tuple[float, float]]:
    """The good points of a scan of the ring 2 <= r <= 2.5 (CFUNCTION: loss 0 inside)."""
    config = {"Scan": scan, "Setup": {"RunName": "R", "Seed": 1, "Points": 1500, "CMAESPopulationSize": 20, **setup},
              "Variables": {"x": {"RANGE": [-5, 5]}, "y": {"RANGE": [-5, 5]}},
              "Codes": {"toy_targets": {"Observables": {"Shell": {"SCALING": "CFUNCTION", "RANGE": [2, 2.5]}}}}}
    tmp_path.mkdir()
    (tmp_path / "ring.json").write_text(json.dumps(config))
    summary = run_scan(tmp_path / "ring.json", output_dir=tmp_path)
    good = [(float(r["x"]), float(r["y"])) for r in _rows(tmp_path / "R" / "all_points.csv") if float(r["NLL"]) == 0]
    assert summary["evaluations"] == 1500 and summary["good"] == summary["good_found"] == len(good)
    return good


def test_cmaes_nd_novelty_spreads_good_points_along_the_ring(tmp_path: Path) -> None:
    """With novelty detection, good points like those found are penalised, so the strategy moves
    along the ring instead of converging: more good points than without it, around the ring
    (good: every used observable inside its CFUNCTION range, BSMArt's rule, the default)."""
    novel = _ring(tmp_path / "on", "CMAES_ND", CMAESMaxGenerations=75)
    plain = _ring(tmp_path / "off", "CMAES_ND", CMAESMaxGenerations=75, CMAESNoveltyDetection=False)
    assert len(novel) > 1.5 * len(plain) > 300
    angles = np.arctan2([y for _, y in novel], [x for x, _ in novel])
    assert np.count_nonzero(np.histogram(angles, bins=12, range=(-np.pi, np.pi))[0]) >= 9
    assert all(1.99 < math.hypot(x, y) < 2.51 for x, y in novel)


def test_deap_trades_observables_off_with_nsga2(tmp_path: Path) -> None:
    """Two observables that cannot both be met (one wants x = 0, the other x = 1): the population
    spreads along the trade-off between them instead of collapsing on one point."""
    path = _gauss(tmp_path, "DEAP", Points=3000, DEAP={"Population Size": 40, "Generations": 60})
    config = json.loads(path.read_text())
    config["Variables"] = {"x": {"RANGE": [-1, 2]}}
    config["Codes"] = {"python": {"Function": "tradeoff.py:observables", "Observables": {
        "a": {"SCALING": "GAUSS", "MEAN": 0, "VARIANCE": 0.1}, "b": {"SCALING": "GAUSS", "MEAN": 1, "VARIANCE": 0.1}}}}
    path.write_text(json.dumps(config))
    (tmp_path / "tradeoff.py").write_text("def observables(point):\n    return {'a': point['x'], 'b': point['x']}\n")
    summary = run_scan(path, output_dir=tmp_path)
    assert summary["objectives"] == 2 and summary["generations"] == 60
    last = [float(r["x"]) for r in _rows(tmp_path / "G" / "all_points.csv")][-200:]  # the last children
    assert np.mean([0 <= x <= 1 for x in last]) > 0.9  # on the trade-off, between the two optima
    assert np.histogram(last, bins=5, range=(0, 1))[0].min() > 5  # and along all of it


@pytest.mark.parametrize("scan, setup", [
    ("AffineMC", {"Steps": 12, "Walkers": 10}), ("MultiNest", {"Live Points": 40, "Max Evaluations": 300}),
    ("CMAES", {"Points": 300}), ("Diver", {"Points": 300}), ("DEAP", {"Points": 300}),
    ("Vegas", {"Points": 300, "Batch Size": 50}), ("CMAES_ND", {"Points": 300}),
    ("ContourGP", {"Points": 20, "Threshold": 0.5, "Batch Size": 3}),
])
def test_resumed_after_a_cut_evaluates_the_points_of_an_uncut_run(tmp_path: Path, scan: str, setup: dict) -> None:
    """The libraries draw from generators seeded by the run's seed, so a resumed run replays the
    stored points and goes on as the uncut run did."""
    whole = tmp_path / "whole"
    whole.mkdir()
    path = _gauss(tmp_path, scan, **setup)
    total = run_scan(path, output_dir=whole)["evaluations"]
    run_scan(path, output_dir=tmp_path, max_evaluations=total // 2)
    resumed = run_scan(path, output_dir=tmp_path, resume=True)
    assert (resumed["evaluations"], resumed["evaluations_this_session"]) == (total, total - total // 2)
    columns = ("ID", "x", "y", "NLL")
    assert [[r[c] for c in columns] for r in _rows(tmp_path / "G" / "all_points.csv")] == \
        [[r[c] for c in columns] for r in _rows(whole / "G" / "all_points.csv")]


@pytest.mark.parametrize("scan, setup, message", [
    ("AffineMC", {"Walkers": 3}, "Setup.Walkers: must be at least 4"),
    ("DEAP", {"DEAP": {"Generations": "many"}}, "Setup.DEAP.Generations: expected a number, got 'many'"),
    ("CMAES", {"CMAESMean": 2}, "Setup.CMAESMean: must be at most 1"),
    ("AffineMC", {"Initial Sample": "none.csv"}, "Setup.Initial Sample: no file or folder"),
    ("CMAES_ND", {"CMAESFocus": {"Variables": ["z"]}}, r"Setup.CMAESFocus.Variables: unknown name\(s\) \['z'\]"),
    ("CMAES_ND", {"CMAESHierarchy": "Shell"}, "Setup.CMAESHierarchy: expected a list of names, got 'Shell'"),
    ("CMAES_ND", {"CMAESNoveltyDetection": "KDE"}, "Setup.CMAESNoveltyDetection: expected true/false, got 'KDE'"),
])
def test_bad_input_is_one_line_naming_the_key(tmp_path: Path, scan: str, setup: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        run_scan(_gauss(tmp_path, scan, **setup), output_dir=tmp_path)
    assert str(tmp_path / "gauss.json") in str(error.value) and not (tmp_path / "G").exists()


def test_describe_lists_each_scans_settings() -> None:
    for scan, line in [("AffineMC", "  Walkers: int in [4, 100000], default none (Setup)"),
                       ("DEAP", "  Generations: int in [1, 1e+09], default 40 (Setup.DEAP)"),
                       ("MultiNest", "  Evidence Tolerance: float >= 1e-06, default 0.5 (Setup)"),
                       ("CMAES_ND", "  CMAESHBOSNBins: int in [2, 1e+09], default 100 (Setup)"),
                       ("ContourGP", "  Sample Multiplier: int in [1, 1000], default 5 (Setup)")]:
        described = subprocess.run([sys.executable, "-m", "bsmart", "describe", scan], capture_output=True, text=True)
        assert described.returncode == 0 and line in described.stdout, described.stdout


def _circle(tmp_path: Path, **setup) -> Path:
    config = {"Scan": "Contour2D", "Setup": {"RunName": "C", "Seed": 1, "Function": "Shell", "Threshold": 1.0, **setup},
              "Variables": {"x": {"RANGE": [-2, 2]}, "y": {"RANGE": [-2, 2]}},
              "Codes": {"toy_targets": {"Shell center": [0.5, 0], "Observables": {"Shell": {"SCALING": "OFF"}}}}}
    (tmp_path / "circle.json").write_text(json.dumps(config))
    return tmp_path / "circle.json"


def test_contour2d_gathers_its_points_on_the_contour(tmp_path: Path) -> None:
    """The contour Shell = 1 is the circle of radius 1 around (0.5, 0): after the first grid, the
    points land ever closer to it, all the way round, and the traced contour lies on it."""
    summary = run_scan(_circle(tmp_path), output_dir=tmp_path)
    rows = _rows(tmp_path / "C" / "all_points.csv")
    assert [r["iteration"] for r in rows[:36]] == ["0"] * 36  # the first grid: (N0 + 1)^2
    later = [r for r in rows if r["iteration"] != "0"]
    off = {k: max(abs(float(r["Shell"]) - 1) for r in later if r["iteration"] == k)
           for k in {r["iteration"] for r in later}}
    assert off["1"] < 0.2 and min(off.values()) < 0.03
    angles = [math.atan2(float(r["y"]), float(r["x"]) - 0.5) for r in later]
    assert len(np.unique(np.floor((np.array(angles) + math.pi) / (math.pi / 4)))) == 8
    contour = _rows(tmp_path / "C" / "Results" / "contour.csv")
    assert summary["contour_lines"] == 1 and len(contour) > 100
    assert max(abs(math.hypot(float(r["x"]) - 0.5, float(r["y"])) - 1) for r in contour) < 0.02


def test_contour2d_starts_from_the_input_csv(tmp_path: Path) -> None:
    """BSMArt's Input_CSV_File: known points (here a coarse 4 x 4 grid) instead of the first grid."""
    values = [-1.5, -0.5, 0.5, 1.5]
    (tmp_path / "known.csv").write_text("x,y\n" + "".join(f"{x},{y}\n" for x in values for y in values))
    summary = run_scan(_circle(tmp_path, Input_CSV_File="known.csv"), output_dir=tmp_path)
    rows = _rows(tmp_path / "C" / "all_points.csv")
    assert [(float(r["x"]), float(r["y"])) for r in rows[:16]] == [(x, y) for x in values for y in values]
    assert rows[16]["iteration"] == "1" and summary["contour_lines"] == 1
    contour = _rows(tmp_path / "C" / "Results" / "contour.csv")
    assert max(abs(math.hypot(float(r["x"]) - 0.5, float(r["y"])) - 1) for r in contour) < 0.05


@pytest.mark.parametrize("change, message", [
    ({"Input_CSV_File": "none.csv"}, "Setup.Input_CSV_File: no file or folder"),
    ({"Function": "mh - 125"}, "Setup.Function: 'mh - 125' names mh: neither a variable nor an observable"),
    ({"Function": "Shell +"}, "Setup.Function: cannot parse"),
    ({"N0": 0}, "Setup.N0: must be at least 1"),
])
def test_contour2d_bad_input_is_one_line(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_scan(_circle(tmp_path, **change), output_dir=tmp_path)
    assert not (tmp_path / "C").exists()


def test_contour2d_needs_two_variables(tmp_path: Path) -> None:
    path = _circle(tmp_path)
    config = json.loads(path.read_text())
    config["Variables"]["z"] = {"RANGE": [0, 1]}
    path.write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="Variables: Contour2D needs exactly two variables with a RANGE, got 3"):
        run_scan(path, output_dir=tmp_path)


@pytest.mark.parametrize("scan, setup", [
    ("AffineMC", {"Steps": 3, "Walkers": 6}), ("MultiNest", {"Live Points": 20, "Max Evaluations": 200}),
    ("Vegas", {"Points": 60, "Batch Size": 20}), ("CMAES", {"Points": 40}), ("Diver", {"Points": 40}),
    ("DEAP", {"Points": 40}), ("CMAES_ND", {"Points": 40}),
])
def test_codes_that_fail_everywhere_end_in_one_line(tmp_path: Path, scan: str, setup: dict) -> None:
    from bsmart.errors import ScanError
    path = _gauss(tmp_path, scan, **setup)
    config = json.loads(path.read_text())
    shell = {"SCALING": "GAUSS", "MEAN": 0, "VARIANCE": 2}
    config["Codes"] = {"broken": {"Function": "broken.py:observables", "Observables": {"Shell": shell}}}
    path.write_text(json.dumps(config))
    (tmp_path / "broken.py").write_text("def observables(point):\n    raise RuntimeError('no spectrum')\n")
    with pytest.raises(ScanError, match=f"{scan}: none of the .* points evaluated was valid: .*no spectrum"):
        run_scan(path, output_dir=tmp_path)
    assert json.loads((tmp_path / "G" / "summary.json").read_text())["status"] == "stopped"


def _bump(tmp_path: Path, **setup) -> Path:
    """The likelihood exp(-r^2 / (2 * 0.3^2)) around (0.5, 0) in [-2, 2]^2: its contour at 0.5 is the
    circle of radius 0.3 sqrt(2 ln 2) = 0.353, 2.4 % of the square (random points rarely land inside)."""
    config = {"Scan": "ContourGP", "Setup": {"RunName": "B", "Seed": 1, "Threshold": 0.5, "Points": 40, **setup},
              "Variables": {"x": {"RANGE": [-2, 2]}, "y": {"RANGE": [-2, 2]}},
              "Codes": {"toy_targets": {"Shell center": [0.5, 0], "Observables": {
                  "Shell": {"SCALING": "GAUSS", "MEAN": 0, "VARIANCE": 0.3}}}}}
    (tmp_path / "bump.json").write_text(json.dumps(config))
    return tmp_path / "bump.json"


def test_contourgp_learns_a_small_contour_from_few_points(tmp_path: Path) -> None:
    """With 40 evaluations the process's boundary lies on the circle, all the way round (a process
    fitted to 40 uniform points misses it: its boundary points lie a median 0.27 and 0.15 from the
    circle for seeds 1 and 3, benchmarks/contours.py)."""
    summary = run_scan(_bump(tmp_path), output_dir=tmp_path)
    assert summary["evaluations"] == 40 and summary["misclassified"] < 0.01
    rows = _rows(tmp_path / "B" / "Results" / "boundary.csv")
    assert list(rows[0]) == ["x", "y", "Function", "Uncertainty"] and len(rows) == 400
    x, y = (np.array([float(r[k]) for r in rows]) for k in ("x", "y"))
    miss = np.abs(np.hypot(x - 0.5, y) - 0.3 * math.sqrt(2 * math.log(2)))
    assert np.median(miss) < 0.06 and miss.max() < 0.2
    assert np.histogram(np.arctan2(y, x - 0.5), bins=12, range=(-np.pi, np.pi))[0].min() > 5


def test_contourgp_starts_from_the_input_csv_and_picks_batches(tmp_path: Path) -> None:
    (tmp_path / "start.csv").write_text("x,y\n0.5,0\n-1.5,-1.5\n1.5,1.5\n-1.5,1.5\n1.5,-1.5\n0,0.1\n")
    summary = run_scan(_bump(tmp_path, Points=17, **{"Batch Size": 4, "Input_CSV_File": "start.csv"}),
                       output_dir=tmp_path)
    rows = _rows(tmp_path / "B" / "all_points.csv")
    assert summary["evaluations"] == 17 and [r["x"] for r in rows[:6]] == ["0.5", "-1.5", "1.5", "-1.5", "1.5", "0.0"]
    assert [r["iteration"] for r in rows[6:]] == [str(k) for k in (1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3)]  # Points: exact
    assert len({(r["x"], r["y"]) for r in rows}) == 17  # a batch's picks differ


@pytest.mark.parametrize("change, message", [
    ({"Function": "Shell +"}, "Setup.Function: "),
    ({"Input_CSV_File": "none.csv"}, "Setup.Input_CSV_File: no file or folder"),
])
def test_contourgp_bad_input_is_one_line(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_scan(_bump(tmp_path, **change), output_dir=tmp_path)


def test_contourgp_with_nothing_to_learn_ends_in_one_line(tmp_path: Path) -> None:
    from bsmart.errors import ScanError
    path = _bump(tmp_path)
    config = json.loads(path.read_text())
    config["Codes"] = {"broken": {"Function": "broken.py:observables", "Observables": {"Shell": {"SCALING": "OFF"}}}}
    path.write_text(json.dumps(config))
    (tmp_path / "broken.py").write_text("def observables(point):\n    raise RuntimeError('no spectrum')\n")
    with pytest.raises(ScanError, match="ContourGP: the function minus Threshold is 10 at all 5 points \\(5 failed\\)"):
        run_scan(path, output_dir=tmp_path)
