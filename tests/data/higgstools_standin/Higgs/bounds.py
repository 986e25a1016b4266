"""The stand-in's ``Higgs.bounds``."""
import os


class Limit:
    def __init__(self, particle):
        self.particle = particle

    def id(self):
        return 12045

    def reference(self):
        return "STANDIN-" + self.particle

    def processDesc(self):
        return "LHC13 [H]>[bb]"


class AppliedLimit:
    def __init__(self, particle, ratio):
        self._limit, self._ratio = Limit(particle), ratio

    def obsRatio(self):
        return self._ratio

    def limit(self):
        return self._limit


class Result:
    def __init__(self, ratios):
        self.selectedLimits = {p: AppliedLimit(p, r) for p, r in ratios.items()}
        self.allowed = all(r < 1 for r in ratios.values())


class Bounds:
    def __init__(self, dataset):
        if not os.path.isdir(dataset):
            raise RuntimeError("HiggsBounds dataset not found: " + dataset)

    def __call__(self, pred):
        d = pred.data
        ratios = {p: 0.5 * d["effc_%s_WW" % p] ** 2 * (125 / d["m_%s" % p]) ** 2 for p in pred.neutral}
        ratios.update({p: 10 * d["cxn_%s_brtHpb_LHC13" % p] for p in pred.charged})
        return Result(ratios)
