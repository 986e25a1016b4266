"""DLScanner: BSMArt's port of DLScanner (A. Hammad, R. Ramos, arXiv:2412.19675), read from its
keys in ``Networks``, run by the MLScanner loop: a torch MLP (``Hidden_Layers`` of ``Neurons``)
classifies points as good (NLL below ``Threshold``) or, with ``Method`` ``Regressor``, learns the
NLL; each batch of ``K`` points is picked from ``L`` candidates, a share ``Vegas_Frac`` of them
drawn through a vegas map adapted to where the good points known lie, with ``Random_Points``
uniform points. It ends after ``Iterations`` batches or ``Setup.Points`` evaluations."""

from __future__ import annotations

from typing import Any

from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import CITATION, LOOP_SETTINGS, TranslatedScan, translated_settings
from bsmart.settings import Setting, Settings

DLS_CITATION = "A. Hammad, R. Ramos, 'DLScanner: A parameter space scanner package assisted by deep learning " \
               "methods', arXiv:2412.19675"


def _networks(default: Any, kind: type, meaning: str, **limits: Any) -> Setting:
    return Setting(default, kind, meaning, block="Networks", **limits)


__meta__ = {
    "name": "DLScanner",
    "description": "BSMArt's DLScanner: an MLP picks each batch from candidates partly drawn through a vegas map.",
    "citation": f"{DLS_CITATION}; {CITATION}",
    "settings": {
        "Points": Setting(1000, int, "evaluations in all (the first K uniform points included)", minimum=1),
        "InitCSV": LOOP_SETTINGS["InitCSV"],
        "Device": LOOP_SETTINGS["Device"],
        "Iterations": _networks(100, int, "batches after the first", minimum=1),
        "Method": _networks("Classifier", str, "what the network learns: good or not (Classifier), or the NLL",
                            choices=("Classifier", "Regressor")),
        "K": _networks(10, int, "points per batch (also the first, uniform, batch)", minimum=1, maximum=10 ** 6),
        "L": _networks(500, int, "candidates the network scores per batch", minimum=1, maximum=10 ** 6),
        "Threshold": _networks(10.0, float, "a point is good when its NLL is below this (Setup.Threshold wins)"),
        "Hidden_Layers": _networks(3, int, "hidden layers of the network", minimum=1, maximum=100),
        "Neurons": _networks(100, int, "neurons per hidden layer", minimum=1, maximum=10 ** 5),
        "Epochs": _networks(250, int, "maximum epochs per training; early stopping usually ends sooner", minimum=1),
        "Batch Size": _networks(32, int, "mini-batch size", minimum=1),
        "LearningRate": _networks(1e-2, float, "AdamW learning rate", minimum=0.0),
        "WeightDecay": _networks(1e-4, float, "accepted; bsmart's networks use AdamW's weight decay 1e-4"),
        "Use_Vegas_Map": _networks(True, bool, "draw a share of the candidates through the vegas map"),
        "Vegas_Frac": _networks(0.1, float, "that share", minimum=0.0, maximum=1.0),
        "Vegas_Ninc": _networks(100, int, "increments per variable of the vegas map", minimum=2, maximum=10_000),
        "Random_Points": _networks(None, int, "uniform points per batch; default: K/10, rounded", minimum=0),
        "Verbose": _networks(False, bool, "log the network's training details"),
    },
}


def _loop_settings(s: Settings) -> Settings:
    """The MLScanner loop's settings that run BSMArt's DLScanner."""
    random_points = round(s.k / 10) if s.random_points is None else min(s.random_points, s.k)
    return translated_settings({
        "Method": s.method, "Points": s.points, "Max_Evaluations": s.points, "Iterations": s.iterations,
        "Bootstrap_Points": min(s.k, s.points), "Points_Per_Iteration": s.k, "Candidate_Points": s.l,
        "Random_Fraction": random_points / s.k, "Threshold_Value": s.threshold, "InitCSV": s.initcsv,
        "Device": s.device, "Neurons": (s.neurons,) * s.hidden_layers, "Epochs": s.epochs,
        "Batch Size": s.batch_size, "LearningRate": s.learningrate, "Verbose": s.verbose,
        "Vegas_Fraction": s.vegas_frac if s.use_vegas_map else 0.0, "Vegas_Increments": s.vegas_ninc,
    })


def _learner(s: Settings, seed: int, device: str, cores: int) -> Any:
    factory = models.dnn_classifier if s["Method"] == "Classifier" else models.dnn_regressor
    return factory(s, seed, device, cores)


class NewScan(TranslatedScan):
    learner = staticmethod(_learner)
    translate = staticmethod(_loop_settings)
    threshold_setting = "Threshold"

    @property
    def target(self) -> str:
        """The stop that comes first is the run's goal: its Iterations, or its Points."""
        s = self.settings
        return "iterations" if (s.iterations + 1) * s.points_per_iteration <= s.max_evaluations else \
            "max_evaluations"

    @property
    def kind(self) -> str:
        return "classifier" if self.settings["Method"] == "Classifier" else "regressor"
