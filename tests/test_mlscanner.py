"""The MLScanner scans: real (small) runs on the F3d toy target, plus the loop's edge cases.

Good = |F3d - 100| < 9.18 (Gaussian MEAN 100 VARIANCE 20, Threshold_Value 0.1053) over
[-10pi, 10pi]^3: random sampling finds about 3 % good points there.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bsmart.cli import main as cli_main
from bsmart.errors import ScanError
from bsmart.scans.MLScanner.loop import CROWD_CAP, SHARPNESS, local_candidates, smote_candidates, spread
from bsmart.session import run_scan

METHODS = ["MLS_DNNC", "MLS_DNNR", "MLS_GBR", "MLS_RFC", "MLS_RFR", "MLS_SVR_RBF", "MLS_SVR_Poly"]
BOX = [-31.4159265, 31.4159265]
THRESHOLD = 0.1053
SEED = 3


# BSMArt's MLS_DNNR and MLS_DNNC: the network learns the NLL or which points are good, and half
# the model's picks are its best-scored candidates
BSMART_TARGETS = {method: {"Target": target, "Exploration": 0.5, "Local_Candidates": False, "Local_Steps": 1}
                  for method, target in (("MLS_DNNR", "NLL"), ("MLS_DNNC", "Good"))}


def f3d_input(scan: str, run_name: str, *, networks: dict[str, Any] | None = None,
              setup: dict[str, Any] | None = None) -> dict[str, Any]:
    small = {"Threshold_Value": THRESHOLD, "Bootstrap_Points": 100, "Points_Per_Iteration": 100,
             "Candidate_Points": 5000, "Iterations": 3, "Epochs": 100, "Estimators": 50}
    return {
        "Scan": scan,
        "Setup": {"RunName": run_name, "Cores": 1, "Seed": SEED, "Points": 100000, **(setup or {})},
        "Variables": {f"x{i}": {"RANGE": BOX} for i in (1, 2, 3)},
        "Codes": {"toy_targets": {"Run": "True",
                                  "Observables": {"F3d": {"SCALING": "GAUSS", "MEAN": 100, "VARIANCE": 20}}}},
        "Networks": {**small, **(networks or {})},
    }


def run(tmp_path: Path, data: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    path = tmp_path / f"{data['Setup']['RunName']}.json"
    path.write_text(json.dumps(data))
    summary = run_scan(path, output_dir=tmp_path, overwrite=True)
    return summary, Path(summary["run_dir"])


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def random_rate(tmp_path_factory: pytest.TempPathFactory) -> float:
    """The random-sampling rate of good points on the same target and seed, measured here."""
    tmp = tmp_path_factory.mktemp("random")
    data = f3d_input("Random", "Random_F3d", setup={"Points": 3000, "Threshold": THRESHOLD})
    del data["Networks"]
    summary, _ = run(tmp, data)
    return summary["good"] / summary["evaluations"]


@pytest.mark.parametrize("method", METHODS)
def test_method_beats_random_sampling(tmp_path: Path, method: str, random_rate: float) -> None:
    # MLS_DNNR's and MLS_DNNC's defaults spend every pick on covering the region, and on F3d its networks need
    # about 1000 points before that is efficient (see test_dnnr_defaults_cover_...); here its network learns
    # the NLL and takes half its picks by score, as BSMArt's does
    # (the same for MLS_DNNC: its network classifies good points, as BSMArt's does)
    summary, run_dir = run(tmp_path, f3d_input(method, method, networks=BSMART_TARGETS.get(method)))
    table = rows(run_dir / "iterations.csv")
    assert [int(r["iteration"]) for r in table] == [0, 1, 2, 3]
    after = table[1:]  # the model's iterations (bootstrap excluded)
    efficiency = sum(int(r["good"]) for r in after) / sum(int(r["evaluated"]) for r in after)
    assert efficiency > 3 * random_rate, (method, efficiency, random_rate)
    assert summary["stopped_by"] == "iterations"
    assert summary["evaluations"] == 400
    for key in ("efficiency", "accuracy", "train_seconds", "score_seconds", "code_seconds", "valid"):
        assert key in table[0]
    assert (run_dir / "model" / "model.json").is_file()


@pytest.mark.parametrize("method", ["MLS_DNNC", "MLS_RFR"])
def test_same_seed_same_points(tmp_path: Path, method: str) -> None:
    # two cores: the models then train and predict on two threads, which must not change any pick
    data = f3d_input(method, "Det", networks={"Iterations": 2, "Epochs": 30}, setup={"Cores": 2})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, first = run(tmp_path / "a", data)
    _, second = run(tmp_path / "b", data)
    points = [[(r["x1"], r["x2"], r["x3"]) for r in rows(d / "all_points.csv")] for d in (first, second)]
    assert points[0] == points[1] and len(points[0]) == 300
    # BSMArt's outputs: the NLL as Result, last; MLS_DNNC's accumulated good points (variables, NLL)
    table = rows(first / "Spectrum_Files" / "SLHA_output.csv")
    assert list(table[0])[-1] == "Result" and all(r["Result"] == r["NLL"] for r in table)
    accumulated = first / "Spectrum_Files" / "Accumulated_points_Model_dnn_classifier.csv"
    good = [{k: r[k] for k in ("x1", "x2", "x3", "NLL")} for r in rows(first / "good_points.csv")]
    assert (rows(accumulated) == good and len(good) > 0) if method == "MLS_DNNC" else not accumulated.exists()


def test_initcsv_seeding_needs_fewer_evaluations(tmp_path: Path) -> None:
    networks = {"Iterations": 40, "Bootstrap_Points": 25, "Points_Per_Iteration": 25}
    data = f3d_input("Random", "Seed", setup={"Points": 1500, "Threshold": THRESHOLD})
    _, seed_dir = run(tmp_path, data)
    seeded = f3d_input("MLS_RFC", "Seeded", networks=networks,
                       setup={"Points": 100, "InitCSV": str(seed_dir / "all_points.csv")})
    plain = f3d_input("MLS_RFC", "Plain", networks=networks, setup={"Points": 100})
    with_csv, _ = run(tmp_path, seeded)
    without, _ = run(tmp_path, plain)
    assert with_csv["initcsv_points"] == 1500
    assert with_csv["stopped_by"] == without["stopped_by"] == "points"
    assert with_csv["evaluations"] < without["evaluations"]


def test_initcsv_variables_and_nll_only(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(*BOX, (200, 3))
    f = (2 + np.cos(x[:, 0] / 7) * np.cos(x[:, 1] / 7) * np.cos(x[:, 2] / 7)) ** 5
    lines = ["x1,x2,x3,NLL"] + [f"{a},{b},{c},{(v - 100) ** 2 / 800}" for (a, b, c), v in zip(x, f)]
    (tmp_path / "known.csv").write_text("\n".join(lines) + "\n")
    data = f3d_input("MLS_RFR", "Hand", networks={"Iterations": 1}, setup={"InitCSV": "known.csv"})
    summary, run_dir = run(tmp_path, data)
    nll = (f - 100) ** 2 / 800
    assert summary["initcsv_points"] == 200 and summary["initcsv_good"] == int((nll < THRESHOLD).sum())
    assert summary["evaluations"] == 200  # InitCSV points are not evaluated (never proposed again:
    # test_ml_loop.py::test_a_space_with_few_distinct_points_is_exhausted_without_repeats_or_initcsv_points)


def test_smote_edge_cases() -> None:
    rng = np.random.default_rng(1)
    assert smote_candidates(np.empty((0, 3)), 50, 5, 0).shape == (0, 3)
    assert smote_candidates(rng.random((1, 3)), 50, 5, 0).shape == (0, 3)
    two = rng.random((2, 3))
    out = smote_candidates(two, 50, 5, 0)  # k shrinks to 1
    assert out.shape == (50, 3)
    lo, hi = two.min(0), two.max(0)
    assert np.all((out >= lo - 1e-12) & (out <= hi + 1e-12))  # on the segment between the two


@pytest.mark.parametrize("n_good, dim, k", [(2, 3, 5), (40, 2, 5), (3000, 3, 5), (2000, 20, 5)])
def test_smote_candidates_are_imbalanced_learns(n_good: int, dim: int, k: int) -> None:
    """The same points as imbalanced-learn's SMOTE for the same seed, though only the bases
    drawn have their neighbours searched (a k-d tree in 3-d, brute force in 20)."""
    from imblearn.over_sampling import SMOTE

    rng = np.random.default_rng(n_good)
    good, other = rng.random((n_good, dim)), rng.random((50, dim))
    X, y = np.vstack([good, other]), np.r_[np.ones(n_good, int), np.zeros(50, int)]
    smote = SMOTE(sampling_strategy={1: n_good + 5000}, k_neighbors=min(k, n_good - 1), random_state=7)
    theirs = np.clip(smote.fit_resample(X, y)[0][len(X):], 0.0, 1.0)  # imblearn appends its new points
    assert np.array_equal(smote_candidates(good, 5000, k, 7), theirs)


def test_spread_picks_believed_good_points_away_from_known_ones() -> None:
    rng = np.random.default_rng(2)
    pool = rng.random((4000, 2))
    probability = (np.linalg.norm(pool - 0.5, axis=1) < 0.3).astype(float)  # a disc believed good
    known = pool[(probability > 0) & (pool[:, 0] < 0.5)][:200]  # its left half is already sampled
    plain = spread(probability, 100, pool, np.empty((0, 2)), 0.0)
    spread_out = spread(probability, 100, pool, known, 0.05)
    assert len(set(plain)) == len(set(spread_out)) == 100
    assert probability[plain].all() and probability[spread_out].all()  # never a candidate believed bad
    right = lambda idx: np.mean(pool[idx, 0] > 0.5)  # noqa: E731
    assert right(spread_out) > 0.9 > right(plain)  # moved to the unsampled half
    # the picks keep their distance from each other as well: more evenly spaced than at random
    def mean_gap(idx: np.ndarray) -> float:
        d = np.linalg.norm(pool[idx][:, None] - pool[idx][None], axis=-1) + 9 * np.eye(len(idx))
        return float(d.min(axis=1).mean())
    assert mean_gap(spread(probability, 100, pool, np.empty((0, 2)), 0.05)) > 1.3 * mean_gap(plain)
    assert np.array_equal(spread(probability, 100, pool, known, 0.05), spread_out)  # deterministic
    assert len(spread(probability[:5], 20, pool[:5], pool[5:], 0.1)) == 5  # never more than the pool


@pytest.mark.parametrize("dim", [1, 3, 6])
def test_lazy_spread_picks_what_counting_every_candidate_picks(dim: int) -> None:
    """spread counts the crowding of only the best-weighted candidates; the picks must be those of
    counting all of them, also with many equal weights (a regressor's 1 wherever it predicts good)
    and with crowded neighbourhoods (up to CROWD_CAP)."""
    def counting_all(weights, n, pool, anchors, radius):
        w = weights ** SHARPNESS
        rank = np.empty(len(w), int)
        rank[np.argsort(-w, kind="stable")] = np.arange(len(w))
        near = lambda x: (((x[:, None] - pool[None]) ** 2).sum(-1) <= radius ** 2).sum(0)  # noqa: E731
        crowd, available, picks = np.minimum(near(anchors), CROWD_CAP), np.ones(len(pool), bool), []
        for _ in range(n):
            value = np.where(available, w / (1 + crowd), -1.0)
            tied = np.flatnonzero(value == value.max())
            picks.append(tied[np.argmin(rank[tied])])  # ties: the larger weight, then the lower index
            available[picks[-1]] = False
            crowd = np.minimum(crowd + near(pool[picks[-1]][None]), CROWD_CAP)  # a full neighbourhood stays full
        return np.array(picks)

    rng = np.random.default_rng(dim)
    for case in range(6):
        pool, anchors = rng.random((int(rng.integers(50, 2500)), dim)), rng.random((int(rng.integers(0, 400)), dim))
        if case == 5:
            anchors = np.vstack([anchors, pool[0] + 1e-4 * rng.random((300, dim))])  # a pile of known good points
        weights = rng.random(len(pool))
        if case % 2:
            weights[weights > 0.4] = 1.0
        n, radius = int(rng.integers(1, 300)), float(rng.uniform(0.01, 0.3))
        n = min(n, len(pool))
        lazy = spread(weights, n, pool, anchors, radius)
        assert np.array_equal(lazy, counting_all(weights, n, pool, anchors, radius))


def test_local_walks_spread_along_the_region_the_model_believes_good() -> None:
    """Walks from one known point of a thin 10-d shell (|x - c| = 0.35 +- 0.02), on a model that
    knows the shell: every walker stays on it, and 30 steps carry them far along it, where one
    step leaves them beside the known point; without a model one step is always taken."""
    centre = np.full(10, 0.5)

    def on_shell(x: np.ndarray) -> np.ndarray:
        return (np.abs(np.linalg.norm(x - centre, axis=1) - 0.35) < 0.02).astype(float)

    start = (centre + 0.35 * np.eye(10)[0])[None, :]
    spread_of = {}
    for steps in (1, 30):
        walkers = local_candidates(start, 2000, 0.05, np.random.default_rng(1), on_shell, steps)
        assert len(walkers) > 100 and on_shell(walkers).all()
        spread_of[steps] = np.linalg.norm(walkers - start, axis=1).mean()
    assert spread_of[30] > 3 * spread_of[1], spread_of
    free = local_candidates(np.full((1, 10), 0.5), 500, 0.05, np.random.default_rng(1))
    assert len(free) == 500 and np.linalg.norm(free - 0.5, axis=1).mean() == pytest.approx(0.05, rel=0.1)


def test_local_walkers_per_pick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Local_Walkers bounds the walkers of a batch to that many per model pick (the DNN methods'
    10: each walker costs Local_Steps predictions); 0 keeps Candidate_Points walkers."""
    from bsmart.scans.MLScanner import loop

    walkers: list[int] = []
    real = loop.local_candidates
    monkeypatch.setattr(loop, "local_candidates", lambda good, n, *a: walkers.append(n) or real(good, n, *a))
    networks = {"Iterations": 2, "Epochs": 20, "Local_Steps": 2}
    run(tmp_path, f3d_input("MLS_DNNR", "dnnr", networks=networks))
    assert walkers == [10 * 80] * 2  # 10 per pick of the 80 the model makes in a batch of 100
    walkers.clear()
    run(tmp_path, f3d_input("MLS_DNNC", "dnnc", networks=networks))
    assert walkers == [10 * 80] * 2
    walkers.clear()
    run(tmp_path, f3d_input("MLS_DNNC", "dnnc", networks={**networks, "Local_Walkers": 0}))
    assert walkers == [5000] * 2  # Candidate_Points
    walkers.clear()
    run(tmp_path, f3d_input("MLS_DNNC", "dnnc", networks={**networks, "Local_Walkers": 100}))
    assert walkers == [5000] * 2  # never more than Candidate_Points


@pytest.mark.parametrize("method", ["MLS_DNNR", "MLS_DNNC"])
def test_dnn_defaults_cover_the_region_where_bsmarts_networks_pile_up(tmp_path: Path, method: str) -> None:
    """The DNN methods' defaults (a network per observable, walks, every pick spread) on F2d:
    3 batches of 100 are still far more efficient than random sampling (4.3 %), and the good
    points fall in more cells of the region (12 x 12 grid) than those of the same network
    learning the NLL (MLS_DNNR) or which points are good (MLS_DNNC) and taking half its picks by
    score, as BSMArt's, which falls short of as many random good points; the defaults' reach as
    many cells as the random ones (here MLS_DNNR 30 against 29, MLS_DNNC 28 against 28)."""
    box = [0, 31.4159265]
    x = np.random.default_rng(0).uniform(*box, (200000, 2))
    reference = x[np.abs((2 + np.cos(x[:, 0] / 5) * np.cos(x[:, 1] / 7)) ** 5 - 100) < 9.18]

    def cells(points: np.ndarray) -> set:
        return {tuple(c) for c in np.floor(points / box[1] * 12).astype(int)}

    region = cells(reference)
    found = {}
    for name, networks in (("Defaults", {}), ("BSMArt", BSMART_TARGETS[method])):
        data = {"Scan": method, "Setup": {"RunName": name, "Cores": 1, "Seed": SEED, "Points": 100000},
                "Variables": {f"x{i}": {"RANGE": box} for i in (1, 2)},
                "Codes": {"toy_targets": {"Run": "True", "Observables": {
                    "F2d": {"SCALING": "GAUSS", "MEAN": 100, "VARIANCE": 20}}}},
                "Networks": {"Threshold_Value": THRESHOLD, "Bootstrap_Points": 100, "Points_Per_Iteration": 100,
                             "Candidate_Points": 2000, "Iterations": 3, **networks}}
        _, run_dir = run(tmp_path, data)
        good = np.array([[float(r["x1"]), float(r["x2"])] for r in rows(run_dir / "all_points.csv")
                         if r["good"] == "True"])
        found[name] = (len(good), len(cells(good) & region), len(cells(reference[:len(good)]) & region))
    n_good, covered, random_covered = found["Defaults"]
    assert n_good > 3 * 0.043 * 400 and covered >= random_covered and covered > found["BSMArt"][1], found
    assert found["BSMArt"][1] < found["BSMArt"][2], found


def test_no_good_point_ever_is_not_a_crash(tmp_path: Path) -> None:
    # a threshold below every NLL: 0 good points, SMOTE has nothing to oversample
    for method in ("MLS_DNNC", "MLS_RFC"):
        data = f3d_input(method, f"None_{method}", networks={"Iterations": 2, "Threshold_Value": -1.0,
                                                             "Epochs": 20})
        summary, _ = run(tmp_path, data)
        assert summary["good"] == 0 and summary["stopped_by"] == "iterations"


def test_budget_and_target_stop(tmp_path: Path) -> None:
    data = f3d_input("MLS_GBR", "Budget", networks={"Max_Evaluations": 250, "Iterations": 50})
    summary, run_dir = run(tmp_path, data)
    assert summary["evaluations"] == 250 and summary["stopped_by"] == "max_evaluations"
    data = f3d_input("MLS_GBR", "Target", networks={"Iterations": 50}, setup={"Points": 40})
    summary, _ = run(tmp_path, data)
    assert summary["stopped_by"] == "points" and 40 <= summary["good_found"] == summary["good"]


def test_nothing_valid_raises_scan_error(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(*args, **kwargs):\n    raise RuntimeError('always fails')\n")
    data = f3d_input("MLS_RFR", "Broken")
    data["Codes"] = {"broken": {"Run": "True", "Function": "broken.py:f",
                                "Observables": {"F3d": {"SCALING": "GAUSS", "MEAN": 100, "VARIANCE": 20}}}}
    with pytest.raises(ScanError, match="no valid point"):
        run(tmp_path, data)
    assert len(rows(tmp_path / "Broken" / "all_points.csv")) == 100  # what was evaluated is kept


def test_predict_scores_points(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, run_dir = run(tmp_path, f3d_input("MLS_RFC", "Predict", networks={"Iterations": 2}))
    assert cli_main(["predict", str(run_dir), str(run_dir / "all_points.csv")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "x1,x2,x3,probability,good"  # a classifier's probability of good, and its call
    probability = np.array([float(line.split(",")[-2]) for line in lines[1:]])
    called = np.array([line.split(",")[-1] == "True" for line in lines[1:]])
    good = np.array([r["good"] == "True" for r in rows(run_dir / "all_points.csv")])
    assert len(probability) == len(good) == 300 and np.array_equal(called, probability >= 0.5)
    assert probability[good].mean() > probability[~good].mean() + 0.3
    assert cli_main(["predict", str(tmp_path), str(run_dir / "all_points.csv")]) == 2  # no model there


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_parallel_forest_scores_are_bit_for_bit_repeatable(kind: str) -> None:
    """A multi-threaded forest sums its trees in thread-completion order; the adapter must not,
    or near-ties rank differently from call to call and a rerun or resume proposes other points."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    from bsmart.scans.MLScanner.models import Adapter

    rng = np.random.default_rng(0)
    X = rng.random((300, 2))
    nll = np.abs(np.sin(10 * X[:, 0])) + rng.random(300)
    forest = RandomForestRegressor if kind == "regressor" else RandomForestClassifier
    adapter = Adapter(forest(n_estimators=30, n_jobs=2, random_state=1), kind, threshold=0.8).fit(X, nll)
    candidates = rng.random((4000, 2))
    first = adapter.score(candidates)
    assert all(np.array_equal(adapter.score(candidates), first) for _ in range(30))
    assert adapter.learner.n_jobs == 2


def test_observables_target_learns_values_and_where_codes_fail() -> None:
    """Target "Observables": the NLL of a candidate is the likelihood of the predicted value; a
    positive observable spanning decades is learnt in log; where the codes failed, the capped loss."""
    from sklearn.svm import SVR

    from bsmart.likelihood import MAX_LOSS, Observable
    from bsmart.scans.MLScanner.models import Adapter

    rng = np.random.default_rng(0)
    X = rng.random((400, 2))
    value = np.exp(5 * X[:, 0])  # 1 .. 150: F = 100 at x0 = ln(100) / 5 = 0.921
    failed = X[:, 1] > 0.8
    value[failed] = np.nan
    observables = {"F": Observable("F", "GAUSS", mean=100.0, sigma=5.0)}
    nll = np.array([observables["F"].loss(v) for v in value])
    adapter = Adapter(SVR(C=100, gamma=10, epsilon=0.01), "regressor", 0.5, observables)
    adapter.fit(X, nll, values=value[:, None])
    assert adapter.per_observable["F"][1].log
    predicted = adapter.predicted_nll(np.array([[0.921, 0.3], [0.921, 0.95], [0.3, 0.3]]))
    assert predicted[0] < 0.5  # on the level set F = 100: good
    assert predicted[1] >= MAX_LOSS  # where the codes fail
    assert predicted[2] > 10  # F ~ 4.5: far from 100
    assert adapter.likely(adapter.score(np.array([[0.921, 0.3]])))[0]
    # valid points whose values are unknown (an InitCSV without the observables' columns) do not fail
    adapter.fit(X, nll, values=value[:, None], valid=np.ones(len(X), bool))
    assert adapter.validity is None and adapter.predicted_nll(np.array([[0.921, 0.95]]))[0] < MAX_LOSS


def test_validity_share_says_how_many_valid_neighbours_a_candidate_needs(tmp_path: Path) -> None:
    """A candidate whose 5 nearest evaluated points are 3 valid and 2 failed is valid with the
    default share 0.5 and failing with 0.8; a saved model keeps its share."""
    from sklearn.svm import SVR

    from bsmart.likelihood import MAX_LOSS, Observable
    from bsmart.scans.MLScanner.models import Adapter, load_model
    from bsmart.space import Space, Variable

    rng = np.random.default_rng(4)
    far = rng.random((60, 2)) * 0.3  # valid points far from the candidate at (0.7, 0.7)
    near = 0.7 + 0.01 * np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [0.7, 0.7]])
    X = np.vstack([far, near])
    value = X[:, 0] + X[:, 1]
    value[-2:] = np.nan  # two of the five nearest failed
    observables = {"F": Observable("F", "GAUSS", mean=1.4, sigma=0.5)}
    nll = np.array([observables["F"].loss(v) for v in value])
    candidate = np.array([[0.7, 0.7]])
    failing = {}
    for share in (0.5, 0.8):
        adapter = Adapter(SVR(C=100, gamma=10, epsilon=0.01), "regressor", 0.5, observables, share)
        adapter.fit(X, nll, values=value[:, None])
        failing[share] = adapter.predicted_nll(candidate)[0] >= MAX_LOSS
    assert failing == {0.5: False, 0.8: True}
    adapter.save(tmp_path, Space([Variable("x", 0.0, 1.0), Variable("y", 0.0, 1.0)]), "MLS_DNNR")
    loaded = load_model(tmp_path, device="cpu")[0]
    assert loaded.validity_share == 0.8 and loaded.predicted_nll(candidate)[0] >= MAX_LOSS


def circle_window(sigma: float) -> tuple:
    """A circle's radius R about the middle of the unit square, a GAUSS window 0.3 +- sigma on it:
    the observables, 3000 uniform points with their radius and NLL, and 20 000 candidates."""
    from bsmart.likelihood import Observable

    rng = np.random.default_rng(3)
    observables = {"R": Observable("R", "GAUSS", mean=0.3, sigma=sigma)}
    X = rng.random((3000, 2))
    radius = np.linalg.norm(X - 0.5, axis=1)
    return observables, X, radius, observables["R"].losses(radius), rng.random((20000, 2))


def test_a_networks_error_widens_the_region_it_calls_possibly_good() -> None:
    """MLS_DNNR's networks: each observable's likelihood is widened by the network's error on its
    held-out points (5 %, so from 400 points on). Taught by 400 points, the network of a circle's
    radius (window 0.3 +- 0.002) is unsure by about the window, and weighs a wider band as possibly
    good than its bare predictions do; taught by 3000, its error is about half, and the band it
    weighs is nearly as thin as its bare predictions'."""
    pytest.importorskip("torch")
    from bsmart.scans.MLScanner.models import Adapter, TorchMLP

    observables, X, radius, nll, candidates = circle_window(0.002)
    weighed = {}
    for n in (400, 3000):
        adapter = Adapter(TorchMLP("regression", seed=1, device="cpu"), "regressor", 0.5, observables)
        adapter.fit(X[:n], nll[:n], values=radius[:n, None])
        learner, scaler = adapter.per_observable["R"]
        assert scaler.error == learner.validation_error > 0
        widened = adapter.probability(adapter.score(candidates)) > 0.01
        error, scaler.error = scaler.error, 0.0
        bare = adapter.probability(adapter.score(candidates)) > 0.01
        weighed[n] = error, widened.mean(), bare.mean()
    assert weighed[400][0] > 1.5 * weighed[3000][0], weighed  # the standardised errors: 0.023 and 0.013 here
    assert weighed[400][1] > 1.6 * weighed[400][2], weighed  # 0.047 of the box against 0.025
    assert weighed[3000][1] < 1.5 * weighed[3000][2], weighed  # 0.032 against 0.023


def test_a_regressor_learns_a_distance_meant_to_vanish_without_its_log() -> None:
    """An observable's network learns the log of positive values spanning more than a factor 10,
    except where the window holds 0 and ends on both sides (a distance or difference meant to
    vanish: its log would make each zero a valley to -inf). Two disjoint shells' distance, GAUSS
    about 0, is learnt as it is; the same values with a window about 0.5 (a shell's radius), or
    under an upper limit, are learnt as their log."""
    pytest.importorskip("torch")
    from bsmart.likelihood import Observable
    from bsmart.scans.MLScanner.models import Adapter, TorchMLP, window_around_zero

    rng = np.random.default_rng(5)
    X = rng.random((200, 2))
    distance = np.abs(np.minimum(np.linalg.norm(X - [0.3, 0.5], axis=1), np.linalg.norm(X - [0.7, 0.5], axis=1)) - 0.15)
    assert distance.max() > 10 * distance.min() > 0
    log_learnt = {}
    for scaling, mean in (("GAUSS", 0.0), ("LOG", 0.0), ("GAUSS", 0.5), ("UPPER", 0.3), ("LOWER", 0.01)):
        observables = {"D": Observable("D", scaling, mean=mean, sigma=0.02)}
        adapter = Adapter(TorchMLP("regression", seed=1, device="cpu", epochs=5), "regressor", 0.5, observables)
        adapter.fit(X, observables["D"].losses(distance), values=distance[:, None])
        log_learnt[scaling, mean] = adapter.per_observable["D"][1].log
        assert log_learnt[scaling, mean] == (not window_around_zero(observables["D"], 0.5, distance))
    assert log_learnt == {("GAUSS", 0.0): False, ("LOG", 0.0): False, ("GAUSS", 0.5): True, ("UPPER", 0.3): True,
                          ("LOWER", 0.01): True}


def test_side_networks_predict_the_window_where_no_good_point_is_known() -> None:
    """MLS_DNNC's Target "Observables": a circle |x - c| = 0.3 +- 0.03 whose good points are all
    removed from the right half of the box. The side network, taught by the bad points inside and
    outside the circle, still calls the right half's arc likely good; a classifier of good points
    calls nothing there. Points where the codes failed are predicted to fail (weight 0)."""
    pytest.importorskip("torch")
    from bsmart.likelihood import Observable
    from bsmart.scans.MLScanner.models import Adapter, TorchMLP

    rng = np.random.default_rng(2)
    observables = {"R": Observable("R", "GAUSS", mean=0.3, sigma=0.02)}
    X = rng.random((3000, 2))
    radius = np.linalg.norm(X - 0.5, axis=1)
    nll = np.array([observables["R"].loss(r) for r in radius])
    good = nll < 0.5
    keep = ~(good & (X[:, 0] > 0.55))  # no good point known on the right
    failed = X[:, 1] < 0.1
    values = np.where(failed, np.nan, radius)[:, None]
    sides = Adapter(TorchMLP("classification", seed=1, device="cpu"), "classifier", 0.5, observables)
    sides.fit(X[keep], nll[keep], good[keep], values[keep])
    plain = Adapter(TorchMLP("classification", seed=1, device="cpu"), "classifier", 0.5)
    plain.fit(X[keep], nll[keep], good[keep])
    angle = np.linspace(-1.2, 1.2, 50)  # the right-hand arc, x > 0.6
    arc = 0.5 + 0.3 * np.column_stack([np.cos(angle), np.sin(angle)])
    off = 0.5 + 0.15 * np.column_stack([np.cos(angle), np.sin(angle)])  # inside the circle: bad
    assert np.mean(sides.likely(sides.score(arc))) > 0.6, sides.score(arc)
    assert np.mean(sides.likely(sides.score(off))) < 0.1
    assert np.mean(plain.likely(plain.score(arc))) < 0.1
    assert (sides.score(np.array([[0.8, 0.05], [0.2, 0.05]])) == 0).all()  # where the codes fail


def test_side_labels_rise_through_the_window_and_mark_it_with_their_band() -> None:
    """MLS_DNNC's side labels of F3d's values (window 100 +- 9.18): rising with the value, within
    their band exactly for the values inside the window, towards 0 below and 1 above; the band
    within 1/2 +- 1/8. A one-sided window (UPPER) holds every value below it; a distance meant to
    vanish (|F - 100| / 100, GAUSS 0 +- 0.02) has its band below 1/2 too, where the inside values
    are; beyond every value seen (1000 +- 1.4), the window still has its band at 1/2, and every
    value lies below it."""
    from bsmart.likelihood import Observable
    from bsmart.scans.MLScanner.models import SideLabels

    x = np.random.default_rng(1).uniform(0, 100, (3000, 3))
    values = (2 + np.prod(np.cos(x / 7), axis=1)) ** 5
    distance = np.abs(values - 100) / 100
    for obs, threshold, v in ((Observable("F", "GAUSS", mean=100, sigma=20), 0.10535, values),
                              (Observable("F", "UPPER", mean=50, sigma=1), 0.5, values),
                              (Observable("D", "GAUSS", mean=0, sigma=0.02), 0.5, distance),
                              (Observable("F", "GAUSS", mean=1000, sigma=1), 0.5, values)):
        band, labels = SideLabels.fitted(obs, threshold, v)
        order = np.argsort(v)
        assert np.all(np.diff(labels[order]) >= 0)
        in_band = (labels >= band.low) & (labels <= band.high)
        assert 0.375 - 1e-9 <= band.low <= 0.5 <= band.high <= 0.625 + 1e-9, band
        assert np.array_equal(in_band, obs.losses(v) < threshold), obs.scaling
        assert obs.name != "D" or labels[in_band].min() < 0.4, band  # without the values: from 1/2 up
    assert labels.max() < 0.4 and labels.min() < 0.05  # the far window's: all below, spread towards 0


def test_a_side_networks_error_widens_its_window_and_flattens_it_inside() -> None:
    """MLS_DNNC's side networks: the probability of lying inside a window is taken over the
    network's error on its held-out points. Taught by 400 points, the network of a circle's radius
    (window 0.3 +- 0.01, 3.7 % of the box) errs about twice as much as taught by 3000. Either way
    the weight is flat (about 1) across the inner half of the window, and nothing far from it
    weighs anything; an error ten times larger weighs a band wider than the bare window, nearly
    flat across the window's inner half and more there than anywhere off the window."""
    pytest.importorskip("torch")
    from bsmart.scans.MLScanner.models import Adapter, TorchMLP

    observables, X, radius, nll, candidates = circle_window(0.01)
    off_centre = np.abs(np.linalg.norm(candidates - 0.5, axis=1) - 0.3)
    errors = {}
    for n in (400, 3000):
        adapter = Adapter(TorchMLP("classification", seed=1, device="cpu"), "classifier", 0.5, observables)
        adapter.fit(X[:n], nll[:n], values=radius[:n, None])
        learner, labels = adapter.per_observable["R"]
        assert labels.error == learner.validation_error > 0
        errors[n] = labels.error
        weight = adapter.score(candidates)
        assert weight[off_centre < 0.005].mean() > 0.99, n  # flat across the window's inner half
        assert weight[off_centre > 0.05].max() < 1e-3, n
        error, labels.error = labels.error, 0.0
        bare = adapter.score(candidates)
        assert set(np.unique(bare)) == {0.0, 1.0}  # no error known: the network's window, sharp
        labels.error = 10 * error
        unsure = adapter.score(candidates)
        assert (unsure > 0.01).mean() > 1.5 * bare.mean(), n  # 0.12 and 0.086 of the box against 0.034, 0.038
        inner = unsure[off_centre < 0.005]
        # across the inner half 0.60-0.69 and 0.78-0.94 here; off the window at most 0.17 and 0.07
        assert inner.min() > 0.7 * inner.max() and inner.min() > unsure[off_centre > 0.02].max(), n
    assert errors[400] > 1.5 * errors[3000], errors  # 0.0043 and 0.0022 here


def test_verbose_logs_each_observable_networks_training(tmp_path: Path) -> None:
    # MLS_DNNC's default trains one side network per observable, not its template network
    _, run_dir = run(tmp_path, f3d_input("MLS_DNNC", "Verbose", networks={"Iterations": 1, "Epochs": 5,
                                                                           "Verbose": True}))
    trainings = [line for line in (run_dir / "bsmart.log").read_text().splitlines() if "training learner_0: " in line]
    assert len(trainings) == 2 and "'best_epoch'" in trainings[0]  # the first model batch's and the saved model's


@pytest.mark.parametrize("method", ["MLS_DNNR", "MLS_DNNC"])
def test_observables_models_are_saved_and_predict(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   method: str) -> None:
    # 300 bootstrap points: with 100, a 3-d network's first fits may not have learnt F3d yet (seed-dependent)
    data = f3d_input(method, "Obs", networks={"Iterations": 1, "Epochs": 100, "Target": "Observables",
                                              "Bootstrap_Points": 300})
    _, run_dir = run(tmp_path, data)
    meta = json.loads((run_dir / "model" / "model.json").read_text())
    assert meta["target"] == "Observables" and meta["files"] == {"learner_0": "learner_0.pt"}
    assert cli_main(["predict", str(run_dir), str(run_dir / "all_points.csv")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    # a regressor's predicted NLL, in the run's units, or a classifier's probability of good; and its call
    assert lines[0] == ("x1,x2,x3,NLL,good" if method == "MLS_DNNR" else "x1,x2,x3,probability,good")
    predicted = np.array([float(line.split(",")[-2]) for line in lines[1:]])
    called = np.array([line.split(",")[-1] == "True" for line in lines[1:]])
    table = rows(run_dir / "all_points.csv")
    good = np.array([r["good"] == "True" for r in table])
    sign = 1 if method == "MLS_DNNR" else -1  # a low NLL, a high probability
    assert len(predicted) == 400 and sign * predicted[good].mean() < sign * predicted[~good].mean()
    expected = predicted < meta["threshold"] if method == "MLS_DNNR" else predicted >= 0.5
    assert np.array_equal(called, expected) and np.mean(called == good) > 0.8
    if method == "MLS_DNNC":  # a model whose side networks learnt an earlier bsmart's labels is refused, not misread
        (run_dir / "model" / "model.json").write_text(json.dumps({**meta, "side_labels": None}))
        assert cli_main(["predict", str(run_dir), str(run_dir / "all_points.csv")]) == 2
        assert "side networks learnt other labels; run the scan again" in capsys.readouterr().err


@pytest.mark.parametrize("method, bsmarts", [("MLS_SVR_RBF", "NLL"), ("MLS_DNNC", "Good")])
def test_observables_target_needs_a_used_observable(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    method: str, bsmarts: str) -> None:
    data = f3d_input(method, "NoObs")
    data["Codes"]["toy_targets"]["Observables"]["F3d"]["SCALING"] = "OFF"
    path = tmp_path / "in.json"
    path.write_text(json.dumps(data))
    assert cli_main(["run", str(path), "--output", str(tmp_path), "--quiet"]) == 2
    # refused before the run folder is made, naming the target that needs no observable
    assert not (tmp_path / "NoObs").exists()
    assert f'set "Target": "{bsmarts}"' in capsys.readouterr().err


def test_spread_picks_cover_more_of_the_region_than_the_best_scored(tmp_path: Path) -> None:
    """MLS_SVR_RBF's defaults (observables regressors, Exploration 1) against the same model
    taking only its best-scored candidates (Exploration 0): with as many evaluations, its good
    points fall in many more cells of the region."""
    def cells(run_dir: Path) -> int:
        good = np.array([[float(r[f"x{i}"]) for i in (1, 2, 3)] for r in rows(run_dir / "all_points.csv")
                         if r["good"] == "True"])
        return len({tuple(c) for c in np.floor((good - BOX[0]) / (BOX[1] - BOX[0]) * 12).astype(int)})

    networks = {"Iterations": 4}
    spread_summary, spread_dir = run(tmp_path, f3d_input("MLS_SVR_RBF", "Spread", networks=networks))
    best_summary, best_dir = run(tmp_path, f3d_input("MLS_SVR_RBF", "Best", networks={**networks, "Exploration": 0}))
    assert spread_summary["evaluations"] == best_summary["evaluations"] == 500
    assert spread_summary["good"] > 100  # still efficient: random sampling finds about 17
    assert cells(spread_dir) > 1.5 * cells(best_dir), (cells(spread_dir), cells(best_dir))


def test_initcsv_observable_columns_train_the_observable_models(tmp_path: Path) -> None:
    """A CSV with variables and the observable's values (no NLL) seeds Target "Observables":
    the first model batch is then already far better than random sampling (about 3 %)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(*BOX, (400, 3))
    f = (2 + np.cos(x[:, 0] / 7) * np.cos(x[:, 1] / 7) * np.cos(x[:, 2] / 7)) ** 5
    lines = ["x1,x2,x3,F3d"] + [f"{a},{b},{c},{v}" for (a, b, c), v in zip(x, f)]
    (tmp_path / "known.csv").write_text("\n".join(lines) + "\n")
    data = f3d_input("MLS_SVR_RBF", "Obs", networks={"Iterations": 1, "Bootstrap_Points": 10},
                     setup={"InitCSV": "known.csv"})
    summary, run_dir = run(tmp_path, data)
    assert summary["initcsv_points"] == 400
    first = rows(run_dir / "iterations.csv")[1]
    assert float(first["efficiency"]) > 0.25, first


def test_cuda_without_a_gpu_is_refused_before_any_point(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: Device cuda is valid here")
    data = f3d_input("MLS_DNNC", "Cuda", setup={"Device": "cuda"})
    path = tmp_path / "in.json"
    path.write_text(json.dumps(data))
    assert cli_main(["run", str(path), "--output", str(tmp_path), "--quiet"]) == 2
    assert not (tmp_path / "Cuda").exists()  # refused before the run folder, so before any code ran


def test_bsmart_mls_runs_its_iterations_and_beats_random_sampling(tmp_path: Path, random_rate: float) -> None:
    """BSMArt's MLS keys in Setup: 5 x Points uniform points, then Iterations - 1 network batches of
    Points, 10 % of them random; no good-point target, so reaching the iterations is no shortfall."""
    data = f3d_input("MLS", "MLS_F3d", setup={"Type": "MLS", "Points": 100, "Iterations": 8, "Epochs": 300,
                                              "LR": 0.01, "TrainLH": "False", "Threshold": THRESHOLD})
    del data["Scan"]
    data["Networks"] = {"Candidate_Points": 2000}
    summary, run_dir = run(tmp_path, data)
    assert summary["scan"] == "MLS" and summary["stopped_by"] == "iterations" and "short_of_target" not in summary
    iterations = rows(run_dir / "iterations.csv")
    assert [int(r["evaluated"]) for r in iterations] == [500] + [100] * 7
    assert all(int(r["random"]) == 10 for r in iterations[1:])
    # xBIT's way learns slowly (few good points to learn F3d's 13 shells from); its last batches beat random
    assert sum(int(r["good"]) for r in iterations[-3:]) / 300 > 2.5 * random_rate


@pytest.mark.parametrize("neurons, message", [([], r"expected a list of whole numbers, got \[\]"),
                                              ([50, 0], r"Setup.Neurons\[1\]: must be at least 1"),
                                              ("50", "expected a list of whole numbers, got '50'")])
def test_bsmart_mls_bad_neurons_is_one_line(tmp_path: Path, neurons, message) -> None:
    from bsmart.errors import ConfigError
    data = f3d_input("MLS", "MLS_bad", setup={"Neurons": neurons})
    with pytest.raises(ConfigError, match=message):
        run(tmp_path, data)
    assert not (tmp_path / "MLS_bad").exists()


def test_bsmart_al_learns_the_cut_and_beats_random_sampling(tmp_path: Path, random_rate: float) -> None:
    """BSMArt's AL: the observable's TYPE RANGE is a cut (good: |F3d - 100| <= 9.18, the others' good
    points), the network classifier picks K of L candidates per batch; the run ends at Points."""
    data = f3d_input("AL", "AL_F3d", setup={"Points": 700})
    data["Codes"]["toy_targets"]["Observables"]["F3d"] = {"TYPE": "RANGE", "MEAN": 100, "VARIANCE": 9.18}
    data["Networks"] = {"K": 100, "Kinitial": 100, "L": 5000, "HiddenLayers": 3, "HiddenSize": 100,
                        "Diversity Alpha": 0.5, "FromGood": 0.2, "LearningRate": 1e-5, "DSteps": 5000}
    # BSMArt's TestCSV: labelled points (variables and the observable), 200 good and 200 bad
    from bsmart.codes.toy_targets import f3d
    sample = np.random.default_rng(5).uniform(*BOX, size=(40_000, 3))
    values = np.array([f3d(x) for x in sample])
    inside = np.abs(values - 100) <= 9.18
    chosen = np.r_[np.flatnonzero(inside)[:200], np.flatnonzero(~inside)[:200]]
    (tmp_path / "test.csv").write_text("x1,x2,x3,F3d\n" + "".join(
        ",".join(map(repr, map(float, (*x, v)))) + "\n" for x, v in zip(sample[chosen], values[chosen])))
    data["Setup"]["TestCSV"] = str(tmp_path / "test.csv")
    summary, run_dir = run(tmp_path, data)
    assert summary["scan"] == "AL" and summary["evaluations"] == 700 and "short_of_target" not in summary
    # its accuracy after each training; the last is the saved model's, as `bsmart predict` scores it
    accuracy = [float(r["test_accuracy"]) for r in rows(run_dir / "iterations.csv")]
    assert np.isnan(accuracy[0]) and all(0 <= a <= 1 for a in accuracy[1:])
    predicted = subprocess.run([sys.executable, "-m", "bsmart", "predict", str(run_dir), str(tmp_path / "test.csv")],
                               capture_output=True, text=True, check=True).stdout.splitlines()[1:]
    called_good = np.array([line.split(",")[-1] == "True" for line in predicted])
    assert summary["test_accuracy"] == pytest.approx(np.mean(called_good == (np.arange(400) < 200)))
    assert summary["threshold"] == pytest.approx(np.log(2))
    points = rows(run_dir / "all_points.csv")
    assert all((p["good"] == "True") == (abs(float(p["F3d"]) - 100) <= 9.18) for p in points)
    iterations = rows(run_dir / "iterations.csv")
    assert [int(r["evaluated"]) for r in iterations] == [100] * 7
    assert sum(int(r["good"]) for r in iterations[3:]) / 400 > 3 * random_rate


def test_bsmart_dlscanner_runs_its_iterations_and_beats_random_sampling(tmp_path: Path, random_rate: float) -> None:
    """BSMArt's DLScanner keys in Networks: a first batch of K uniform points, then Iterations
    batches of K picked by the network (Random_Points of them uniform) from L candidates, a
    tenth of them drawn through a vegas map of the good points; good: NLL below its Threshold."""
    data = f3d_input("DLScanner", "DLS_F3d", setup={"Points": 1000})
    data["Networks"] = {"K": 100, "L": 5000, "Iterations": 6, "Threshold": THRESHOLD, "Epochs": 100,
                        "Batch Size": 64, "Random_Points": 10}
    summary, run_dir = run(tmp_path, data)
    assert summary["scan"] == "DLScanner" and summary["stopped_by"] == "iterations" and "short_of_target" not in summary
    assert summary["threshold"] == THRESHOLD and summary["evaluations"] == 700
    iterations = rows(run_dir / "iterations.csv")
    assert [int(r["evaluated"]) for r in iterations] == [100] * 7
    assert all(int(r["random"]) == 10 for r in iterations[1:])
    assert sum(int(r["good"]) for r in iterations[3:]) / 400 > 3 * random_rate


def test_vegas_candidates_are_denser_where_the_good_points_lie() -> None:
    from bsmart.scans.MLScanner.loop import vegas_candidates
    rng = np.random.default_rng(1)
    known = rng.random((400, 3))
    good = np.linalg.norm(known - 0.3, axis=1) < 0.2
    drawn = vegas_candidates(known, good, 4000, 100, rng)
    assert drawn.shape == (4000, 3) and drawn.min() >= 0 and drawn.max() <= 1
    inside = np.mean(np.linalg.norm(drawn - 0.3, axis=1) < 0.2)
    assert inside > 4 * good.mean()  # uniform candidates would land there as often as the known points do
    assert np.mean(np.linalg.norm(drawn - 0.3, axis=1) > 0.5) > 0.05  # and the rest of the cube is still drawn
    assert vegas_candidates(known, np.zeros(400, bool), 10, 100, rng).shape == (0, 3)
