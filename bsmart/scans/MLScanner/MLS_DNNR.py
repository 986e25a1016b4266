"""MLS_DNNR: a torch MLP regressor of log(1+NLL) scores candidates by their predicted NLL.

Choose it when the NLL varies smoothly, so that how far a point is from good is informative."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import DNN_SETTINGS, MLScan, method_meta

__meta__ = method_meta("MLS_DNNR",
                       "MLscanner: torch MLP regressor of log(1+NLL)",
                       DNN_SETTINGS, regressor=True)


class NewScan(MLScan):
    kind = "regressor"
    learner = staticmethod(models.dnn_regressor)
