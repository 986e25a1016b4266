"""Random: uniform sampling of the declared space (log variables uniform in log)."""

from __future__ import annotations

from bsmart.scans.base import Scan
from bsmart.settings import Setting

__meta__ = {
    "name": "Random",
    "description": "Uniform random sampling; the baseline, and a seed for other scans.",
    "settings": {
        "Points": Setting(1000, int, "number of points to evaluate", minimum=1),
        "Batch_size": Setting(200, int, "points per batch (results are flushed after each)", minimum=1,
                              maximum=10 ** 6),
    },
}


class NewScan(Scan):
    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, self.settings.points, "evaluations"

    def run(self) -> None:
        remaining, iteration = self.settings.points, 0
        while remaining > 0:
            n = min(self.settings.batch_size, remaining)
            self.evaluate(self.space.sample(self.rng, n), iteration)
            remaining -= n
            iteration += 1
