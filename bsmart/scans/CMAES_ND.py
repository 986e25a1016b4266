"""CMAES_ND: BSMArt's CMA-ES with novelty detection (arXiv:2206.09223, 2402.07661), run by cma:
it minimises, per generation, the sum of the used observables' losses (each min-max scaled over
the generation), and once good points are known adds to each good point a penalty that is small
where good points are rare (HBOS, a histogram density of the good points found so far), so the
search moves on to new parts of the good region instead of piling up at one. It stops after
``CMAESMaxGenerations``, at ``CMAESGoodPointsEarlyStop`` good points, or at ``Points``
evaluations; a converged strategy restarts from a new random mean."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from bsmart.config import RunConfig
from bsmart.errors import ConfigError
from bsmart.likelihood import MAX_LOSS
from bsmart.results import read_points_csv
from bsmart.scans.CMAES import NewScan as CMAES, __meta__ as CMAES_META
from bsmart.scans._novelty import minmax, novelty_penalty
from bsmart.settings import Setting, Settings, parse_bool

__meta__ = {
    "name": "CMAES_ND",
    "description": "CMA-ES with novelty detection: spread good points over the allowed region.",
    "settings": {
        **{k: v for k, v in CMAES_META["settings"].items() if k not in ("CMAESEpisodes", "CMAESMaxGenerations")},
        "CMAESMaxGenerations": Setting(100, int, "generations in all", minimum=1),
        "Threshold_Value": Setting(1e-9, float, "good: NLL below this; the default, as BSMArt: every used "
                                                "observable inside its CFUNCTION range (loss 0)", minimum=0),
        "CMAESGoodPointsEarlyStop": Setting(5000, int, "stop once this many good points are found", minimum=1),
        "CMAESNoveltyDetection": Setting(True, object, "true or HBOS: penalise good points like those found; "
                                                       "Optimiser: push them to low Focus values; false: off"),
        "CMAESHBOSNBins": Setting(100, int, "histogram bins of the novelty detection", minimum=2),
        "CMAESNoveltyDetectionParams": Setting(None, object, 'e.g. {"n_bins": 50} or {"direction": "max"}'),
        "CMAESFocus": Setting(None, object, '{"Variables": [...], "Observables": [...]}: what novelty is '
                                            "judged on; default: every variable and observable"),
        "CMAESHierarchy": Setting(None, object, "used observables to satisfy first: until they are, the others "
                                                "count as missed"),
        "CMAESPathSeeds": Setting(None, str, "a CSV of points, one of which (at random) is the first mean"),
        "CMAESNoGoodPointsPatience": Setting(5000, int, "a converged strategy restarts only while good points "
                                                        "came within this many generations", minimum=1),
        "CMAESBestLossPatience": Setting(200, int, "accepted (BSMArt); bsmart restarts when cma converges"),
        "CMAESBestNValidConstraintsPatience": Setting(2000, int, "accepted (BSMArt); see CMAESBestLossPatience"),
    },
}


def _novelty_kind(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().lower() in ("hbos", "optimiser", "optimizer"):
        return "Optimiser" if value.strip().lower().startswith("optimi") else "HBOS"
    return "HBOS" if parse_bool(value, "Setup.CMAESNoveltyDetection") else None


def _names(value: Any, known: Iterable[str], where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"expected a list of names, got {value!r}", where=where)
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ConfigError(f"unknown name(s) {unknown}; known: {sorted(known)}", where=where)
    return value


class NewScan(CMAES):
    @classmethod
    def check(cls, config: RunConfig, settings: Settings) -> None:
        super().check(config, settings)
        _novelty_kind(settings.cmaesnoveltydetection)
        used = [name for name, obs in config.observables.items() if obs.used]
        if settings.cmaeshierarchy is not None:
            _names(settings.cmaeshierarchy, used, "Setup.CMAESHierarchy")
        focus = settings.cmaesfocus
        if focus is not None:
            if not isinstance(focus, Mapping) or set(focus) - {"Variables", "Observables"}:
                raise ConfigError(f"expected {{'Variables': [...], 'Observables': [...]}}, got {focus!r}",
                                  where="Setup.CMAESFocus")
            _names(focus.get("Variables", []), [v.name for v in config.space.free], "Setup.CMAESFocus.Variables")
            _names(focus.get("Observables", []), config.observables, "Setup.CMAESFocus.Observables")
        params = settings.cmaesnoveltydetectionparams
        if params is not None and (not isinstance(params, Mapping) or set(params) - {"n_bins", "direction"}):
            raise ConfigError(f"expected n_bins and/or direction, got {params!r}",
                              where="Setup.CMAESNoveltyDetectionParams")
        if settings.cmaespathseeds:
            read_points_csv(config.existing_path(settings.cmaespathseeds, "Setup.CMAESPathSeeds"), config.space,
                            where="Setup.CMAESPathSeeds")

    def initialise(self) -> None:
        super().initialise()
        if self.settings.cmaespathseeds and self.first_mean is None:
            seeds = read_points_csv(self.config.resolve_path(self.settings.cmaespathseeds), self.space,
                                    where="Setup.CMAESPathSeeds")
            self.first_mean = self.space.to_unit(seeds.physical)[self.rng.integers(len(seeds.physical))]
        self.used = [name for name, obs in self.config.observables.items() if obs.used]
        self.hierarchy = [self.used.index(n) for n in self.settings.cmaeshierarchy or []]
        focus = self.settings.cmaesfocus or {}
        free = [v.name for v in self.space.free]
        self.focus_variables = [free.index(n) for n in focus.get("Variables", free)]
        self.focus_observables = list(focus.get("Observables", self.config.observables))
        self.novelty = _novelty_kind(self.settings.cmaesnoveltydetection)
        params = self.settings.cmaesnoveltydetectionparams or {}
        self.n_bins, self.direction = int(params.get("n_bins", self.settings.cmaeshbosnbins)), params.get("direction")
        self.good_rows: list[np.ndarray] = []  # focus columns of the good points found
        self.generations = self.since_good = 0

    def _options(self) -> dict:
        return {k: v for k, v in super()._options().items() if k != "maxiter"}  # generations count in all

    def _episodes(self) -> Iterable[int]:
        episode = 0
        while not self._finished() and (episode == 0 or self.since_good < self.settings.cmaesnogoodpointspatience):
            yield episode
            episode += 1

    def _finished(self) -> bool:
        return (self.generations >= self.settings.cmaesmaxgenerations
                or len(self.good_rows) >= self.settings.cmaesgoodpointsearlystop)

    def _fitness(self, unit: np.ndarray) -> np.ndarray:
        found = self.objective.points(unit)
        losses = np.array([[MAX_LOSS if p is None else p.losses.get(n, MAX_LOSS) for n in self.used] for p in found])
        if self.hierarchy:  # until the hierarchy's observables are satisfied, the others count as missed
            unmet = np.any(losses[:, self.hierarchy] > 0, axis=1)
            rest = [i for i in range(len(self.used)) if i not in self.hierarchy]
            losses[np.ix_(unmet, rest)] = MAX_LOSS
        good = np.array([p is not None and p.good for p in found])
        rows = np.array([[*u[self.focus_variables], *(p.observables.get(n, np.nan) if p else np.nan
                                                     for n in self.focus_observables)] for u, p in zip(unit, found)])
        penalty = np.ones(len(found))  # BSMArt: only good points are told apart, once two are known
        if self.novelty and len(self.good_rows) > 1 and good.sum() > 1:
            penalty[good] = novelty_penalty(self.novelty, np.array(self.good_rows), rows[good], self.n_bins,
                                            self.direction)
        self.good_rows.extend(rows[good])
        self.generations += 1
        self.since_good = 0 if good.any() else self.since_good + 1
        return minmax(losses).sum(axis=1) + penalty

    def postprocess(self) -> None:
        super().postprocess()
        self.result.update(good_found=len(self.good_rows))
