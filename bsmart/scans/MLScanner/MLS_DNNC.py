"""MLS_DNNC: a torch MLP classifier scores candidates by their probability of being good.

Choose it for many points (10^4 and more), higher dimensions and curved regions; a GPU helps."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import DNN_SETTINGS, MLScan, method_meta

__meta__ = method_meta("MLS_DNNC",
                       "MLscanner: torch MLP classifier of good points (BCE, positive-class weight), SMOTE",
                       DNN_SETTINGS)


class NewScan(MLScan):
    kind = "classifier"
    learner = staticmethod(models.dnn_classifier)
    accumulated = "dnn_classifier"  # BSMArt's Accumulated_points_Model_dnn_classifier.csv
