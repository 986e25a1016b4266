"""The active-learning loop shared by every MLScanner method (arXiv:2207.09959).

1. Seed: ``Bootstrap_Points`` uniform points (evaluated) plus the points of ``InitCSV`` (not
   re-evaluated).
2. Train the method's model on every point known so far (valid and invalid), once the known
   points have grown by ``Retrain_Growth`` (10 %) since its last training: every iteration while
   fewer than ten batches are known, then about every tenth of the run, so that training costs
   a bounded time per evaluation in runs of 100 000 (the crowding and the SMOTE and local
   candidates use every good point found at once).
3. Propose a batch of ``Points_Per_Iteration`` (with ``Growing_Batches``, of ``Retrain_Growth``
   of the known points where that is fewer, at least ``Bootstrap_Points``: the model is retrained
   after each batch while it is still learning): a share ``Random_Fraction`` of fresh uniform
   points; the rest is chosen by the model from ``Candidate_Points`` uniform candidates (a share
   ``Vegas_Fraction`` of them drawn through a vegas map adapted to the good points), as many
   SMOTE candidates interpolated between known good points and, with ``Local_Candidates``, as
   many random walks from known good points over the region the model believes good
   (``Local_Steps`` Metropolis steps of about the crowding radius). Of the model's share,
   ``1 - Exploration`` are its best-scored candidates (efficiency; while fewer good points are
   known than the model picks, the best-scored SMOTE ones, as in MLscanner), and ``Exploration``
   are spread over the region it believes good: picked one at a time by probability of good
   divided by how crowded with known good and already picked points their neighbourhood is
   (coverage). A point already evaluated (or in InitCSV) is never proposed again.
4. Evaluate through the run manager, record the iteration, repeat.

Stops when ``Setup.Points`` good points were evaluated by this run (bootstrap included, InitCSV
points not counted: they are not evaluated here), as in BSMArt. Two limits make sure it ends:
``Max_Evaluations`` (by default 100 evaluations per good point asked for) and, when set,
``Iterations``; a run that either limit stops before ``Points`` says so in a warning and in
summary.json (``short_of_target``), and ``bsmart run`` exits with status 3.

A method is a subclass that sets ``kind`` and ``learner``; nothing here depends on which.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable, ClassVar

import numpy as np
import vegas

from bsmart.errors import ConfigError, ScanError
from bsmart.likelihood import as_float, is_good
from bsmart.points import EvaluatedPoint
from bsmart.results import read_points_csv
from bsmart.scans.base import Scan
from bsmart.scans.MLScanner.models import Adapter, LearnerFactory, torch_device
from bsmart.settings import Setting, Settings

BUDGET_PER_GOOD_POINT = 100  # the default Max_Evaluations: a scan below 1 % efficiency is not worth going on

CITATION = ("A. Hammad, M. Park, R. Ramos, P. Saha, 'Exploration of parameter spaces assisted by machine "
            "learning', arXiv:2207.09959")

# Settings every method reads (BSMArt's names; Networks block unless said otherwise).
LOOP_SETTINGS: dict[str, Setting] = {
    "Points": Setting(1000, int, "stop when this many good points were evaluated by this run (InitCSV "
                                 "points not counted)", minimum=1),
    "InitCSV": Setting(None, str, "CSV of known points (variable columns + NLL and/or the observables' "
                                  "columns, e.g. a good_points.csv) added to the training data, not "
                                  "re-evaluated"),
    "Device": Setting("auto", str, "torch device for the DNN methods", choices=("auto", "cpu", "cuda")),
    "Iterations": Setting(0, int, "stop after this many model iterations even when fewer than Points good points "
                                  "were found (0: no limit; BSMArt reads this key and ignores it)",
                          block="Networks", minimum=0),
    "Max_Evaluations": Setting(0, int, f"stop after this many evaluations even when fewer than Points good points "
                                       f"were found (0: {BUDGET_PER_GOOD_POINT} x Points + Bootstrap_Points, so that "
                                       f"a scan whose good region the model cannot find still ends)",
                               block="Networks", minimum=0),
    "Bootstrap_Points": Setting(100, int, "uniform points evaluated before the first training", block="Networks",
                                minimum=1, maximum=10 ** 6),
    "Candidate_Points": Setting(500, int, "uniform candidates scored per iteration (as many SMOTE candidates "
                                          "are added); thousands are cheap and improve efficiency",
                                block="Networks", minimum=1, maximum=10 ** 6),
    "Points_Per_Iteration": Setting(300, int, "points evaluated per iteration", block="Networks", minimum=1,
                                    maximum=10 ** 6),
    "Growing_Batches": Setting(False, bool, "batches start at Bootstrap_Points (or the parallel workers, where "
                                            "more) and grow with the known points, by Retrain_Growth of them, up to "
                                            "Points_Per_Iteration: the model is retrained after each, so a poor model "
                                            "picks fewer points before it learns from them (the DNN methods' default; "
                                            "false: every batch has Points_Per_Iteration, as BSMArt)",
                               block="Networks"),
    "Random_Fraction": Setting(0.2, float, "share of each batch drawn uniformly at random (exploration)",
                               block="Networks", minimum=0.0, maximum=1.0),
    "Vegas_Fraction": Setting(0.0, float, "share of the uniform candidates drawn instead through a vegas map "
                                          "adapted to where the good points known lie (DLScanner's way)",
                              block="Networks", minimum=0.0, maximum=1.0),
    "Vegas_Increments": Setting(100, int, "increments per variable of that map", block="Networks", minimum=2,
                                maximum=10_000),
    "Local_Candidates": Setting(False, bool, "also score as many candidates that walk from known good points "
                                             "(Local_Steps steps of about the crowding radius) over the region the "
                                             "model believes good (lets a model that resolves the region, e.g. "
                                             "observables regressors, spread along it; a model that cannot would "
                                             "pick them off the region; none when Diversity is 0)",
                                block="Networks"),
    "Local_Steps": Setting(1, int, "steps of each local candidate's walk over the region the model believes good "
                                   "(Metropolis on its probability of good)", block="Networks", minimum=1,
                           maximum=1000),
    "Local_Walkers": Setting(0, int, "with Local_Candidates, at most this many walkers per model pick of a batch "
                                     "(0: Candidate_Points walkers); each costs Local_Steps predictions",
                             block="Networks", minimum=0),
    "Kinitial": Setting(5, int, "SMOTE neighbours (shrunk when fewer good points are known)", block="Networks",
                        minimum=1),
    "Exploration": Setting(0.5, float, "share of the model's picks spread over the region it believes good, "
                                       "away from known good points (coverage); the rest are its best-ranked "
                                       "candidates (efficiency); see docs/mlscanner.md",
                           block="Networks", minimum=0.0, maximum=1.0),
    "Diversity": Setting(0.7, float, "neighbourhood radius for crowding, in units of the spacing of Points "
                                     "points spread over the good volume (0: no crowding term)",
                         block="Networks", minimum=0.0),
    "Threshold_Value": Setting(1.0, float, "a point is good when its NLL is below this (Setup.Threshold wins)",
                               block="Networks"),
    "Validity_Share": Setting(0.5, float, "with Target \"Observables\", once a code has failed: a candidate counts as "
                                          "failing (never picked) unless at least this share of its 5 nearest "
                                          "evaluated points were valid (higher: fewer evaluations lost to failing "
                                          "codes, fewer picks next to where they fail)",
                              block="Networks", minimum=0.0, maximum=1.0),
    "Retrain_Growth": Setting(0.1, float, "train the model again only once the known points have grown by this "
                                          "share since its last training (0: every iteration); a run of many "
                                          "batches then spends a bounded share of its time training",
                              block="Networks", minimum=0.0),
    "Verbose": Setting(False, bool, "log the model's training details", block="Networks"),
}

DNN_SETTINGS: dict[str, Setting] = {
    "Batch Size": Setting(500, int, "mini-batch size", block="Networks", minimum=1),
    "Neurons": Setting(100, int, "width of each of the 3 hidden layers", block="Networks", minimum=1),
    "Epochs": Setting(250, int, "maximum epochs per (re)training; early stopping usually ends sooner",
                      block="Networks", minimum=1),
    "LearningRate": Setting(1e-2, float, "AdamW learning rate", block="Networks", minimum=0.0),
}


REGRESSOR_SETTINGS: dict[str, Setting] = {
    "Target": Setting("NLL", str, "what the regressor learns: the NLL (BSMArt), or each used observable's value "
                                  "(one model per observable; the NLL is computed from the predictions)",
                      block="Networks", choices=("NLL", "Observables")),
}
# MLS_DNNR's and MLS_DNNC's defaults: one network per observable, every pick spread over the region
# it predicts good, among candidates walking there, in batches that grow while it learns
# (docs/mlscanner.md; the figures of each in benchmarks/README.md)
OBSERVABLE_NETWORK_DEFAULTS: dict[str, Any] = {"Target": "Observables", "Exploration": 1.0, "Local_Candidates": True,
                                               "Local_Steps": 30, "Local_Walkers": 10, "Growing_Batches": True}
# MLS_DNNC's: its network's soft labels are what lets it learn the sides of a window
DNN_CLASSIFIER_SETTINGS: dict[str, Setting] = {
    "Target": Setting("Good", str, "what the classifier learns: which points are good (BSMArt), or, per used "
                                   "observable, on which side of its window each point lies (one network per "
                                   "observable; the probability of good is that of lying inside every window)",
                      block="Networks", choices=("Good", "Observables")),
}


def forest_settings(estimators: int, max_depth: int, bagged: bool = False) -> dict[str, Setting]:
    """The tree ensembles' settings; ``bagged``: a random forest, each tree grown on a bootstrap sample."""
    settings = {
        "Estimators": Setting(estimators, int, "number of trees", block="Networks", minimum=1),
        "Max_Depth": Setting(max_depth, int, "maximum tree depth (0: unlimited)", block="Networks", minimum=0),
        "Min_Samples_Split": Setting(2, int, "minimum samples to split a node", block="Networks", minimum=2),
        "Min_Samples_Leaf": Setting(1, int, "minimum samples in a leaf", block="Networks", minimum=1),
    }
    if bagged:
        settings["Max_Samples"] = Setting(20_000, int, "each tree grows on a bootstrap sample of at most this many "
                                                       "known points, so that a long run's training time and model "
                                                       "memory stay bounded (0: all of them, as BSMArt)",
                                          block="Networks", minimum=0)
    return settings


def svr_settings(gamma: float) -> dict[str, Setting]:
    return {
        "C": Setting(100.0, float, "SVR regularisation", block="Networks", minimum=0.0),
        "Gamma": Setting(gamma, float, "kernel coefficient on unit-cube inputs (BSMArt's 0.1 was meant for "
                                      "raw inputs)", block="Networks", minimum=0.0),
        "Epsilon": Setting(0.1, float, "SVR epsilon, in units of the standardised target",
                           block="Networks", minimum=0.0),
    }


def method_meta(name: str, description: str, extra: dict[str, Setting], *, regressor: bool = False,
                defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """A method's metadata: the loop's settings, the regressors' and its own ``extra`` ones,
    with the default values in ``defaults`` replaced (a method's own best choices)."""
    settings = {**LOOP_SETTINGS, **(REGRESSOR_SETTINGS if regressor else {}), **extra}
    for key, value in (defaults or {}).items():
        settings[key] = dataclasses.replace(settings[key], default=value)
    return {"name": name, "description": description, "settings": settings, "citation": CITATION}


# -- SMOTE -----------------------------------------------------------------------------------

def smote_candidates(good: np.ndarray, n: int, k: int, seed: int) -> np.ndarray:
    """``n`` synthetic points interpolated between good points and their good neighbours:
    imbalanced-learn's SMOTE (the same points for the same seed: its draws, in its order), with
    the neighbours of only the good points drawn as bases. SMOTE's ``fit_resample`` searches the
    neighbours of every good point at every call: 0.39 s against 0.08 s here for 20 000 points
    from 80 000 good ones in 3-d, and in a run of 100 000 evaluations the largest part of the
    selection time (benchmarks/README.md).
    k shrinks to the number of good points - 1; fewer than two good points give nothing (there is
    no pair to interpolate)."""
    n_good = len(good)
    if n <= 0 or n_good < 2:
        return np.empty((0, good.shape[1] if good.ndim == 2 else 0))
    from scipy.spatial import cKDTree
    from sklearn.neighbors import NearestNeighbors

    k = max(1, min(k, n_good - 1))
    draws = np.random.RandomState(seed)  # imblearn's generator, drawn in its order
    base, neighbour = np.divmod(draws.randint(0, n_good * k, size=n), k)
    steps = draws.uniform(size=n)[:, np.newaxis]
    bases, row = np.unique(base, return_inverse=True)
    # as imblearn (sklearn's "auto"): a k-d tree up to 15 dimensions (scipy's, twice as fast as
    # sklearn's), all pairs beyond; column 0 is the base itself
    if good.shape[1] <= 15:
        nearest = cKDTree(good).query(good[bases], k=k + 1)[1]
    else:
        nearest = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(good).kneighbors(good[bases])[1]
    partners = nearest[row, neighbour + 1]
    return np.clip(good[base] + steps * (good[partners] - good[base]), 0.0, 1.0)


def vegas_candidates(known: np.ndarray, good: np.ndarray, n: int, increments: int,
                     rng: np.random.Generator) -> np.ndarray:
    """``n`` candidates drawn through a vegas map adapted to the known points weighted by being good
    (DLScanner, arXiv:2412.19675): denser where good points lie, still covering the whole cube."""
    if n == 0 or not good.any():
        return np.empty((0, known.shape[1]))
    grid = vegas.AdaptiveMap([[0.0, 1.0]] * known.shape[1], ninc=increments)
    grid.adapt_to_samples(known, good + 1e-3, nitn=5)  # the floor keeps every increment finite
    y = rng.random((n, known.shape[1]))
    x, jac = np.empty_like(y), np.empty(n)
    grid.map(y, x, jac)
    return x


def local_candidates(good: np.ndarray, n: int, scale: float, rng: np.random.Generator,
                     probability: Callable[[np.ndarray], np.ndarray] | None = None, steps: int = 1) -> np.ndarray:
    """Up to ``n`` points reached by random walks from known good points: ``steps`` Gaussian
    steps, each of length about ``scale`` (per coordinate scale / sqrt(dim)), a step accepted
    with probability min(1, p(new) / p(old)) under the model's probability of good ``p``
    (Metropolis), and never out of the unit cube. Without ``probability`` one step, always taken.

    SMOTE only fills in between known good points; these walks also reach past the edge of the
    known part of the region and go on along the region the model believes good, so that the
    batch can spread over all of it (in many dimensions uniform candidates almost never land on a
    thin region, and one step from a known point stays beside it)."""
    if n <= 0 or len(good) == 0 or scale <= 0:
        return np.empty((0, good.shape[1] if good.ndim == 2 else 0))
    dim = good.shape[1]
    walkers = good[rng.integers(len(good), size=n)]
    weight = probability(walkers) if probability is not None else np.ones(n)
    moved = np.zeros(n, bool)
    for _ in range(max(1, steps)):
        trial = walkers + rng.normal(0.0, scale / math.sqrt(dim), walkers.shape)
        inside = np.all((trial >= 0.0) & (trial <= 1.0), axis=1)
        trial_weight = np.zeros(n)
        if probability is None:
            trial_weight[inside] = 1.0
        elif inside.any():
            trial_weight[inside] = probability(trial[inside])
        accept = inside & (rng.random(n) * np.maximum(weight, 1e-300) < trial_weight)
        walkers[accept], weight[accept] = trial[accept], trial_weight[accept]
        moved |= accept
    return walkers[moved]


# -- selection -------------------------------------------------------------------------------

# a neighbourhood of this many points counts as full: where a regressor piles its picks, a
# candidate can have thousands of known good points within the radius, and counting them all
# was most of the selection time of a long run (0.19 s against 0.02 s for 32 000 candidates)
CROWD_CAP = 32


def crowding(points: np.ndarray, anchors: Any, radius: float, cap: int = CROWD_CAP) -> np.ndarray:
    """How many anchors (points, a k-d tree of them, or None: none) lie within ``radius`` of each
    point, counted up to ``cap``: a k-d tree of the anchors answers in about (points + anchors)
    log(anchors) steps, where comparing every pair took points x anchors (minutes per batch with
    50 000 known good points)."""
    from scipy.spatial import cKDTree

    if anchors is not None and not isinstance(anchors, cKDTree):
        anchors = cKDTree(anchors) if len(anchors) else None
    if len(points) == 0 or anchors is None or anchors.n == 0:
        return np.zeros(len(points))
    distance, _ = anchors.query(points, k=min(cap, anchors.n), distance_upper_bound=radius)
    return np.isfinite(distance.reshape(len(points), -1)).sum(axis=1).astype(float)


# spread weighs candidates by probability^2: enough to keep clearly bad candidates out of the batch
SHARPNESS = 2.0


def spread(weights: np.ndarray, n: int, pool: np.ndarray, anchors: np.ndarray, radius: float,
           sharpness: float = SHARPNESS) -> np.ndarray:
    """Indices of ``n`` pool points picked one at a time, each the one with the largest
    weight^sharpness / (1 + points within ``radius``), counting the known good points
    (``anchors``) and the points picked before it, up to ``CROWD_CAP``.

    Ranking by weight alone piles the batch onto the part of the good region the model is
    surest of, which is where good points are already known. Discounting each candidate by how
    crowded its neighbourhood is moves the picks to the parts of the region that the model
    believes good but that hold few points, so the found points spread over the whole region.
    Deterministic: ties go to the larger weight, then to the lower index.

    Lazy: a candidate's value is at most its weight, so the crowding is counted only for the
    candidates of largest weight, more of them only while one not counted yet could beat the
    best counted one (with the tie rule, only a strictly larger weight can); the picks are those
    of counting every candidate (most of a large pool is far from the good region, and counting
    it was most of a long run's selection time; a regressor's weights are 1 wherever it predicts
    good, and a rule that let an uncounted equal weight win counted all of those).
    """
    n = min(n, len(pool))
    if n <= 0:
        return np.empty(0, int)
    w = np.clip(np.nan_to_num(weights, nan=0.0), 0.0, None) ** sharpness
    order = np.argsort(-w, kind="stable")  # work in this order: ties go to the first
    if radius <= 0:
        return order[:n]
    from scipy.spatial import cKDTree

    w, pool = w[order], pool[order]
    known = cKDTree(anchors) if len(anchors) else None
    crowd = np.empty(len(pool))  # counted for pool[:counted]
    # weight / (1 + crowd) of pool[:counted], -1 once picked: updated where it changes, not
    # recomputed for every pick
    value = np.empty(len(pool))
    neighbours = cKDTree(pool)  # each pick crowds the pool points near it
    picked = np.empty(n, int)
    counted, chunk = 0, max(4 * n, 1000)
    for k in range(n):
        while True:
            i = int(np.argmax(value[:counted])) if counted else -1
            if counted == len(pool) or i >= 0 and value[i] >= w[counted]:
                break
            new = slice(counted, min(counted + chunk, len(pool)))
            crowd[new] = np.minimum(crowding(pool[new], known, radius) + crowding(pool[new], pool[picked[:k]], radius),
                                    CROWD_CAP)
            value[new] = w[new] / (1.0 + crowd[new])
            counted, chunk = new.stop, 2 * chunk
        picked[k] = i
        value[i] = -1.0
        near = np.asarray(neighbours.query_ball_point(pool[i], radius), int)
        near = near[(near < counted) & (value[near] >= 0)]  # the uncounted get theirs when counted
        crowd[near] = np.minimum(crowd[near] + 1, CROWD_CAP)
        value[near] = w[near] / (1.0 + crowd[near])
    return order[picked]


def exclusion_radius(good_fraction: float, n_points: int, dim: int, diversity: float) -> float:
    """Spacing that ``n_points`` would have if spread evenly over the good volume (a fraction
    of the unit cube), times ``diversity``."""
    return diversity * (max(good_fraction, 1e-9) / max(n_points, 1)) ** (1.0 / dim)


# -- the scan --------------------------------------------------------------------------------

class MLScan(Scan):
    """Base of the MLS_* scans; subclasses set ``kind`` and ``learner`` only."""

    kind: ClassVar[str]
    learner: ClassVar[Callable[..., Any]]
    result_column = True  # BSMArt's MLScanner scans write their NLL as Result
    target: ClassVar[str] = "points"  # the stop that is the goal (BSMArt's MLS: "iterations"); others are short

    @classmethod
    def check(cls, config: Any, settings: Any) -> None:
        super().check(config, settings)
        if settings.device == "cuda":  # refused now, not after the bootstrap points were evaluated
            torch_device("cuda")
        if settings.get("Target") == "Observables" and not any(o.used for o in config.observables.values()):
            bsmarts = "Good" if cls.kind == "classifier" else "NLL"  # BSMArt's target, which needs none
            raise ConfigError(f"Target \"Observables\" needs at least one observable with a SCALING other than OFF; "
                              f"set \"Target\": \"{bsmarts}\" to learn without one", where="Networks.Target")

    def initialise(self) -> None:
        s = self.settings
        threshold = self.threshold if self.threshold is not None else s.threshold_value
        seeds = self.rng.integers(0, 2 ** 31 - 1, size=2)
        self.model_seed, self.smote_seed = int(seeds[0]), int(seeds[1])
        factory: LearnerFactory = type(self).learner
        # the used observables, in the order of the columns of self.values
        self.observables = {n: o for n, o in self.config.observables.items() if o.used}
        learned = None
        if s.get("Target") == "Observables":
            learned = self.observables
        self.model = Adapter(factory(s, self.model_seed, s.device, self.config.cores), self.kind, threshold, learned,
                             s.validity_share)
        dim = self.space.dim
        if dim == 0:
            raise ConfigError("an MLScanner scan needs at least one free variable", where="Variables")
        self.X = np.empty((0, dim))
        self.nll = np.empty(0)
        self.values = np.empty((0, len(self.observables)))
        self.valid = np.empty(0, bool)
        self.is_good = np.empty(0, bool)
        self.seen: set[bytes] = set()
        self.good_found = 0  # good points evaluated by this run
        self.random_total = self.random_good = 0  # uniformly drawn points (bootstrap + random share)
        self.seconds = {"training": 0.0, "scoring": 0.0, "codes": 0.0}
        self.result["citation"] = CITATION
        if s.initcsv:
            self._read_init_csv(s.initcsv)

    def _keys(self, unit: np.ndarray) -> list[bytes]:
        """Points as the codes see them: two points that print alike in an SLHA file are one."""
        rounded = np.ascontiguousarray(self.space.code_precision(self.space.to_physical(unit)), dtype=float)
        # each row's bytes at once (a void scalar per row), not a loop of row.tobytes(): with
        # _unseen's dict, 27 against 34 ms for 40 000 candidates
        return rounded.view(np.dtype((np.void, rounded.itemsize * rounded.shape[1]))).ravel().tolist()

    def _remember(self, unit: np.ndarray, nll: np.ndarray, valid: np.ndarray, good: np.ndarray,
                  values: np.ndarray) -> None:
        self.X = np.vstack([self.X, unit])
        self.nll = np.r_[self.nll, nll]
        self.valid = np.r_[self.valid, valid]
        self.values = np.vstack([self.values, values.reshape(len(unit), len(self.observables))])
        self.is_good = np.r_[self.is_good, good]
        self.seen.update(self._keys(unit))

    def _read_init_csv(self, name: str) -> None:
        path = self.config.resolve_path(name)
        table = read_points_csv(path, self.space, need_nll=True, where="Setup.InitCSV",
                                observables=self.config.observables)
        self.log.info("InitCSV: %s: %s", path, table.report())
        nll = np.asarray(table.nll, dtype=float)
        missing = np.full(len(nll), np.nan)  # an observable without a column in the file
        values = np.array([table.values.get(n, missing) for n in self.observables]).T
        self._remember(self.space.to_unit(table.physical), nll, table.valid,
                       is_good(nll, table.valid, self.model.threshold), values)
        self.result["initcsv_points"] = len(nll)
        self.result["initcsv_good"] = int(self.is_good.sum())

    def _unseen(self, unit: np.ndarray) -> np.ndarray:
        """Drop rows already evaluated or repeated within ``unit``."""
        keys = self._keys(unit)
        first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))  # each key's first row
        return unit[sorted(i for key, i in first.items() if key not in self.seen)]

    def _evaluate(self, unit: np.ndarray, iteration: int) -> list[EvaluatedPoint]:
        start = time.perf_counter()
        points = self.evaluate(self.space.to_physical(unit), iteration)
        self.seconds["codes"] += time.perf_counter() - start
        nll = np.array([p.nll for p in points], dtype=float)  # a failed point's is likelihood.failed_nll
        good = np.array([p.good for p in points], dtype=bool)
        values = np.array([[as_float(p.observables.get(n)) if p.valid else np.nan for n in self.observables]
                           for p in points], dtype=float)
        self._remember(unit, nll, np.array([p.valid for p in points], dtype=bool), good, values)
        self.good_found += int(good.sum())
        return points

    def _count_random(self, points: list[EvaluatedPoint]) -> None:
        self.random_total += len(points)
        self.random_good += sum(p.good for p in points)

    @property
    def max_evaluations(self) -> int:
        s = self.settings
        return s.max_evaluations or BUDGET_PER_GOOD_POINT * s.points + s.bootstrap_points

    def _budget(self) -> int:
        """Evaluations still allowed."""
        return self.max_evaluations - self.runner.evaluated

    def _done(self, iteration: int) -> str | None:
        if self.target == "points" and self.good_found >= self.settings.points:
            return "points"
        if self.settings.iterations and iteration >= self.settings.iterations:
            return "iterations"
        if self._budget() <= 0:
            return "max_evaluations"
        return None

    def _batch_size(self) -> int:
        """Points_Per_Iteration; with Growing_Batches, where it is fewer, the growth of the known points
        that calls for a retraining (Retrain_Growth of them), at least Bootstrap_Points and the
        parallel workers. A network needs several hundred points before its picks are good, and
        a batch it picks before then is mostly wasted (figures: benchmarks/README.md)."""
        s = self.settings
        if not (s.growing_batches and s.retrain_growth):
            return s.points_per_iteration
        grown = math.ceil(s.retrain_growth * len(self.X))
        return min(s.points_per_iteration, max(s.bootstrap_points, self.config.cores, grown))

    def _record(self, iteration: int, points: list[EvaluatedPoint], parts: dict[str, int],
                metrics: dict[str, float], seconds: dict[str, float]) -> None:
        n = len(points)
        good = sum(p.good for p in points)
        record = {
            "iteration": iteration, "evaluated": n, "valid": sum(p.valid for p in points), "good": good,
            "efficiency": round(good / n, 6) if n else math.nan,
            "from_model": parts.get("model", 0), "from_smote": parts.get("smote", 0),
            "random": parts.get("random", 0), "good_from_model": parts.get("good_model", 0),
            "accuracy": metrics.get("accuracy", math.nan), "mae_log_nll": metrics.get("mae_log_nll", math.nan),
            **self.extra_metrics(),
            "train_seconds": round(seconds.get("training", 0.0), 4),
            "score_seconds": round(seconds.get("scoring", 0.0), 4),
            "code_seconds": round(seconds.get("codes", 0.0), 4),
            "total_evaluated": self.runner.evaluated, "total_good": self.good_found,
        }
        self.record_iteration(record)
        self.log.info("iteration %d: %d evaluated, %d good (%.1f%%), %d good in total", iteration, n, good,
                      100.0 * good / max(1, n), self.good_found)

    def extra_metrics(self) -> dict[str, float]:
        """A scan's own columns of iterations.csv (AL: accuracy on its TestCSV and Benchmark)."""
        return {}

    def _fit(self) -> float:
        start = time.perf_counter()
        self.model.fit(self.X, self.nll, self.is_good, self.values, self.valid)
        for stem, learner in self.model.learners().items() if self.settings.verbose else ():
            if getattr(learner, "last_fit", None):  # a network's epochs and losses (with Target "Observables", each's)
                self.log.info("training %s: %s", stem, learner.last_fit)
        return time.perf_counter() - start

    # -- proposal ------------------------------------------------------------------------
    def propose(self, n: int, iteration: int) -> tuple[np.ndarray, dict[str, int]]:
        """A batch of at most ``n`` unseen unit-cube points and how many came from where."""
        s = self.settings
        n_random = int(round(n * s.random_fraction))
        n_model = n - n_random
        good = self.X[self.is_good]
        # the good volume, estimated from the uniformly drawn points only (model-independent)
        good_fraction = (self.random_good + 1) / (self.random_total + 2)
        radius = exclusion_radius(good_fraction, max(s.points, len(good) + n_model), self.space.dim, s.diversity)
        n_vegas = int(round(s.candidate_points * s.vegas_fraction))
        uniform = self._unseen(np.vstack([self.space.sample_unit(self.rng, s.candidate_points - n_vegas),
                                          vegas_candidates(self.X, self.is_good, n_vegas, s.vegas_increments,
                                                           self.rng)]))
        smote = self._unseen(smote_candidates(good, s.candidate_points, s.kinitial,
                                              self.smote_seed + iteration))
        n_walkers = min(s.candidate_points, s.local_walkers * n_model) if s.local_walkers else s.candidate_points
        local = self._unseen(local_candidates(good, n_walkers if s.local_candidates else 0, radius,
                                              self.rng, lambda x: self.model.probability(self.model.score(x)),
                                              s.local_steps))
        pool = np.vstack([uniform, smote, local])
        from_smote = np.r_[np.zeros(len(uniform), bool), np.ones(len(smote), bool), np.zeros(len(local), bool)]
        scores = self.model.score(pool)
        # efficiency: the best-scored candidates (while few good points are known the model is
        # unsure, and interpolating between them is the better bet: the best-scored SMOTE ones,
        # as in MLscanner); coverage: the rest spread over the region the model believes good
        n_best = int(round(n_model * (1 - s.exploration)))
        if 0 < len(good) < n_model:
            best = np.flatnonzero(from_smote)[np.argsort(-scores[from_smote], kind="stable")[:n_best]]
        else:
            best = np.argsort(-scores, kind="stable")[:n_best]
        rest = np.setdiff1d(np.arange(len(pool)), best)
        spread_picks = rest[spread(self.model.probability(scores[rest]), n_model - len(best), pool[rest],
                                   np.vstack([good, pool[best]]), radius)]
        picks = np.r_[best, spread_picks].astype(int)
        random = self._unseen(self.space.sample_unit(self.rng, n - len(picks)))
        batch = self._unseen(np.vstack([pool[picks], random]))
        n_smote = int(from_smote[picks].sum())
        return batch, {"model": len(picks) - n_smote, "smote": n_smote, "random": len(batch) - len(picks)}

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> None:
        s = self.settings
        n_boot = min(s.bootstrap_points, self._budget())
        boot = self._evaluate(self._unseen(self.space.sample_unit(self.rng, n_boot)), 0)
        self._count_random(boot)
        self._record(0, boot, {"random": len(boot)}, {}, {"codes": self.seconds["codes"]})
        if not self.valid.any():
            raise ScanError(f"no valid point among the {len(boot)} bootstrap points"
                            f"{' and the InitCSV points' if s.initcsv else ''}: the codes fail everywhere "
                            f"(see the error column of all_points.csv); nothing to learn from")
        iteration, trained_on = 0, 0  # points known at the model's last training
        while not (stopped := self._done(iteration)):
            iteration += 1
            train = 0.0
            if not trained_on or len(self.X) >= trained_on * (1 + s.retrain_growth):
                train, trained_on = self._fit(), len(self.X)
            start = time.perf_counter()
            batch, parts = self.propose(min(self._batch_size(), self._budget()), iteration)
            score = time.perf_counter() - start
            if not len(batch):  # a space with few distinct points (at the codes' precision), all evaluated
                stopped = "no_new_points"
                break
            codes_before = self.seconds["codes"]
            points = self._evaluate(batch, iteration)
            metrics = self.model.metrics(batch, self.nll[-len(batch):], self.is_good[-len(batch):])
            n_chosen = parts["model"] + parts["smote"]
            parts["good_model"] = sum(p.good for p in points[:n_chosen])
            self._count_random(points[n_chosen:])
            self.seconds["training"] += train
            self.seconds["scoring"] += score
            self._record(iteration, points, parts, metrics,
                         {"training": train, "scoring": score, "codes": self.seconds["codes"] - codes_before})
        # the saved model has seen every point, so `bsmart predict` uses all the information
        if len(self.X) > trained_on:
            self.seconds["training"] += self._fit()
        if stopped != self.target:
            self.result["short_of_target"] = f"{self._shortfall()}: {self._stop_reason(stopped)}"
        self.result.update({"stopped_by": stopped, "good_found": self.good_found,
                            "seconds_training": round(self.seconds["training"], 3),
                            "seconds_scoring": round(self.seconds["scoring"], 3)})

    def progress(self) -> tuple[int, int, str]:
        return self.good_found, self.settings.points, "good"

    def _shortfall(self) -> str:
        return f"{self.good_found} of the {self.settings.points} good points asked for (Setup.Points)"

    def _stop_reason(self, stopped: str) -> str:
        s = self.settings
        if stopped == "no_new_points":
            return "every candidate proposed had been evaluated already (the space has few distinct points)"
        limit = f"Networks.Iterations = {s.iterations}" if stopped == "iterations" else \
            f"Networks.Max_Evaluations = {self.max_evaluations}" + ("" if s.max_evaluations else " (the default)")
        return f"stopped by {limit}; raise it and run again with --resume to go on"

    def postprocess(self) -> None:
        if self.model.fitted:
            folder = self.store.model_dir()
            self.model.save(folder, self.space, self.config.scan_name)
            self.result["model"] = str(folder)


def translated_settings(values: dict[str, Any]) -> Settings:
    """The loop's settings (its and the networks' defaults, with ``values``) for a BSMArt scan whose
    own keys say the same things differently (MLS, AL)."""
    defaults = {key: setting.default for key, setting in {**LOOP_SETTINGS, **DNN_SETTINGS}.items()}
    return Settings({**defaults, **values})


class TranslatedScan(MLScan):
    """A BSMArt scan run by this loop from its own keys (``translate`` gives the loop's settings),
    that ends at its evaluation or iteration budget rather than at a number of good points."""

    translate: ClassVar[Callable[[Settings], Settings]]

    def __init__(self, config: Any, settings: Settings, *args: Any, **kwargs: Any):
        super().__init__(config, type(self).translate(settings), *args, **kwargs)

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.settings.max_evaluations, "evaluations"

    def _shortfall(self) -> str:
        return f"{self.runner.evaluated} of the {self.settings.max_evaluations} evaluations asked for"
