"""MLS_DNNR: torch MLP regressors, by default one per used observable (``Target:
"Observables"``); candidates are scored by the NLL of the predicted values, and every pick of
the model is spread over the region it predicts good (``Exploration`` 1), among candidates that
walk there from the known good points (``Local_Candidates`` with 30 ``Local_Steps``, 10
``Local_Walkers`` per pick: as many evaluations and as much coverage as 20 000 walkers, at half
the wall time). Its batches start at ``Bootstrap_Points`` and grow by ``Retrain_Growth`` of the
known points (``Growing_Batches``): its networks need several hundred points before they
predict the region, and picking fewer points with each network before then took 8-12 % fewer
evaluations to 1000 good points on F3d, F3d_invalid and the shells (benchmarks/README.md).

The network of a smooth observable predicts the good region where no good point has been found
yet, and the walks carry candidates along it in any number of dimensions, so this method covers
the whole region (2 to 20 dimensions, disjoint parts) where the others pile their points onto
what they have seen: see benchmarks/README.md. ``Target: "NLL"`` gives BSMArt's regressor of
log(1+NLL)."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import DNN_SETTINGS, OBSERVABLE_NETWORK_DEFAULTS, MLScan, method_meta

__meta__ = method_meta("MLS_DNNR", "MLscanner: torch MLP regressors of the observables", DNN_SETTINGS,
                       regressor=True, defaults=OBSERVABLE_NETWORK_DEFAULTS)


class NewScan(MLScan):
    kind = "regressor"
    learner = staticmethod(models.dnn_regressor)
