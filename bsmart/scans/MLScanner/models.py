"""Model adapters for the MLScanner loop: one interface for every method.

An adapter has ``fit(X_unit, nll)`` and ``score(X_unit) -> array`` where a higher score means
"more likely good" (the probability of good for classifiers, minus the predicted transformed
NLL for regressors), so the loop never branches on the method. Inputs are points of the unit
cube of the free variables. Regressors learn ``sign(NLL) log1p(|NLL|)`` standardised, so that
failures (NLL ~ 710 per observable) do not dominate the squared error while negative NLLs (BIAS,
EXPUSER) keep their order; or, with
``Target: "Observables"``, one model per observable learns its value (smooth where the NLL has
a narrow valley) and the NLL of a candidate is computed from the predicted values with the
configured likelihoods.

torch is imported lazily (inside the functions that need it) so that ``bsmart list`` stays fast.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from bsmart.errors import ConfigError
from bsmart.likelihood import MAX_LOSS, Observable, failed_nll, is_good
from bsmart.space import Space, Variable

MODEL_JSON = "model.json"
NLL_CAP = 1e6  # several capped observables still fit; anything larger is a failure anyway
NLL_TRANSFORM = "sign(NLL) log1p(|NLL|)"  # what target_mean/target_std of a saved model refer to


# -- targets -------------------------------------------------------------------------------

@dataclass
class TargetScaler:
    """sign(NLL) log1p(|NLL|), standardised: strictly monotone over every NLL, negative ones
    included, so rankings are those of the NLL, while failures (hundreds) stay a few units away."""

    mean: float = 0.0
    std: float = 1.0

    @staticmethod
    def _log(nll: np.ndarray) -> np.ndarray:
        nll = np.clip(np.asarray(nll, dtype=float), -NLL_CAP, NLL_CAP)
        return np.sign(nll) * np.log1p(np.abs(nll))

    def fit(self, nll: np.ndarray) -> "TargetScaler":
        if not np.isfinite(nll).all():  # failed points weigh likelihood.failed_nll, set by the caller
            raise ValueError("NLL targets must be finite")
        t = self._log(nll)
        self.mean = float(t.mean()) if len(t) else 0.0
        self.std = float(t.std()) if len(t) > 1 and t.std() > 1e-12 else 1.0
        return self

    def transform(self, nll: np.ndarray) -> np.ndarray:
        return (self._log(nll) - self.mean) / self.std

    def inverse(self, z: np.ndarray) -> np.ndarray:
        t = np.asarray(z) * self.std + self.mean
        return np.sign(t) * np.expm1(np.minimum(np.abs(t), 700.0))


@dataclass
class ValueScaler:
    """One observable's regression target: its value, or its log when every value seen is
    positive and they span more than a factor 10 (masses, cross sections) and ``log_allowed``,
    standardised; and ``error``, the root-mean-square error of the learner on its held-out points
    in these standardised units (0: not known)."""

    log: bool = False
    mean: float = 0.0
    std: float = 1.0
    error: float = 0.0

    @classmethod
    def fitted(cls, values: np.ndarray, log_allowed: bool = True) -> "ValueScaler":
        log = bool(log_allowed and len(values) and values.min() > 0 and values.max() > 10 * values.min())
        t = np.log(values) if log else values
        std = float(t.std()) if len(t) > 1 and t.std() > 1e-12 else 1.0
        return cls(log, float(t.mean()) if len(t) else 0.0, std)

    @classmethod
    def of_observable(cls, obs: Observable, threshold: float, values: np.ndarray) -> "ValueScaler":
        """How an observable's network learns its values (a regressor's target, the scale of a
        classifier's side labels): their log where allowed, but not of a window about 0."""
        return cls.fitted(values, log_allowed=not window_around_zero(obs, threshold, values))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return ((np.log(values) if self.log else values) - self.mean) / self.std

    def inverse(self, z: np.ndarray) -> np.ndarray:
        t = np.asarray(z) * self.std + self.mean
        return np.exp(np.clip(t, -700, 700)) if self.log else t

    def spread(self, values: np.ndarray) -> np.ndarray | None:
        """The learner's error in the observable's units at each of its predicted ``values`` (to
        first order in the error for a log target), or None when it is not known.

        Scoring a prediction with its likelihood widened by this error (``Observable.losses``)
        is what lets a network that has learnt little, whose error is about the spread of the
        values, call a wide region possibly good, and the region sharpen to the window as the
        error shrinks; a guess as far off as the window is narrow otherwise weighs nothing."""
        if self.error <= 0:
            return None
        return self.error * self.std * (values if self.log else np.ones_like(values))


def window_around_zero(obs: Observable, threshold: float, values: np.ndarray) -> bool:
    """Whether the observable's window holds 0 and ends on both sides within ten times the values
    seen: a difference or a distance meant to vanish (GAUSS about 0). Its log would stretch the
    window down to -inf, and every zero of the observable (a distance's whole surface) would be a
    valley too deep to learn where few points are known: on two disjoint shells the regressors
    then rarely found the second (benchmarks/README.md)."""
    reach = 10.0 * float(np.max(np.abs(values))) if len(values) else 1.0
    loss = obs.losses(np.array([0.0, -reach, reach]))
    return bool(loss[0] < threshold and loss[1] >= threshold and loss[2] >= threshold)


# Side labels: a window's edges at 1/2 +- INSIDE_HALF_WIDTH (or nearer 1/2: see SideLabels.fitted),
# the median outside value of a side at logit +- OUTSIDE_LOGIT; the window looked for over
# +- WINDOW_REACH standard deviations of the learnt values, at WINDOW_GRID points; SIDE_LABELS
# names the scheme in model.json (a model saved with another is refused)
INSIDE_HALF_WIDTH, OUTSIDE_LOGIT = 0.125, 2.0
EDGE_LOGIT = math.log((0.5 + INSIDE_HALF_WIDTH) / (0.5 - INSIDE_HALF_WIDTH))
WINDOW_REACH, WINDOW_GRID, MIN_SCALE = 50.0, 20_001, 1e-3
SIDE_LABELS = "logistic in the learnt value about the window's middle: edges at 1/2 +- 1/8, outside median at +-2"


@dataclass
class SideLabels:
    """What a classifier's side labels of one observable mean: a value inside the observable's
    window is labelled within [``low``, ``high``] (about 1/2), and ``error`` is the side network's
    root-mean-square error on its held-out points, in label units (0: none were held out)."""

    low: float = 0.5 - INSIDE_HALF_WIDTH
    high: float = 0.5 + INSIDE_HALF_WIDTH
    error: float = 0.0

    @classmethod
    def fitted(cls, obs: Observable, threshold: float, values: np.ndarray) -> tuple["SideLabels", np.ndarray]:
        """The labels of ``values`` and their band: the logistic function of the value as a
        regressor learns it (``ValueScaler``: standardised, its log where that is allowed), about
        the middle of the window, on each side on the scale of the window's half-width (its edges
        at 1/2 +- INSIDE_HALF_WIDTH) or, where wider, of the outside values' median distance from
        the middle (at logit +- OUTSIDE_LOGIT). The window is where the loss is below the
        threshold over the values seen and a grid of WINDOW_REACH standard deviations either
        side (the hull of it, within the values seen where they enter it); a window no value
        reaches has its middle at the value of least loss seen, and the values within
        logit +- EDGE_LOGIT of it count as inside."""
        scaler = ValueScaler.of_observable(obs, threshold, values)
        t = scaler.transform(values)
        grid = np.r_[np.linspace(-WINDOW_REACH, WINDOW_REACH, WINDOW_GRID), t]
        loss = obs.losses(scaler.inverse(grid))
        inside = loss < threshold
        if inside.any():
            low, high = grid[inside].min(), grid[inside].max()
            low = min(t.min(), high) if low <= -WINDOW_REACH else low  # open below: inside down to the values seen
            high = max(t.max(), low) if high >= WINDOW_REACH else high
            # only the part of the window the values seen enter: a distance meant to vanish is
            # never negative, and its band would hold only the labels above 1/2
            low = max(low, t.min()) if t.min() < high else low
            high = min(high, t.max()) if t.max() > low else high
        else:  # no value reaches the window: the labels steer towards the least loss seen
            low = high = t[np.argmin(loss[WINDOW_GRID:])]
        middle, half = (low + high) / 2, (high - low) / 2
        logit, band = np.zeros(len(t)), []
        for sign in (-1.0, 1.0):
            side = sign * (t - middle) > 0
            outside = side & (np.abs(t - middle) > half)
            scale = max(half / EDGE_LOGIT, MIN_SCALE)
            if outside.any():  # unsaturated labels: a network learns little from labels all near 0 or 1
                scale = max(scale, float(np.median(np.abs(t[outside] - middle))) / OUTSIDE_LOGIT)
            logit[side] = (t[side] - middle) / scale
            band.append(float(_sigmoid(sign * (half / scale if inside.any() else EDGE_LOGIT))))
        return cls(band[0], band[1]), _sigmoid(logit)


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


# -- torch MLP -----------------------------------------------------------------------------

def torch_device(requested: str = "auto") -> str:
    """'auto' -> cuda when available, else cpu; asking for cuda without one is a config error."""
    import torch

    requested = requested.lower()
    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError("CUDA was requested but torch sees no GPU; use \"Device\": \"cpu\" or \"auto\"",
                          where="Setup.Device")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread for the block (see TorchMLP), then as it was."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _centre_class() -> Any:
    import torch.nn as nn

    class Centre(nn.Module):
        """Unit cube -> [-1, 1]: zero-centred inputs train faster with SiLU."""

        def forward(self, x: Any) -> Any:
            return 2.0 * x - 1.0

    return Centre


def build_mlp(dim: int, neurons: int | Sequence[int], layers: int = 3) -> Any:
    """An MLP of ``layers`` hidden layers of ``neurons`` each, or of the widths listed (BSMArt's
    MLS ``Neurons``)."""
    import torch.nn as nn

    blocks: list[Any] = [_centre_class()()]
    width = dim
    for neurons_in_layer in ([neurons] * layers if isinstance(neurons, int) else neurons):
        blocks += [nn.Linear(width, neurons_in_layer), nn.SiLU()]
        width = neurons_in_layer
    blocks.append(nn.Linear(width, 1))
    return nn.Sequential(*blocks)


def held_out(X: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Which rows are validation points: a hash of each row's values decides, so that a point
    stays on its side in every fit however the data grows. A warm-started network validated on
    a fresh random split would be validated on points it trained on in earlier fits."""
    bits = np.ascontiguousarray(X, dtype=np.float64).view(np.uint64).reshape(len(X), -1)
    h = np.full(len(X), np.uint64(seed & (2 ** 64 - 1)))
    for column in bits.T:  # splitmix64 over the row's words
        h = h ^ column
        h = h + np.uint64(0x9E3779B97F4A7C15)
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        h = h ^ (h >> np.uint64(31))
    return (h >> np.uint64(11)).astype(np.float64) * 2.0 ** -53 < fraction


# the share of the points held out to stop early on and to measure a network's error: with 20 %,
# the points a network never trained on included a fifth of the few good points known early in a
# run, and MLS_DNNR and MLS_DNNC took 13 % and 16 % more evaluations to 1000 good points on F3d
# (benchmarks/README.md); below MIN_VALIDATION of them the training loss is watched instead
VALIDATION_FRACTION, MIN_VALIDATION = 0.05, 20
# early stopping waits at least PATIENCE_STEPS optimizer steps and at most PATIENCE_MAX_STEPS (see torchfit)
PATIENCE_STEPS, PATIENCE_MAX_STEPS = 200, 300
# on a plateau the learning rate is cut by LR_DROP_FACTOR, at most LR_DROPS times, before stopping;
# after a cut the loss settles within a quarter of the patience (waiting all of it at each cut
# more than doubled a long run's training)
LR_DROPS, LR_DROP_FACTOR, LR_DROP_PATIENCE = 3, 0.3, 0.25


def torchfit(model: Any, X: np.ndarray, y: np.ndarray, loss_fn: Any, *, epochs: int, batch_size: int,
             lr: float, seed: int, device: str = "cpu", patience: int = 20, min_delta: float = 1e-4,
             val_fraction: float = VALIDATION_FRACTION, min_val: int = MIN_VALIDATION, weight_decay: float = 1e-4,
             split_seed: int = 0, patience_steps: int = PATIENCE_STEPS, patience_max_steps: int = PATIENCE_MAX_STEPS,
             lr_drops: int = LR_DROPS, probabilities: bool = False) -> dict[str, Any]:
    """Mini-batch AdamW with early stopping; restores a true copy of the best weights.

    The weights the network starts from are the first candidate for the best: a warm-started
    fit never ends worse on the validation points than it began (AdamW's first steps at the
    full learning rate throw a trained network off, and it may not come back within the
    patience). Once the monitored loss has not improved for ``patience`` epochs, or for
    ``patience_steps`` optimizer steps where that is longer, but for at most
    ``patience_max_steps`` (20 epochs of 50 000 points are 2000 steps: in a run of 100 000
    evaluations these waits were most of the training; 300 steps instead of 500 took a third
    off the training after 10 000 evaluations, with as many good points), the best weights are
    restored and the learning rate is cut by ``LR_DROP_FACTOR``, with ``LR_DROP_PATIENCE`` of
    that patience from then on; after ``lr_drops`` cuts training stops. A cold network first
    predicts about the mean for a hundred steps or more, and with a few hundred points (one
    mini-batch an epoch) 20 epochs stopped it there, before it had learnt anything; at the full
    rate the loss of a network that has learnt keeps bouncing around its minimum, which the cuts
    settle into.

    The validation points (``held_out`` with ``split_seed``: the same points in every fit) are
    held out when there are at least ``min_val`` of them; otherwise the training loss is
    monitored. The returned ``validation_rmse`` is the best weights' root-mean-square error on
    them (of the sigmoid of the output with ``probabilities``; 0 when none were held out). A fresh
    optimizer per call: stale Adam moments from an earlier fit would fight the new data (the
    network itself is warm-started by the caller).
    """
    import torch

    gen = np.random.default_rng(seed)
    torch.manual_seed(seed)
    validation = held_out(X, val_fraction, split_seed)
    if validation.sum() < min_val or validation.all():
        validation[:] = False
    val_idx, train_idx = np.flatnonzero(validation), np.flatnonzero(~validation)
    n_val = len(val_idx)
    steps_per_epoch = max(1, math.ceil(len(train_idx) / batch_size))
    patience = first_patience = min(max(patience, math.ceil(patience_steps / steps_per_epoch)),
                                    math.ceil(patience_max_steps / steps_per_epoch))
    Xt = torch.as_tensor(X, dtype=torch.float32, device=device)
    yt = torch.as_tensor(y, dtype=torch.float32, device=device).reshape(-1, 1)
    monitored_idx = val_idx if n_val else train_idx

    def monitored_loss() -> float:
        model.eval()
        with torch.no_grad():
            return float(loss_fn(model(Xt[monitored_idx]), yt[monitored_idx]))

    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    # deepcopy: state_dict() returns live references that later steps would overwrite
    best_loss, best_state, best_epoch, waited, drops, epoch = monitored_loss(), copy.deepcopy(model.state_dict()), \
        0, 0, 0, 0
    for epoch in range(1, epochs + 1):
        model.train()
        perm = train_idx[gen.permutation(len(train_idx))]
        total = 0.0
        for start in range(0, len(perm), batch_size):
            idx = torch.as_tensor(perm[start:start + batch_size], device=device)
            optimizer.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
        monitored = monitored_loss() if n_val else total / max(1, len(perm))
        if monitored < best_loss - min_delta:
            best_loss, best_state, best_epoch, waited = monitored, copy.deepcopy(model.state_dict()), epoch, 0
            continue
        waited += 1
        if waited >= patience:
            if drops == lr_drops:
                break
            drops, waited, patience = drops + 1, 0, math.ceil(first_patience * LR_DROP_PATIENCE)
            model.load_state_dict(best_state)
            for group in optimizer.param_groups:
                group["lr"] *= LR_DROP_FACTOR
    model.load_state_dict(best_state)
    model.eval()
    rmse = 0.0
    if n_val:
        with torch.no_grad():
            out = model(Xt[val_idx])
            rmse = float(torch.sqrt(torch.mean(((torch.sigmoid(out) if probabilities else out) - yt[val_idx]) ** 2)))
    return {"epochs": epoch, "best_epoch": best_epoch, "best_loss": best_loss, "validation": n_val,
            "validation_rmse": rmse, "patience": first_patience, "lr_drops": drops}


class TorchMLP:
    """sklearn-like MLP: ``fit(X, y)``, ``predict(X)``; ``predict_proba`` for classification.

    Warm start: the network is kept between fits (each retrain starts from the last weights).
    A classifier weights the positive class by n_bad/n_good (recomputed at every fit, capped),
    so a rare good region still pulls the decision boundary.

    torch computes on one thread: these networks are small, so a second thread gains at most
    1.5x on an idle machine and costs 3-4x when anything else uses a core (its threads wait for
    each other); one thread is never the slow choice (docs/mlscanner.md has the figures).
    """

    def __init__(self, task: str, *, neurons: int | Sequence[int] = 100, epochs: int = 250, batch_size: int = 500,
                 lr: float = 1e-2, seed: int = 0, device: str = "auto", warm_start: bool = True,
                 patience: int = 20):
        self.task, self.neurons, self.epochs, self.batch_size, self.lr = task, neurons, epochs, batch_size, lr
        self.seed, self.device_setting, self.warm_start, self.patience = seed, device, warm_start, patience
        self.net: Any = None
        self.dim = 0
        self.fits = 0
        self.last_fit: dict[str, Any] = {}

    @property
    def device(self) -> str:
        return torch_device(self.device_setting)

    @property
    def validation_error(self) -> float:
        """Root-mean-square error of the last fit on its held-out points, of the predicted value or
        (classification) probability (0: none held out)."""
        return float(self.last_fit.get("validation_rmse", 0.0))

    def _loss(self, y: np.ndarray) -> Any:
        import torch

        if self.task == "classification" and np.isin(y, (0.0, 1.0)).all():
            n_good = float(y.sum())
            # sqrt of the imbalance: the full ratio makes the weighted loss too noisy to early-stop on
            pos_weight = math.sqrt((len(y) - n_good) / n_good) if 0 < n_good < len(y) else 1.0
            return torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([max(1.0, pos_weight)], device=self.device))
        if self.task == "classification":  # soft labels (the sides of an observable's window): no class weight
            return torch.nn.BCEWithLogitsLoss()
        return torch.nn.MSELoss()

    def fit(self, X: np.ndarray, y: np.ndarray) -> "TorchMLP":
        import torch

        seed = self.seed + self.fits  # a new but reproducible shuffle per retrain
        with one_thread():
            if self.net is None or not self.warm_start or X.shape[1] != self.dim:
                torch.manual_seed(seed)
                self.dim = X.shape[1]
                self.net = build_mlp(self.dim, self.neurons).to(self.device)
            self.last_fit = torchfit(self.net, X, y, self._loss(y), epochs=self.epochs,
                                     batch_size=self.batch_size, lr=self.lr, seed=seed, device=self.device,
                                     patience=self.patience, split_seed=self.seed,
                                     probabilities=self.task == "classification")
            self.last_fit["threads"] = torch.get_num_threads()
        self.fits += 1
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        import torch

        self.net.eval()
        out = []
        with torch.no_grad(), one_thread():
            for start in range(0, len(X), 65536):  # bounded memory for large candidate pools
                chunk = torch.as_tensor(X[start:start + 65536], dtype=torch.float32, device=self.device)
                out.append(self.net(chunk).reshape(-1).cpu().numpy())
        return np.concatenate(out) if out else np.empty(0)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = _sigmoid(self.predict(X))
        return np.column_stack([1 - p, p])

    classes_ = np.array([0.0, 1.0])

    def __getstate__(self) -> dict[str, Any]:
        # the network's class is built at run time (torch is imported lazily), so pickle its weights
        state = dict(self.__dict__)
        if self.net is not None:
            state["net"] = {k: v.cpu() for k, v in self.net.state_dict().items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        weights = state.get("net")
        self.__dict__.update(state, net=None)
        if weights is not None:
            self.net = build_mlp(self.dim, self.neurons)
            self.net.load_state_dict(weights)
            self.net.to(self.device).eval()

    def save(self, path: Path) -> None:
        import torch

        state = {k: v.cpu() for k, v in self.net.state_dict().items()}
        neurons = self.neurons if isinstance(self.neurons, int) else list(self.neurons)
        torch.save({"state_dict": state, "dim": self.dim, "neurons": neurons, "task": self.task}, path)

    @classmethod
    def load(cls, path: Path, device: str = "auto") -> "TorchMLP":
        import torch

        saved = torch.load(path, map_location="cpu", weights_only=True)
        neurons = saved["neurons"]
        model = cls(saved["task"], neurons=[int(n) for n in neurons] if isinstance(neurons, (list, tuple)) else
                    int(neurons), device=device)
        model.dim = int(saved["dim"])
        model.net = build_mlp(model.dim, model.neurons)
        model.net.load_state_dict(saved["state_dict"])
        model.net.to(model.device).eval()
        return model


# -- the adapter ---------------------------------------------------------------------------

def fit_learner(learner: Any, X: np.ndarray, y: np.ndarray) -> None:
    """Fit; a random forest with a ``sample_cap`` grows each tree on at most that many points
    (sklearn's max_samples), all of them while fewer are known."""
    cap = getattr(learner, "sample_cap", 0)
    if cap:
        learner.set_params(max_samples=int(cap) if len(X) > cap else None)
    learner.fit(X, y)


class Adapter:
    """Wraps a learner (sklearn estimator or TorchMLP) with the labels/targets of one kind.

    ``kind="classifier"``: the learner is fitted on good = NLL < threshold and scores with its
    probability of good. ``kind="regressor"``: fitted on the transformed NLL, scores with minus
    the prediction (higher = lower predicted NLL). A regressor given ``observables`` (the used
    observables, in the order of the ``values`` columns passed to ``fit``) instead fits a copy
    of the learner per observable on its values, and a nearest-neighbour classifier of which
    points the codes could evaluate; the predicted NLL is then the configured likelihood of the
    predicted values, widened by the learner's error where it is known (``ValueScaler.spread``;
    the capped maximum where the point is predicted to fail). A classifier
    given ``observables`` fits a copy of its network per observable on which side of the
    observable's window each point lies (``_fit_sides``) and scores with the probability of
    being inside every window.
    """

    def __init__(self, learner: Any, kind: str, threshold: float,
                 observables: Mapping[str, Observable] | None = None, validity_share: float = 0.5):
        if kind not in ("classifier", "regressor"):
            raise ValueError(f"kind must be classifier or regressor, not {kind!r}")
        self.learner, self.kind, self.threshold = learner, kind, float(threshold)
        self.validity_share = float(validity_share)  # see _predicted_failing
        self.observables = dict(observables) if observables is not None else None
        self.scaler = TargetScaler()
        self.fitted = False
        self._single_class: float | None = None  # a classifier that saw only one label
        # Target "Observables": one learner and its target's scaler (side labels) per observable, and validity
        self.per_observable: dict[str, tuple[Any, ValueScaler | SideLabels] | None] = {}
        self.validity: Any = None  # None: every point seen so far was evaluated

    def fit(self, X: np.ndarray, nll: np.ndarray, good: np.ndarray | None = None,
            values: np.ndarray | None = None, valid: np.ndarray | None = None) -> "Adapter":
        """Fit on points with their NLL (failed points weigh ``likelihood.failed_nll``) and good
        flags (default: ``likelihood.is_good`` of the NLL at this adapter's threshold); with
        observables, on their ``values`` (NaN: unknown) and the points' ``valid`` flags (default:
        every value known; an InitCSV point without the observables' columns is valid)."""
        X = np.asarray(X, dtype=float)
        if self.observables is not None:
            values = np.asarray(values, dtype=float).reshape(len(X), len(self.observables))
            self._fit_validity(X, np.isfinite(values).all(axis=1) if valid is None else np.asarray(valid, bool))
        if self.kind == "classifier":
            y = np.asarray(is_good(nll, True, self.threshold) if good is None else good, dtype=float)
            # sklearn classifiers refuse one class; the score is then that constant
            self._single_class = float(y[0]) if len(np.unique(y)) < 2 and not isinstance(self.learner, TorchMLP) \
                else None
            if self.observables is not None:
                self._fit_sides(X, values)
            elif self._single_class is None:
                fit_learner(self.learner, X, y)
        elif self.observables is not None:
            self.scaler.fit(nll)
            self._fit_observables(X, values)
        else:
            self.scaler.fit(nll)
            fit_learner(self.learner, X, self.scaler.transform(nll))
        self.fitted = True
        return self

    def _fit_observables(self, X: np.ndarray, values: np.ndarray) -> None:
        for j, (name, obs) in enumerate(self.observables.items()):
            known = np.isfinite(values[:, j])
            if known.sum() < 2:
                self.per_observable[name] = None  # nothing to learn yet: predicted as failing
                continue
            v = values[known, j]
            scaler = ValueScaler.of_observable(obs, self.threshold, v)
            self._fit_observable(name, X[known], scaler.transform(v), scaler)

    def _fit_sides(self, X: np.ndarray, values: np.ndarray) -> None:
        """A classifier's Target "Observables": per observable, a copy of the network learns on
        which side of the observable's window each evaluated point lies, as soft labels
        (``SideLabels.fitted``): about 1/2 inside the window, towards 0 below and 1 above it,
        logistic in the value as a regressor learns it. Bad points on both sides of a thin good
        region are everywhere, so the boundary between below and above is learnt where no good
        point is known yet (the good points themselves are too few and too close together for a
        classifier of good points to extrapolate). Labels continuous across the window's edges
        let the network's error on its held-out points say how far its window can be off
        (``inside_windows``); logistic ones in the value took 11-15 % fewer evaluations than the
        ranks of the values did on F3d and F3d_invalid (benchmarks/README.md)."""
        for j, (name, obs) in enumerate(self.observables.items()):
            known = np.isfinite(values[:, j])
            v = values[known, j]
            inside = obs.losses(v) < self.threshold
            if len(v) < 2 or inside.all() or not inside.any() and len(np.unique(v)) < 2:
                self.per_observable[name] = None  # nothing tells the sides apart yet
                continue
            sides, label = SideLabels.fitted(obs, self.threshold, v)
            self._fit_observable(name, X[known], label, sides)

    def _fit_observable(self, name: str, X: np.ndarray, y: np.ndarray, scaler: ValueScaler | SideLabels) -> None:
        """Fit the observable's copy of the learner (a TorchMLP keeps its weights between fits, warm
        start; sklearn refits from scratch) and keep its error on its held-out points in ``scaler``
        (0 for sklearn's, which hold none out)."""
        previous = self.per_observable.get(name)
        learner = previous[0] if previous else copy.deepcopy(self.learner)
        fit_learner(learner, X, y)
        scaler.error = float(getattr(learner, "validation_error", 0.0))
        self.per_observable[name] = (learner, scaler)

    def _fit_validity(self, X: np.ndarray, evaluated: np.ndarray) -> None:
        """Which points the codes evaluate: a nearest-neighbour classifier, once some failed."""
        self.validity = None
        if 0 < evaluated.sum() < len(X):
            from sklearn.neighbors import KNeighborsClassifier

            self.validity = KNeighborsClassifier(n_neighbors=min(5, len(X))).fit(X, evaluated)

    def predicted_nll(self, X: np.ndarray) -> np.ndarray:
        """Target "Observables": the NLL of the predicted observable values, each likelihood
        widened by its learner's error on its held-out points where it is known."""
        nll = np.zeros(len(X))
        for name, obs in self.observables.items():
            fitted = self.per_observable.get(name)
            if fitted is None:
                nll += MAX_LOSS
                continue
            learner, scaler = fitted
            values = scaler.inverse(np.asarray(self._repeatable(learner, learner.predict, X), dtype=float))
            nll += obs.losses(values, scaler.spread(values))
        nll[self._predicted_failing(X)] = failed_nll(self.observables)
        return nll

    def _predicted_failing(self, X: np.ndarray) -> np.ndarray:
        """Where the codes are expected to fail (nowhere before any failed): where fewer than
        ``validity_share`` of the nearest evaluated points were valid."""
        if self.validity is None:
            return np.zeros(len(X), bool)
        return self.validity.predict_proba(X)[:, list(self.validity.classes_).index(True)] < self.validity_share

    def inside_windows(self, X: np.ndarray) -> np.ndarray:
        """A classifier's Target "Observables": the probability that each point lies inside
        every observable's window, the product over observables of the probability that the
        label lies within its window's band (``SideLabels``) when it is the side network's output
        give or take a Gaussian of its held-out error (1 inside, 0 outside when none was held
        out); zero where the point is predicted to fail.

        As for the regressors' widening (``ValueScaler.spread``): early in a run the error is
        large and a wide band around the window weighs something, and the band narrows to the
        window as the network learns; where it is sure, the weight is flat across the window, so
        the picks spread along it instead of piling onto where the output is nearest 1/2."""
        from scipy.special import ndtr  # the normal distribution's cdf (scipy.stats' norm.cdf without its overhead)

        weight = np.ones(len(X))
        for name in self.observables:
            fitted = self.per_observable.get(name)
            if fitted is not None:
                above = np.asarray(self._repeatable(fitted[0], fitted[0].predict_proba, X), dtype=float)[:, 1]
                band = fitted[1]
                if band.error > 0:
                    weight *= ndtr((band.high - above) / band.error) - ndtr((band.low - above) / band.error)
                else:
                    weight *= (above >= band.low) & (above <= band.high)
        weight[self._predicted_failing(X)] = 0.0
        return weight

    def score(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if len(X) == 0:
            return np.empty(0)
        if self.observables is not None and self.kind == "classifier":
            return self.inside_windows(X)
        if self.observables is not None:
            return -self.scaler.transform(self.predicted_nll(X))
        if self.kind == "regressor":
            return -np.asarray(self._repeatable(self.learner, self.learner.predict, X), dtype=float)
        if self._single_class is not None:
            return np.full(len(X), self._single_class)
        proba = self._repeatable(self.learner, self.learner.predict_proba, X)
        return np.asarray(proba[:, list(self.learner.classes_).index(1.0)], dtype=float)

    @staticmethod
    def _repeatable(learner: Any, predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray) -> np.ndarray:
        """``predict(X)``, bit for bit the same at every call.

        A sklearn forest with n_jobs > 1 adds up its trees' predictions in whichever order its
        threads finish, so the last bits vary between calls and near-ties in the ranking break
        differently: a rerun with the same seed, or a resumed run, would propose other points.
        Each chunk is predicted on one thread (a fixed order of summation); chunks run in parallel.
        """
        jobs = getattr(learner, "n_jobs", None)
        if not isinstance(jobs, int) or jobs <= 1 or len(X) < 2:
            return predict(X)
        learner.set_params(n_jobs=1)
        try:
            with ThreadPoolExecutor(jobs) as pool:
                return np.concatenate(list(pool.map(predict, np.array_split(X, jobs))))
        finally:
            learner.set_params(n_jobs=jobs)

    def likely(self, scores: np.ndarray) -> np.ndarray:
        """Which scores mean "predicted good" (probability >= 1/2, or predicted NLL < threshold)."""
        if self.kind == "classifier":
            return scores >= 0.5
        return self.scaler.inverse(-scores) < self.threshold

    def probability(self, scores: np.ndarray) -> np.ndarray:
        """A weight in [0, 1] for "this point is good": the classifier's probability, or for a
        regressor the likelihood ratio exp(-(NLL - threshold)) of its predicted NLL, capped at 1."""
        if self.kind == "classifier":
            return np.clip(scores, 0.0, 1.0)
        excess = np.clip(self.scaler.inverse(-scores) - self.threshold, 0.0, 700.0)
        return np.exp(-excess)

    def predicted_good(self, X: np.ndarray) -> np.ndarray:
        return self.likely(self.score(X))

    def metrics(self, X: np.ndarray, nll: np.ndarray, good: np.ndarray) -> dict[str, float]:
        """How well the model (before retraining) predicted a new batch: accuracy of the
        good/bad call, and for regressors the mean absolute error of sign(NLL) log(1+|NLL|)."""
        if len(X) == 0 or not self.fitted:
            return {"accuracy": math.nan, "mae_log_nll": math.nan}
        accuracy = float(np.mean(self.predicted_good(X) == np.asarray(good, dtype=bool)))
        mae = math.nan
        if self.kind == "regressor":
            predicted = self.scaler.inverse(-self.score(X))
            mae = float(np.mean(np.abs(TargetScaler._log(predicted) - TargetScaler._log(nll))))
        return {"accuracy": accuracy, "mae_log_nll": mae}

    def learners(self) -> dict[str, Any]:
        """The learners that score, by the stem of their file: ``learner``, or with Target
        "Observables" ``learner_<j>`` for each observable whose model is fitted."""
        if self.observables is None:
            return {"learner": self.learner}
        fitted = (self.per_observable.get(name) for name in self.observables)
        return {f"learner_{j}": model[0] for j, model in enumerate(fitted) if model is not None}

    # -- persistence -------------------------------------------------------------------
    def save(self, folder: Path, space: Space, method: str) -> None:
        """``model.json`` (what is needed to reload and map points, as plain JSON) and the learners:
        ``learner.pt`` (torch weights) or ``learner.skops``; with Target "Observables" one
        ``learner_<j>`` per observable, and ``validity.skops``. No file holds code (no pickle)."""
        learners = self.learners()
        if self.validity is not None:
            learners["validity"] = self.validity
        files = {}
        for stem, learner in learners.items():
            files[stem] = _save_learner(learner, folder, stem)
        meta = {
            "method": method, "kind": self.kind, "threshold": self.threshold, "files": files,
            "validity_share": self.validity_share,
            "target": "Observables" if self.observables else ("classes" if self.kind == "classifier" else "NLL"),
            "single_class": self._single_class, "target_mean": self.scaler.mean, "target_std": self.scaler.std,
            "nll_transform": NLL_TRANSFORM, "side_labels": SIDE_LABELS if self.kind == "classifier" else None,
            "variables": [{"name": v.name, "lower": v.lower, "upper": v.upper, "prior": v.prior}
                          for v in space.variables],
            "observables": None if self.observables is None else [
                {"likelihood": _likelihood_json(obs),
                 "scaler": None if self.per_observable.get(name) is None
                 else dataclasses.asdict(self.per_observable[name][1])}
                for name, obs in self.observables.items()],
            "score": "probability of good" if self.kind == "classifier" else "-standardised sign(NLL) log(1+|NLL|)",
        }
        (folder / MODEL_JSON).write_text(json.dumps(meta, indent=2) + "\n")


# sklearn's own estimators are trusted by skops; these are the inner types our learners hold
SKOPS_TRUSTED = ["sklearn.tree._tree.Tree", "sklearn.neighbors._kd_tree.KDTree",
                 "sklearn.metrics._dist_metrics.EuclideanDistance64"]
LEARNER_SUFFIXES = (".pt", ".skops")
LIKELIHOOD_FIELDS = ("name", "scaling", "mean", "sigma", "lower_bound", "upper_bound", "log_scaling")


def _likelihood_json(obs: Observable) -> dict[str, Any]:
    return {key: getattr(obs, key) for key in LIKELIHOOD_FIELDS}


def _save_learner(learner: Any, folder: Path, stem: str) -> str:
    if isinstance(learner, TorchMLP):
        learner.save(folder / f"{stem}.pt")
        return f"{stem}.pt"
    import skops.io

    skops.io.dump(learner, folder / f"{stem}.skops")
    return f"{stem}.skops"


def _load_learner(folder: Path, stem: str, name: Any, device: str) -> Any:
    """A learner file, by a name bsmart chose; never a path that leaves the model folder."""
    if not isinstance(name, str) or name not in (stem + suffix for suffix in LEARNER_SUFFIXES):
        raise ConfigError(f"{folder / MODEL_JSON}: learner file {name!r} is not {stem}.pt or {stem}.skops")
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise ConfigError(f"{folder / name} is missing, or a link out of the model folder")
    if path.suffix == ".pt":
        try:
            return TorchMLP.load(path, device)
        except Exception as exc:  # torch refuses anything but plain tensors and numbers (weights_only)
            raise ConfigError(f"{path} is not a bsmart torch model: {str(exc).splitlines()[0][:200]}") from None
    import skops.io

    try:
        return skops.io.load(path, trusted=SKOPS_TRUSTED)
    except Exception as exc:  # untrusted types, or not a skops file at all
        raise ConfigError(f"{path} is not a model bsmart can load safely: {str(exc).splitlines()[0][:200]}") \
            from None


def load_model(folder: Path, device: str = "auto") -> tuple[Adapter, Space, dict[str, Any]]:
    """Reload a saved model: the adapter, the space its inputs live in, and its metadata.
    Only JSON, torch weights (``weights_only``) and skops files with trusted types are read."""
    folder = Path(folder)
    meta_path = folder / MODEL_JSON
    if not meta_path.is_file():
        raise ConfigError(f"no saved model in {folder} (expected {MODEL_JSON}; only MLScanner runs save one)")
    try:
        meta = json.loads(meta_path.read_text())
        if meta["kind"] == "regressor" and meta.get("nll_transform") != NLL_TRANSFORM:
            raise ConfigError(f"{meta_path}: saved by an earlier bsmart, whose regressors learnt another transform "
                              f"of the NLL; run the scan again to save it anew")
        if meta["kind"] == "classifier" and meta.get("observables") and meta.get("side_labels") != SIDE_LABELS:
            raise ConfigError(f"{meta_path}: saved by an earlier bsmart, whose side networks learnt other labels; "
                              f"run the scan again to save it anew")
        files = meta["files"]
        observables = None
        if meta.get("observables") is not None:
            observables = {o["likelihood"]["name"]: Observable(**{k: o["likelihood"][k] for k in LIKELIHOOD_FIELDS})
                           for o in meta["observables"]}
        adapter = Adapter(None, meta["kind"], meta["threshold"], observables, float(meta.get("validity_share", 0.5)))
        if observables is None:
            adapter.learner = _load_learner(folder, "learner", files.get("learner"), device)
        else:
            for j, (name, saved) in enumerate(zip(observables, meta["observables"])):
                stem = f"learner_{j}"
                adapter.per_observable[name] = None if saved["scaler"] is None else (
                    _load_learner(folder, stem, files.get(stem), device),
                    (SideLabels if meta["kind"] == "classifier" else ValueScaler)(**saved["scaler"]))
            if "validity" in files:
                adapter.validity = _load_learner(folder, "validity", files["validity"], device)
        adapter.scaler = TargetScaler(float(meta["target_mean"]), float(meta["target_std"]))
        adapter._single_class = meta.get("single_class")
        space = Space([Variable(str(v["name"]), float(v["lower"]), float(v["upper"]), str(v["prior"]))
                       for v in meta["variables"]])
    except ConfigError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{meta_path} is not a model bsmart saved: {type(exc).__name__}: {exc}") from None
    adapter.fitted = True
    return adapter, space, meta


# -- learners per method (each returns an unfitted learner) --------------------------------

LearnerFactory = Callable[[Any, int, str, int], Any]  # (settings, seed, device, cores) -> learner


def dnn_classifier(s: Any, seed: int, device: str, cores: int) -> TorchMLP:
    return TorchMLP("classification", neurons=s.neurons, epochs=s.epochs, batch_size=s.batch_size,
                    lr=s.learningrate, seed=seed, device=device)


def dnn_regressor(s: Any, seed: int, device: str, cores: int) -> TorchMLP:
    return TorchMLP("regression", neurons=s.neurons, epochs=s.epochs, batch_size=s.batch_size,
                    lr=s.learningrate, seed=seed, device=device)


def _forest_args(s: Any, seed: int, cores: int) -> dict[str, Any]:
    return {"n_estimators": s.estimators, "max_depth": s.max_depth or None, "min_samples_split": s.min_samples_split,
            "min_samples_leaf": s.min_samples_leaf, "n_jobs": cores, "random_state": seed}


def rf_classifier(s: Any, seed: int, device: str, cores: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    # balanced: the good class is rare, and unweighted forests then call almost nothing good
    forest = RandomForestClassifier(class_weight="balanced_subsample", **_forest_args(s, seed, cores))
    forest.sample_cap = s.max_samples
    return forest


def rf_regressor(s: Any, seed: int, device: str, cores: int) -> Any:
    from sklearn.ensemble import RandomForestRegressor

    forest = RandomForestRegressor(**_forest_args(s, seed, cores))
    forest.sample_cap = s.max_samples
    return forest


def gb_regressor(s: Any, seed: int, device: str, cores: int) -> Any:
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(learning_rate=s.learningrate, n_estimators=s.estimators,
                                     max_depth=s.max_depth or None, subsample=s.subsample,
                                     min_samples_split=s.min_samples_split, min_samples_leaf=s.min_samples_leaf,
                                     random_state=seed)


SVR_MAX_ITER = 1_000_000  # libsvm can crawl on ill-conditioned kernels; a fit must always end


def svr_rbf(s: Any, seed: int, device: str, cores: int) -> Any:
    from sklearn.svm import SVR

    return SVR(kernel="rbf", C=s.c, gamma=s.gamma, epsilon=s.epsilon, max_iter=SVR_MAX_ITER)


def svr_poly(s: Any, seed: int, device: str, cores: int) -> Any:
    from sklearn.svm import SVR

    # coef0=1: on unit-cube inputs a homogeneous polynomial (coef0=0) cannot fit an offset
    return SVR(kernel="poly", degree=s.degree, C=s.c, gamma=s.gamma, epsilon=s.epsilon, coef0=1.0,
               max_iter=SVR_MAX_ITER)
