"""MLS: BSMArt's older machine-learning scan (xBIT, arXiv:1906.03277), read from its keys in
``Setup``, run by the MLScanner loop: a first batch of 5 x ``Points`` uniform points, then
``Iterations`` - 1 batches of ``Points``, each chosen by a network (``Neurons`` layers, ``LR``,
``Epochs``) that learns the likelihood (``TrainLH``) or the observables, with 10 % random
points, as xBIT does. ``DensityPenalty`` keeps the picks apart: they are spread over the region
the network predicts good, from candidates that walk over it (MLS_DNNR's way), instead of
xBIT's penalty on each candidate's distance to the nearest known point."""

from __future__ import annotations

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.MLS_DNNR import __meta__ as DNNR
from bsmart.scans.MLScanner.loop import CITATION, LOOP_SETTINGS, TranslatedScan, translated_settings
from bsmart.settings import Setting, Settings

XBIT_CITATION = "F. Staub, 'xBIT: an easy to use scanning tool with machine learning abilities', arXiv:1906.03277"
FIRST_BATCH = 5  # xBIT's first batch: 5 x Points uniform points
RANDOM_SHARE = 0.1  # xBIT's share of random points in each later batch

__meta__ = {
    "name": "MLS",
    "description": "BSMArt's xBIT-style scan: a network picks each batch of a fixed number of iterations.",
    "citation": f"{XBIT_CITATION}; {CITATION}",
    "settings": {
        "Points": Setting(100, int, "points per batch (the first batch has 5 x Points)", minimum=1, maximum=10 ** 6),
        "Iterations": Setting(20, int, "batches in all, the first (uniform) one included", minimum=1),
        "Epochs": Setting(500, int, "maximum epochs per training (early stopping usually ends sooner)", minimum=1),
        "Neurons": Setting((50, 50, 50), list, "the widths of the network's hidden layers", minimum=1,
                           maximum=10 ** 5),
        "LR": Setting(1e-3, float, "learning rate", minimum=0.0),
        "TrainLH": Setting(True, bool, "learn the likelihood (True) or the used observables' values (False)"),
        "DensityPenalty": Setting("True", str, "keep the picks apart (BSMArt: a penalty weight such as 0.1, or "
                                               "True/False)"),
        "Classifier": Setting(False, bool, "accepted; no separate classifier is needed: the network learns failed "
                                           "points as the worst"),
        "LogLike": Setting(True, bool, "accepted; the network always learns the log of the likelihood (the NLL)"),
        "InitCSV": LOOP_SETTINGS["InitCSV"],
        "Device": LOOP_SETTINGS["Device"],
        "Candidate_Points": Setting(10_000, int, "candidates the network scores per batch", block="Networks",
                                    minimum=1, maximum=10 ** 6),
        "Threshold_Value": LOOP_SETTINGS["Threshold_Value"],
    },
}


def _loop_settings(s: Settings) -> Settings:
    """The MLScanner loop's settings that run BSMArt's MLS."""
    spread = s.densitypenalty.strip().lower() not in ("false", "0", "0.0", "no", "off", "none", "")
    budget = (FIRST_BATCH + s.iterations - 1) * s.points
    return translated_settings({
        "Points": budget, "Iterations": s.iterations - 1, "Max_Evaluations": budget,
        "Bootstrap_Points": FIRST_BATCH * s.points, "Points_Per_Iteration": s.points,
        "Random_Fraction": RANDOM_SHARE, "Candidate_Points": s.candidate_points, "InitCSV": s.initcsv,
        "Device": s.device, "Threshold_Value": s.threshold_value,
        "Exploration": 1.0 if spread else 0.0, "Local_Candidates": spread,
        "Local_Steps": DNNR["settings"]["Local_Steps"].default,
        "Target": "NLL" if s.trainlh else "Observables",
        "Neurons": s.neurons, "Epochs": s.epochs, "LearningRate": s.lr,
    })


class NewScan(TranslatedScan):
    kind = "regressor"
    learner = staticmethod(models.dnn_regressor)
    target = "iterations"
    translate = staticmethod(_loop_settings)
