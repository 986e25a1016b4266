"""The stand-in's ``Higgs.predictions``: the decay names HiggsTools knows, and the predictions."""
import enum

Decay = enum.Enum("Decay", "uu dd cc ss tt bb ee mumu tautau WW ZZ Zgam gamgam gg directInv emu etau mutau")


class Predictions:
    def __init__(self, data, neutral, charged):
        self.data, self.neutral, self.charged = dict(data), list(neutral), list(charged)
