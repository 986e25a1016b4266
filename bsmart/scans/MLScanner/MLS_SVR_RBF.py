"""MLS_SVR_RBF: support-vector regressors (RBF kernel), by default one per used observable
(``Target: "Observables"``); candidates are scored by the NLL of the predicted values, and the
model's picks are spread over the whole region it predicts good (``Exploration`` 1).

A smooth kernel regressor of the observables predicts the good region where no good point has
been found yet (the NLL itself has a narrow valley there, which no model resolves from a few
points), so this is the method that both finds good points efficiently and covers the region:
see benchmarks/README.md. The fit costs O(n^2) to O(n^3), so it suits runs of a few thousand
points. ``Target: "NLL"`` gives BSMArt's regressor of log(1+NLL)."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import MLScan, method_meta, svr_settings

__meta__ = method_meta("MLS_SVR_RBF", "MLscanner: support-vector regressors (RBF kernel) of the observables",
                       svr_settings(10.0), regressor=True,
                       defaults={"Target": "Observables", "Exploration": 1.0, "Epsilon": 0.01,
                                 "Local_Candidates": True, "Local_Steps": 5})


class NewScan(MLScan):
    kind = "regressor"
    learner = staticmethod(models.svr_rbf)
