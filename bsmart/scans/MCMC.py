"""MCMC: BSMArt's Metropolis-Hastings scan, read from BSMArt's keys. Each chain steps by a
Gaussian of the variables' ``VARIANCE`` widths; the chains step together, one batch a step, so
that ``Cores`` workers evaluate them in parallel. A step outside the ranges is rejected without
running a code (BSMArt drew again, which biases the sample near the edges), and a chain's file
keeps each state with its weight, the steps it stayed there: a sample of the posterior
(likelihood x the declared priors), where BSMArt kept each state once."""

from __future__ import annotations

import math

import numpy as np

from bsmart.errors import ScanError
from bsmart.likelihood import log_likelihood
from bsmart.scans._chains import ChainState, chain_row, sample_statistics, spread_starts
from bsmart.scans.base import SAMPLE_SETTINGS, Scan
from bsmart.settings import Setting

DEFAULT_STEP = 0.1  # of a variable's range (in decades for LOG) when it gives no VARIANCE
MAX_IDLE_STEPS = 10_000  # steps in a row that all left the ranges: the widths are too large

__meta__ = {
    "name": "MCMC",
    "description": "Metropolis-Hastings chains: map the posterior (likelihood x prior) of a region.",
    "settings": {
        "Points": Setting(1000, int, "evaluations in all, the chains' starts included", minimum=1),
        "Valid Points": Setting(None, int, "stop once the chains have taken this many states (starts "
                                           "included)", minimum=1),
        "Chains": Setting(None, int, "chains, stepped together (one batch a step); default: Cores", minimum=1,
                          maximum=10_000),
        "Merge Results": Setting(False, bool, "one Results/MCMC_results file with a Chain column, instead of "
                                              "Results/MCMC_run_<chain>"),
        **SAMPLE_SETTINGS,
    },
    "variable settings": {  # keys of each variable in the Variables block, shown by `bsmart describe`
        "VARIANCE": f"the Gaussian step's width, in the variable's units (decades for LOG); default "
                    f"{DEFAULT_STEP:g} of its range",
    },
}


class NewScan(Scan):
    def initialise(self) -> None:
        self.chains = [ChainState(k) for k in range(self.settings.chains or self.config.cores)]
        missing = [v.name for v in self.space.free if v.step is None]
        if missing:
            self.log.info("MCMC: no VARIANCE for %s: steps of %g of the range", ", ".join(missing), DEFAULT_STEP)
        self.widths = np.array([v.unit_step or DEFAULT_STEP for v in self.space.free])
        sample = self.initial_sample()
        self.starts = list(spread_starts(*sample, len(self.chains))) if sample else []
        observables = list(self.config.observables)
        header = ["ID", *self.space.names, *observables, "Likelihood", "LogLike", "Weight"]
        self.row = lambda p, ll, w: chain_row(p, self.space.names, observables, ll, w)
        if self.settings.merge_results:
            merged = self.store.scan_table("Results/MCMC_results", [*header, "Chain"])
            self.write = lambda chain, rows: merged.write_rows([[*r, chain.index] for r in rows])
        else:
            files = [self.store.scan_table(f"Results/MCMC_run_{c.index}", header) for c in self.chains]
            self.write = lambda chain, rows: files[chain.index].write_rows(rows)

    def progress(self) -> tuple[int, int, str]:
        if self.settings.valid_points:
            return sum(c.accepted for c in self.chains), self.settings.valid_points, "states"
        return self.runner.evaluated, self.settings.points, "evaluations"

    def _finished(self) -> bool:
        if self.settings.valid_points and sum(c.accepted for c in self.chains) >= self.settings.valid_points:
            return True
        return self.runner.evaluated >= self.settings.points

    def run(self) -> None:
        iteration = idle = 0
        while not self._finished():
            proposals, budget = [], self.settings.points - self.runner.evaluated  # (chain, unit point)
            for chain in self.chains:
                if len(proposals) == budget:  # the last chains wait: no evaluation is left for them
                    break
                if chain.point is None:  # a start: the sample's next best, else anywhere
                    proposals.append((chain, self.starts.pop(0) if self.starts else self.space.sample_unit(
                        self.rng, 1)[0]))
                    continue
                chain.steps += 1
                step = chain.unit + self.rng.normal(0.0, self.widths)
                if np.all((step >= 0) & (step <= 1)):
                    proposals.append((chain, step))
                else:  # outside the prior: rejected, and no code runs
                    chain.weight += 1
            idle = 0 if proposals else idle + 1
            if idle > MAX_IDLE_STEPS:
                raise ScanError(f"MCMC: {MAX_IDLE_STEPS} steps in a row left the ranges: the VARIANCE widths are "
                                f"too large for them")
            points = self.evaluate(self.space.to_physical(np.array([u for _, u in proposals])), iteration) \
                if proposals else []
            for (chain, unit), point in zip(proposals, points):
                ll = log_likelihood(point.losses) if point.valid else -math.inf
                if chain.point is None:
                    if math.isfinite(ll):
                        chain.move(unit, point, ll)
                elif self.rng.random() < math.exp(min(0.0, ll - chain.log_likelihood)):
                    self.write(chain, [self.row(*chain.move(unit, point, ll))])
                else:
                    chain.weight += 1
            iteration += 1
        if not any(c.point is not None for c in self.chains):
            raise ScanError(f"MCMC: none of the {self.runner.evaluated} points tried had a likelihood, so no chain "
                            f"started")

    def postprocess(self) -> None:
        """The chains' last states, with their weights so far, and the sample's statistics."""
        for chain in (c for c in self.chains if c.point is not None):
            self.write(chain, [self.row(*chain.leave())])
        steps, states = sum(c.steps for c in self.chains), sum(c.accepted for c in self.chains)
        moves = sum(c.accepted - 1 for c in self.chains if c.accepted)
        self.result.update(chain_files="Results/MCMC_results" if self.settings.merge_results else
                           "Results/MCMC_run_<chain>", chains=len(self.chains), states=states,
                           acceptance=round(moves / steps, 4) if steps else None,
                           **sample_statistics(self.chains, [v.name for v in self.space.free],
                                               lambda u: self.space.to_physical(u)[:, self.space.free_index]))
