"""MLS_DNNC: torch MLP classifiers, by default one per used observable (``Target:
"Observables"``) that learns on which side of the observable's window each point lies;
candidates are scored by the probability of lying inside every window, given each network's
error on its held-out points, and every pick of the model is spread over the region it believes
good (``Exploration`` 1), among candidates that walk there from the known good points, in batches
that grow while the networks learn: MLS_DNNR's defaults (``Local_Candidates``, 30
``Local_Steps``, 10 ``Local_Walkers`` per pick, ``Growing_Batches``).

A classifier of good points (``Target: "Good"``, BSMArt's) knows the good region only around
the good points found, so it piles its picks there; bad points below and above a thin region
are everywhere, so the boundary between the sides is learnt where no good point is known yet
and the picks cover the whole region: see benchmarks/README.md."""

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import (DNN_CLASSIFIER_SETTINGS, DNN_SETTINGS, OBSERVABLE_NETWORK_DEFAULTS, MLScan,
                                         method_meta)

__meta__ = method_meta("MLS_DNNC", "MLscanner: torch MLP classifiers of the sides of each observable's window",
                       {**DNN_SETTINGS, **DNN_CLASSIFIER_SETTINGS}, defaults=OBSERVABLE_NETWORK_DEFAULTS)


class NewScan(MLScan):
    kind = "classifier"
    learner = staticmethod(models.dnn_classifier)
    accumulated = "dnn_classifier"  # BSMArt's Accumulated_points_Model_dnn_classifier.csv
