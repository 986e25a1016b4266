"""ContourGP: BSMArt's Gaussian-process excursion-set scan (after Heinrich, Louppe and Cranmer's
"excursion"), in any number of variables. A Gaussian process (scikit-learn) learns the function
minus ``Threshold`` from the points evaluated so far; each iteration, among candidates the
process puts near the boundary f = Threshold, it evaluates those whose value would most reduce
the uncertainty about the boundary: the variance, weighted by how likely a reference point is to
lie on the boundary, that the candidate's value would remove (a batch is picked greedily, each
pick conditioning the process on the ones before). ``Results/boundary.csv`` holds points the last
process puts on the boundary, with its prediction and uncertainty there; the summary estimates
the share of the space it still puts on the wrong side."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel

from bsmart.config import RunConfig
from bsmart.errors import ScanError
from bsmart.scans._contour import FUNCTION_SETTINGS, ContourFunction, check_function, start_points
from bsmart.scans.base import Scan
from bsmart.settings import Setting, Settings

SAMPLE, BOUNDARY_ROWS = 20_000, 400  # the uniform sample the last process classifies; its rows kept

__meta__ = {
    "name": "ContourGP",
    "description": "Gaussian-process active learning of where a function crosses a value, in any dimension.",
    "settings": {
        **FUNCTION_SETTINGS,
        "Points": Setting(100, int, "evaluations in all", minimum=2),
        "Initial Points": Setting(5, int, "uniform points before the first process", minimum=2),
        "Batch Size": Setting(1, int, "points per iteration (BSMArt: 1); set it to Cores to use every core",
                              minimum=1, maximum=10_000),
        "Noise": Setting(None, float, "the function's noise variance (the process's alpha); default: none",
                         minimum=0),
        "Grid Size": Setting(100, int, "reference points on which the uncertainty about the boundary is "
                                       "measured", minimum=10, maximum=100_000),
        "Sample Size": Setting(50, int, "candidates scored per iteration", minimum=1, maximum=100_000),
        "Sample Multiplier": Setting(5, int, "the candidates are the Sample Size nearest the boundary of this "
                                             "many times as many uniform points", minimum=1, maximum=1000),
        "Fail Value": Setting(10.0, float, "the function's value at a failed point (BSMArt's 10)"),
    },
}


class NewScan(Scan):
    @classmethod
    def check(cls, config: RunConfig, settings: Settings) -> None:
        check_function(config, settings)

    def initialise(self) -> None:
        self.function = ContourFunction(self.settings)
        self.known, self.values = np.empty((0, len(self.space.free))), np.empty(0)
        self.misclassified: float | None = None

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.settings.points, "evaluations"

    def _evaluate(self, unit: np.ndarray, iteration: int) -> None:
        unit = unit[:self.settings.points - self.runner.evaluated]
        points = self.evaluate(self.space.to_physical(unit), iteration)
        values = np.array([self.function(p) for p in points]) - self.settings.threshold
        values[~np.isfinite(values)] = self.settings.fail_value  # as BSMArt: failed points weigh Fail Value
        self.known, self.values = np.vstack([self.known, unit]), np.r_[self.values, values]

    def _process(self) -> GaussianProcessRegressor:
        dim = self.known.shape[1]
        kernel = ConstantKernel() * RBF(length_scale=[0.1] * dim, length_scale_bounds=(0.01, 2.0))
        gp = GaussianProcessRegressor(kernel, alpha=self.settings.noise or 1e-8, normalize_y=True,
                                      n_restarts_optimizer=2, random_state=int(self.rng.integers(2 ** 31)))
        with warnings.catch_warnings():  # a length scale at its bound is no error
            warnings.simplefilter("ignore", ConvergenceWarning)
            return gp.fit(self.known, self.values)

    def _picks(self, gp: GaussianProcessRegressor, count: int) -> np.ndarray:
        """``count`` candidates that most reduce the boundary-weighted variance of the references."""
        settings, dim = self.settings, self.known.shape[1]
        pool = self.rng.random((settings.sample_size * settings.sample_multiplier, dim))
        mean, sd = gp.predict(pool, return_std=True)
        candidates = pool[np.argsort(np.abs(mean) / np.maximum(sd, 1e-12))[:settings.sample_size]]
        references = self.rng.random((settings.grid_size, dim))
        both = np.vstack([candidates, references])
        mean, cov = gp.predict(both, return_cov=True)
        sd = np.sqrt(np.maximum(np.diag(cov), 1e-300))
        weight = norm.pdf(mean / sd)[len(candidates):]  # references likely near the boundary count most
        noise, picks = self.settings.noise or 0.0, []
        floor = 1e-10 * float(np.diag(cov).max())  # below this a candidate's value is known already
        for _ in range(min(count, len(candidates))):
            own = np.diag(cov)[:len(candidates)] + noise
            gain = (weight[:, None] * cov[len(candidates):, :len(candidates)] ** 2).sum(axis=0)
            score = np.where(own > floor, gain / np.maximum(own, floor), -np.inf)
            score[picks] = -np.inf
            best = int(np.argmax(score))
            picks.append(best)
            cov = cov - np.outer(cov[:, best], cov[best, :]) / max(own[best], floor)
        return candidates[picks]

    def _boundary(self, gp: GaussianProcessRegressor) -> None:
        """The last process's boundary: the expected share of the space it puts on the wrong side,
        and the BOUNDARY_ROWS points of a uniform sample that it puts nearest the boundary."""
        sample = self.rng.random((SAMPLE, self.known.shape[1]))
        mean, sd = gp.predict(sample, return_std=True)
        above = norm.cdf(mean / np.maximum(sd, 1e-12))
        self.misclassified = float(np.mean(np.minimum(above, 1.0 - above)))
        nearest = np.argsort(np.abs(mean))[:BOUNDARY_ROWS]
        physical = self.space.to_physical(sample[nearest])
        table = self.store.scan_table("Results/boundary.csv", [*self.space.names, "Function", "Uncertainty"])
        table.write_rows([[*map(float, row), float(m + self.settings.threshold), float(u)]
                          for row, m, u in zip(physical, mean[nearest], sd[nearest])])

    def run(self) -> None:
        start = start_points(self)
        if start is None:
            start = self.space.sample_unit(self.rng, self.settings.initial_points)
        self._evaluate(start, 0)
        iteration = 0
        while self.runner.evaluated < self.settings.points:
            if np.ptp(self.values) == 0:
                failed = sum(self.runner.failures.values())
                raise ScanError(f"ContourGP: the function minus Threshold is {self.values[0]:g} at all "
                                f"{len(self.values)} points ({failed} failed): nothing to learn a boundary from; try "
                                f"more Initial Points")
            iteration += 1
            gp = self._process()
            self._evaluate(self._picks(gp, self.settings.batch_size), iteration)
        self._boundary(self._process())

    def postprocess(self) -> None:
        if self.misclassified is not None:
            self.result.update(misclassified=round(self.misclassified, 5), boundary_file="Results/boundary.csv")
            self.log.info("ContourGP: about %.2g%% of the space is still on the wrong side of the boundary",
                          100 * self.misclassified)
