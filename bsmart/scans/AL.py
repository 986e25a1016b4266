"""AL: BSMArt's active-learning scan (M. D. Goodsell, A. Joury, arXiv:2204.13950), read from its
keys in ``Networks``, run by the MLScanner loop: a torch classifier (``HiddenLayers`` of
``HiddenSize``) learns which points pass the observables' cuts (``TYPE`` ``UPPER``/``LOWER``/
``RANGE``/``USER``: a point is good when every cut passes), and each batch of ``K`` points is
picked from ``L`` uniform candidates and as many interpolated between the good points known
(BSMArt's ``FromGood`` drew candidates around them with the variables' ``VARIANCE``),
``Diversity Alpha`` of them spread over the region the network predicts good. The run ends after
``Points`` evaluations. BSMArt's SGD settings (``LearningRate``, ``SGDmomentum``, ``WeightDecay``,
``DSteps``, ``Epsilon``) are accepted and not used: the network is trained with AdamW and early
stopping, as in MLS_DNNC."""

from __future__ import annotations

import math

import numpy as np

from bsmart.config import RunConfig
from bsmart.likelihood import is_good
from bsmart.results import check_columns, read_points_csv
from bsmart.scans.MLScanner import models
from bsmart.scans.MLScanner.loop import CITATION, LOOP_SETTINGS, TranslatedScan, translated_settings
from bsmart.settings import Setting, Settings

AL_CITATION = "M. D. Goodsell, A. Joury, 'Active learning BSM parameter spaces', arXiv:2204.13950"
LABELLED = {"TestCSV": "test_accuracy", "Benchmark": "benchmark_accuracy"}  # BSMArt's labelled point sets
GOOD = math.log(2.0)  # BSMArt's AL: good when the product of the cuts (0 or 1) and USER values exceeds 0.5
_SGD = "accepted; BSMArt's SGD training setting: bsmart trains with AdamW and early stopping"

__meta__ = {
    "name": "AL",
    "description": "BSMArt's active-learning scan: a network classifier of the observables' cuts picks each batch.",
    "citation": f"{AL_CITATION}; {CITATION}",
    "settings": {
        "Points": Setting(1000, int, "evaluations in all", minimum=1),
        "InitCSV": LOOP_SETTINGS["InitCSV"],
        "Device": LOOP_SETTINGS["Device"],
        "K": Setting(10, int, "points per batch", block="Networks", minimum=1, maximum=10 ** 6),
        "Kinitial": Setting(None, int, "uniform points of the first batch (default: K)", block="Networks", minimum=1,
                            maximum=10 ** 6),
        "L": Setting(500, int, "candidates the network scores per batch", block="Networks", minimum=1,
                     maximum=10 ** 6),
        "HiddenLayers": Setting(3, int, "hidden layers of the network", block="Networks", minimum=1, maximum=100),
        "HiddenSize": Setting(300, int, "neurons per hidden layer", block="Networks", minimum=1, maximum=10 ** 5),
        "Diversity Alpha": Setting(0.75, float, "share of each batch's picks spread over the region the network "
                                                "predicts good (the rest: its best-scored candidates)",
                                   block="Networks", minimum=0.0, maximum=1.0),
        "FromGood": Setting(0.0, float, "accepted; candidates between the good points known are always scored "
                                        "(walks from them, MLS_DNNR's way, mislead a classifier)", block="Networks",
                            minimum=0.0, maximum=1.0),
        "LearningRate": Setting(1e-3, float, _SGD, block="Networks"),
        "SGDmomentum": Setting(0.1, float, _SGD, block="Networks"),
        "WeightDecay": Setting(0.0, float, _SGD, block="Networks"),
        "DSteps": Setting(5000, int, _SGD, block="Networks"),
        "Epsilon": Setting(1.0, float, _SGD, block="Networks"),
        "MLmodel": Setting(None, str, "accepted; the model is saved in the run folder's model/", block="Networks"),
        "FullTrain": Setting(0, int, "accepted; the network is retrained on every point after each batch",
                             block="Networks"),
        "AutoStop": Setting(True, bool, "accepted; the run ends after Points evaluations", block="Networks"),
        "TestCSV": Setting(None, str, "a CSV of points with the observables' (or an NLL) columns: the classifier's "
                                      "accuracy on them after each training is iterations.csv's test_accuracy"),
        "Benchmark": Setting(None, str, "the same, as benchmark_accuracy"),
        "Threshold_Value": Setting(GOOD, float, "a point is good when its NLL is below this: log 2, BSMArt's AL's "
                                                "'every cut passes' (Setup.Threshold wins)", block="Networks"),
    },
}


def _loop_settings(s: Settings) -> Settings:
    """The MLScanner loop's settings that run BSMArt's AL."""
    return translated_settings({
        "Points": s.points, "Max_Evaluations": s.points, "Bootstrap_Points": min(s.kinitial or s.k, s.points),
        "Points_Per_Iteration": s.k, "Candidate_Points": s.l, "InitCSV": s.initcsv, "Device": s.device,
        "Threshold_Value": s.threshold_value, "Exploration": s["Diversity Alpha"],
        "Neurons": (s.hiddensize,) * s.hiddenlayers, "TestCSV": s.testcsv, "Benchmark": s.benchmark,
    })


class NewScan(TranslatedScan):
    kind = "classifier"
    learner = staticmethod(models.dnn_classifier)
    target = "max_evaluations"
    translate = staticmethod(_loop_settings)

    @classmethod
    def check(cls, config: RunConfig, settings: Settings) -> None:
        super().check(config, settings)
        for key in LABELLED:
            if settings[key]:
                check_columns(config.existing_path(settings[key], f"Setup.{key}"), config.space, f"Setup.{key}",
                              need_nll=True, observables=config.observables)

    def initialise(self) -> None:
        super().initialise()
        self.labelled = {}  # column of iterations.csv -> (points, whether each is good)
        for key, column in LABELLED.items():
            if self.settings[key]:
                table = read_points_csv(self.config.resolve_path(self.settings[key]), self.space, need_nll=True,
                                        observables=self.config.observables, where=f"Setup.{key}")
                self.log.info("AL: %s: %s", key, table.report())
                self.labelled[column] = (self.space.to_unit(table.physical),
                                         is_good(table.nll, True, self.model.threshold))

    def extra_metrics(self) -> dict[str, float]:
        return {column: round(self.model.metrics(X, np.full(len(X), np.nan), good)["accuracy"], 6)
                for column, (X, good) in self.labelled.items()}

    def postprocess(self) -> None:
        super().postprocess()
        self.result.update(self.extra_metrics())
