"""MLS_RFC: a random-forest classifier scores candidates by their probability of being good.

Fast, robust, no tuning; boxy decision boundaries, so less precise on thin curved regions."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import MLScan, forest_settings, method_meta

__meta__ = method_meta("MLS_RFC",
                       "MLscanner: random-forest classifier of good points",
                       forest_settings(300, 50, bagged=True))


class NewScan(MLScan):
    kind = "classifier"
    learner = staticmethod(models.rf_classifier)
