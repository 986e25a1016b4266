"""MLS_RFR: a random-forest regressor of log(1+NLL) scores candidates by their predicted NLL.

Fast and robust, also with invalid regions; piecewise-constant predictions."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import MLScan, forest_settings, method_meta

__meta__ = method_meta("MLS_RFR",
                       "MLscanner: random-forest regressor of log(1+NLL)",
                       forest_settings(100, 30, bagged=True), regressor=True)


class NewScan(MLScan):
    kind = "regressor"
    learner = staticmethod(models.rf_regressor)
