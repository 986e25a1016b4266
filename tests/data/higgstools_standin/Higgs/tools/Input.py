"""The stand-in's ``Higgs.tools.Input.predictionsFromDict``: checks the input as HiggsTools does."""
from Higgs.predictions import Predictions


def predictionsFromDict(data, neutralIds, singleChargedIds, doubleChargedIds, **options):
    for p in neutralIds:
        for key in ("CP", "m", "w"):
            if "%s_%s" % (key, p) not in data:
                raise ValueError("no %s given for particle %s" % (key, p))
    for p in singleChargedIds:
        if "m_%s" % p not in data or "w_%s" % p not in data:
            raise ValueError("no mass or width given for particle %s" % p)
    return Predictions(data, neutralIds, singleChargedIds)
