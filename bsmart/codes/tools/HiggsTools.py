"""HiggsTools, as BSMArt runs it: HiggsBounds' exclusion and HiggsSignals' chi^2 for the scalars
``Neutral Higgs`` and ``Charged Higgs`` (PDG codes), with the datasets ``HiggsBounds Dataset`` and
``HiggsSignals Dataset`` (folders), read from the point's spectrum (see :mod:`._higgs_input`;
``Invisible Particles`` lists the PDG codes that count as invisible).

``Block HIGGSTOOLS``: 1 HiggsBounds' verdict (1 allowed, 0 excluded), 2 its largest observed
ratio, 11 HiggsSignals' chi^2, 12 its number of observables, 13 the p-value of that chi^2, and for
each scalar with a selected limit, the scalar's PDG code -> that limit's observed ratio. With
``Signal Strengths``, BSMArt's signal strengths too: entry 1000 (n + 1) + 100 i + j is the rate of
the n-th neutral scalar in production channel i of PRODUCTIONS and decay j of DECAYS over an
SM-like scalar's of the same mass (0 where HiggsTools has no such channel).

Needs HiggsTools' Python package ``Higgs``, which is not on PyPI: build it from
https://gitlab.com/higgsbounds/higgstools (``pip install .`` in its source folder).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Mapping

from scipy.stats import chi2

from bsmart.codes.tools._higgs_input import higgs_input
from bsmart.codes.tools._library import LibraryTool, parse_pdgs
from bsmart.errors import ConfigError
from bsmart.settings import parse_bool

KEYS = {"HiggsBounds Dataset", "HiggsSignals Dataset", "Neutral Higgs", "Charged Higgs", "Invisible Particles",
        "Signal Strengths"}
NEEDS_COMMAND = False
_datasets: dict[tuple[str, str], tuple[Any, Any]] = {}  # per worker process: a dataset loads once
PRODUCTIONS = {"H": "LHC13", "HZ": "LHC13", "vbfH": "LHC13", "HW": "LHC13", "eeHZ": "LEP"}  # BSMArt's, in its order
DECAYS = ("bb", "ZZ", "WW", "gamgam", "gg", "mumu", "tautau")


class HiggsTools(LibraryTool):
    block = "HIGGSTOOLS"
    package = ("Higgs", "it is not on PyPI: build it from https://gitlab.com/higgsbounds/higgstools "
                        "(`pip install .` in its source folder)")

    def __init__(self, name: str, datasets: tuple[str, str], neutral: list[int], charged: list[int],
                 invisible: list[int], signal_strengths: bool = False, **kwargs: Any):
        super().__init__(name, **kwargs)
        self.datasets, self.neutral, self.charged, self.invisible = datasets, neutral, charged, invisible
        self.signal_strengths = signal_strengths

    def check(self) -> None:
        super().check()
        for key, path in zip(("HiggsBounds Dataset", "HiggsSignals Dataset"), self.datasets):
            if not Path(path).is_dir():
                raise ConfigError(f"no dataset folder {path}", where=f"Codes.{self.name}.{key}")

    def compute(self, spectrum: Any, env: Mapping[str, Any], workdir: Path) -> list[tuple[Any, float, str]]:
        import Higgs.bounds
        import Higgs.predictions
        import Higgs.signals
        from Higgs.tools.Input import predictionsFromDict

        if self.datasets not in _datasets:
            _datasets[self.datasets] = (Higgs.bounds.Bounds(self.datasets[0]), Higgs.signals.Signals(self.datasets[1]))
        bounds, signals = _datasets[self.datasets]
        data = higgs_input(spectrum, self.spectrum_path(workdir).read_text(), self.neutral, self.charged,
                           self.invisible, list(Higgs.predictions.Decay.__members__))
        predictions = predictionsFromDict(data, [str(p) for p in self.neutral], [str(p) for p in self.charged], [])
        hb, hs_chi2 = bounds(predictions), float(signals(predictions))
        count = int(signals.observableCount())
        limits = hb.selectedLimits
        largest = max((float(limit.obsRatio()) for limit in limits.values()), default=0.0)
        entries = [(1, int(hb.allowed), "HB result (0/1)"), (2, largest, "HB maximum obs ratio"),
                   (11, hs_chi2, "HS chi2"), (12, count, "HS number of observables"),
                   (13, float(chi2.sf(hs_chi2, count)), "BSMArt Inferred HS pval")]
        for particle, limit in limits.items():
            found = limit.limit()
            entries.append((int(particle), float(limit.obsRatio()),
                            f"ID: {found.id()}, ref: {found.reference()}: {found.processDesc()}"))
        if self.signal_strengths:
            entries += self._signal_strengths(predictions, data)
        return entries

    def _signal_strengths(self, predictions: Any, data: Mapping[str, Any]) -> list[tuple[Any, float, str]]:
        import Higgs.predictions as hp

        reference = hp.Predictions().addParticle(hp.NeutralScalar("hSM", "even"))
        entries = []
        for n, pdg in enumerate(self.neutral):
            reference.setMass(data[f"m_{pdg}"])  # then the SM-like couplings, at that mass
            hp.effectiveCouplingInput(reference, hp.scaledSMlikeEffCouplings(1.0), reference="SMHiggsEW")
            scalar = predictions.particle(str(pdg))
            for i, (production, collider) in enumerate(PRODUCTIONS.items()):
                for j, decay in enumerate(DECAYS):
                    try:
                        ratio = float(scalar.channelRate(collider, production, decay) /
                                      reference.channelRate(collider, production, decay))
                    except Exception:  # HiggsTools has no such channel (BSMArt: 0)
                        ratio = 0.0
                    entries.append((1000 * (n + 1) + 100 * i + j, ratio if math.isfinite(ratio) else 0.0,
                                    f"mueff for  {production} -> {pdg} -> {decay}"))
        return entries


def build(name: str, spec: Mapping[str, Any], common: dict[str, Any], ctx: Mapping[str, Any]) -> HiggsTools:
    file, where = ctx["file"], f"Codes.{name}"
    for key in ("HiggsBounds Dataset", "HiggsSignals Dataset", "Neutral Higgs", "Charged Higgs"):
        if key not in spec:
            raise ConfigError(f"HiggsTools needs \"{key}\"", file=file, where=where)
    signal_strengths = parse_bool(spec.get("Signal Strengths", False), f"{where}.Signal Strengths", file)
    datasets = tuple(os.path.expanduser(str(spec[k])) for k in ("HiggsBounds Dataset", "HiggsSignals Dataset"))
    pdgs = {key: parse_pdgs(spec.get(key, []), file, f"{where}.{key}")
            for key in ("Neutral Higgs", "Charged Higgs", "Invisible Particles")}
    return HiggsTools(name, datasets=datasets, neutral=pdgs["Neutral Higgs"], charged=pdgs["Charged Higgs"],
                      invisible=pdgs["Invisible Particles"], signal_strengths=signal_strengths,
                      spectrum_file=ctx["spectrum_file"], **common)
