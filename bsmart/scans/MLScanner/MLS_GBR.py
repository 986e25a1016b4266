"""MLS_GBR: gradient-boosted trees regress log(1+NLL); candidates scored by predicted NLL.

Defaults differ from BSMArt's code (LearningRate 0.01, Max_Depth 30), which left predictions
shrunk toward the mean NLL; these are the values its documentation gives and a depth that
boosting can use."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import MLScan, forest_settings, method_meta
from bsmart.settings import Setting

__meta__ = method_meta("MLS_GBR", "MLscanner: gradient-boosting regressor of log(1+NLL)", {
    **forest_settings(100, 5),
    "LearningRate": Setting(0.1, float, "boosting learning rate (shrinkage)", block="Networks", minimum=0.0),
    "Subsample": Setting(1.0, float, "fraction of points per tree", block="Networks", minimum=0.0, maximum=1.0),
}, regressor=True)


class NewScan(MLScan):
    kind = "regressor"
    learner = staticmethod(models.gb_regressor)
