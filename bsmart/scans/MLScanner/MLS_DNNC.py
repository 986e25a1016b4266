"""MLS_DNNC: a torch MLP classifier scores candidates by their probability of being good.

Best general choice: smooth or curved good regions in a few to tens of dimensions."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import MLScan, method_meta, DNN_SETTINGS

__meta__ = method_meta("MLS_DNNC", "MLscanner: torch MLP classifier of good points (BCE, positive-class weight), SMOTE", DNN_SETTINGS)


class NewScan(MLScan):
    kind = "classifier"
    learner = staticmethod(models.dnn_classifier)
