"""The stand-in's ``Higgs.predictions``: the decay names HiggsTools knows, the predictions made
from the input dictionary, and the calls BSMArt's signal strengths use (a reference scalar with
SM-like couplings). Made-up rates: a scalar's channelRate(collider, production, decay) is
effc_WW^2 * BR(decay) (HZ, vbfH, HW and LEP's eeHZ: the same); the SM-like reference's is
k^2 * SM_BR[decay]; a production at the wrong collider raises, as HiggsTools does."""
import enum

Decay = enum.Enum("Decay", "uu dd cc ss tt bb ee mumu tautau WW ZZ Zgam gamgam gg directInv emu etau mutau")
SM_BR = {"bb": 0.58, "ZZ": 0.026, "WW": 0.215, "gamgam": 0.0023, "gg": 0.082, "mumu": 0.0002, "tautau": 0.063}
COLLIDER = {"H": "LHC13", "HZ": "LHC13", "vbfH": "LHC13", "HW": "LHC13", "eeHZ": "LEP"}


def _check(collider, production):
    if COLLIDER.get(production) != collider:
        raise RuntimeError("invalid production channel %s at %s" % (production, collider))


class _FromDict:
    def __init__(self, data, pdg):
        self.data, self.pdg = data, pdg

    def channelRate(self, collider, production, decay):
        _check(collider, production)
        return self.data["effc_%s_WW" % self.pdg] ** 2 * self.data.get("br_%s_%s" % (self.pdg, decay), 0.0)


class NeutralScalar:
    def __init__(self, name, cp):
        self.name, self.cp, self.mass, self.coupling = name, cp, None, None

    def setMass(self, mass):
        self.mass = float(mass)

    def channelRate(self, collider, production, decay):
        _check(collider, production)
        if self.mass is None or self.coupling is None:
            raise RuntimeError("no mass or couplings set for " + self.name)
        return self.coupling ** 2 * SM_BR[decay]


def scaledSMlikeEffCouplings(factor):
    return factor


def effectiveCouplingInput(particle, couplings, reference="SMHiggs"):
    particle.coupling = couplings


class Predictions:
    def __init__(self, data=None, neutral=(), charged=()):
        self.data, self.neutral, self.charged = dict(data or {}), list(neutral), list(charged)

    def addParticle(self, particle):
        return particle

    def particle(self, pdg):
        if pdg not in self.neutral + self.charged:
            raise RuntimeError("no particle " + pdg)
        return _FromDict(self.data, pdg)
