"""AffineMC: BSMArt's affine-invariant ensemble sampler (Goodman & Weare), run by emcee. Each
half of the walkers moves in one parallel batch; a stretch move outside the ranges is rejected
without running a code. ``Results/Results.csv`` holds every walker's state after every step
(BSMArt's columns: the variables, the observables and NLL), an equally weighted sample of the
posterior once the walkers have forgotten their start (the summary leaves out the first half)."""

from __future__ import annotations

import emcee
import numpy as np

from bsmart.points import EvaluatedPoint
from bsmart.scans._chains import spread_starts
from bsmart.scans._objective import UnitObjective, library_run, log_likelihoods
from bsmart.scans.base import SAMPLE_SETTINGS, Scan
from bsmart.settings import Setting

__meta__ = {
    "name": "AffineMC",
    "description": "Affine-invariant ensemble MCMC (emcee): map the posterior, robust in many dimensions.",
    "settings": {
        "Steps": Setting(100, int, "steps of the ensemble; each evaluates up to one point per walker", minimum=1),
        "Walkers": Setting(None, int, "walkers (made even); default: 20 x the free variables", minimum=4,
                           maximum=100_000),
        **SAMPLE_SETTINGS,
    },
}


class NewScan(Scan):
    def initialise(self) -> None:
        walkers = self.settings.walkers or 20 * len(self.space.free)
        self.walkers = walkers + walkers % 2  # the stretch move moves one half against the other
        starts = self.space.sample_unit(self.rng, self.walkers)
        sample = self.initial_sample()
        if sample:  # the best points, spread out, and random ones for the walkers left
            seeds = spread_starts(*sample, self.walkers)
            starts[:len(seeds)] = seeds
        self.starts = starts
        self.objective = UnitObjective(self, budget=self.walkers * (self.settings.steps + 1))
        self.points: dict[int, EvaluatedPoint] = {}  # ID -> the point a walker stands on
        names = [*self.space.names, *self.config.observables]
        self.table = self.store.scan_table("Results/Results.csv", [*names, "NLL", "ID", "Step", "Walker"])

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.objective.budget, "evaluations"

    def _log_probability(self, unit: np.ndarray) -> list[tuple[float, int]]:
        """emcee's vectorised log-probability, with the ID of each evaluated point as its blob."""
        found = self.objective.points(unit)
        self.points.update((p.id, p) for p in found if p is not None)
        values = log_likelihoods(found)
        return [(v, -1 if p is None else p.id) for v, p in zip(values, found)]

    def run(self) -> None:
        self.sampler = sampler = emcee.EnsembleSampler(self.walkers, len(self.space.free), self._log_probability,
                                                       vectorize=True, blobs_dtype=int)
        start = emcee.State(self.starts, random_state=np.random.RandomState(
            self.rng.integers(2 ** 32)).get_state())
        with library_run(self.rng):
            for step, state in enumerate(sampler.sample(start, iterations=self.settings.steps,
                                                        skip_initial_state_check=True)):
                ids = [int(i) for i in state.blobs]
                self.table.write_rows([[*(p.variables[n] for n in self.space.names),
                                        *(p.observables[o] for o in self.config.observables), p.nll, p.id, step, k]
                                       for k, p in enumerate(self.points[i] for i in ids)])
                self.points = {i: self.points[i] for i in ids}
        self.objective.require_valid("AffineMC")

    def postprocess(self) -> None:
        """The acceptance, the autocorrelation time (the run should be many times longer), and the
        sample's means and widths without the first half (burn-in)."""
        steps = self.sampler.iteration if hasattr(self, "sampler") else 0
        if not steps:
            return
        kept = self.space.to_physical(self.sampler.get_chain(discard=steps // 2, flat=True))[:, self.space.free_index]
        names = [v.name for v in self.space.free]
        with np.errstate(invalid="ignore", divide="ignore"):  # walkers that never moved
            tau = self.sampler.get_autocorr_time(tol=0)  # steps between independent states of a walker
        self.result.update(chain_files="Results/Results.csv", walkers=self.walkers, steps=steps,
                           acceptance=round(float(np.mean(self.sampler.acceptance_fraction)), 4),
                           autocorrelation_steps=dict(zip(names, np.round(tau, 1).tolist())),
                           posterior_mean=dict(zip(names, kept.mean(axis=0).round(8).tolist())),
                           posterior_sd=dict(zip(names, kept.std(axis=0).round(8).tolist())))
