"""A point's spectrum as HiggsTools' input dictionary (the keys of
``Higgs.tools.Input.predictionsFromDict``: ``m_25``, ``w_25``, ``br_25_bb``, ``effc_25_WW``, ...), as
BSMArt builds it: masses, mass uncertainties (``DMASS``, else 3 GeV), widths, two-body decays
(decays into invisible particles summed as ``directInv``), the HiggsBounds-5 effective couplings
(``HiggsCouplingsBosons`` / ``HiggsCouplingsFermions`` or SPheno's ``HiggsBoundsInput...`` blocks),
the CP of each neutral scalar from them, LEP pair production and top decays to charged scalars.

The coupling blocks put the value first (``value n pdg pdg pdg``), which no SLHA reader keeps as
written, so they are read from the file's text here.
"""

from __future__ import annotations

import re
from itertools import combinations_with_replacement
from typing import Any, Sequence

import numpy as np

from bsmart.errors import CodeError
from bsmart.slha import section_name, slha_value

FERMIONS = {1: "d", 2: "u", 3: "s", 4: "c", 5: "b", 6: "t", 11: "e", 13: "mu", 15: "tau"}
NEUTRINOS = (12, 14, 16)
BOSONS = {21: "g", 22: "gam", 23: "Z", 24: "W"}
INVISIBLE_WIDTH = 1e-10  # GeV: without "Invisible Particles", lighter-width BSM states count as invisible
DEFAULT_MASS_UNCERTAINTY = 3.0  # GeV, BSMArt's
_DECAY_HEADER = re.compile(r"^\s*DECAY\s+([-+]?\d+)", re.IGNORECASE | re.MULTILINE)


def coupling_blocks(text: str) -> tuple[dict[tuple[int, ...], float], dict[tuple[int, ...], tuple[float, float]]]:
    """The boson couplings {sorted pdgs: value} and fermion couplings {sorted pdgs: (scalar, pseudoscalar)}."""
    bosons: dict[tuple[int, ...], float] = {}
    fermions: dict[tuple[int, ...], tuple[float, float]] = {}
    block = ""
    for line in text.splitlines():
        section = section_name(line)
        if section is not None:
            block = section
            continue
        items = line.partition("#")[0].split()
        if items and block.endswith("HIGGSCOUPLINGSBOSONS"):
            n = int(items[1])
            bosons[tuple(sorted(int(p) for p in items[2:2 + n]))] = float(items[0])
        elif items and block.endswith("HIGGSCOUPLINGSFERMIONS"):
            n = int(items[2])
            fermions[tuple(sorted(int(p) for p in items[3:3 + n]))] = (float(items[0]), float(items[1]))
    return bosons, fermions


def higgs_input(doc: Any, text: str, neutral: Sequence[int], charged: Sequence[int], invisible: Sequence[int],
                decay_names: Sequence[str]) -> dict[str, float]:
    """HiggsTools' input for one point; ``decay_names``: ``Higgs.predictions.Decay``'s members."""
    # pyslha also lists every state of Block MASS among the decays (width 0): only a DECAY line
    # says a width is known, and only a known zero width makes a state invisible (as in BSMArt)
    with_decay = {abs(int(pdg)) for pdg in _DECAY_HEADER.findall(text)}
    if not all(abs(p) in with_decay for p in (*neutral, *charged)):
        raise CodeError(f"HiggsTools needs a DECAY block for each of {[*neutral, *charged]}")
    bosons, fermions = coupling_blocks(text)
    if neutral and not bosons:
        raise CodeError("no HiggsCouplingsBosons/HiggsCouplingsFermions blocks (SPheno: set SPhenoInput 76)")
    uncertainties = dict(doc.blocks["DMASS"].items()) if "DMASS" in doc.blocks else {}
    data: dict[str, float] = {}
    for p in (*neutral, *charged):
        data[f"m_{p}"] = slha_value(doc, "MASS", (p,))
        data[f"dm_{p}"] = float(uncertainties.get(p, DEFAULT_MASS_UNCERTAINTY))
        data[f"w_{p}"] = float(doc.decays[p].totalwidth)
    if not invisible:
        invisible = [*NEUTRINOS, *(k for k, d in doc.decays.items()
                                   if abs(k) > 15 and abs(k) in with_decay and d.totalwidth < INVISIBLE_WIDTH)]
    named = {**FERMIONS, **dict.fromkeys(NEUTRINOS, "nu"), **BOSONS}
    for p in (*neutral, *charged):
        hidden = 0.0
        for decay in (d for d in doc.decays[p].decays if len(d.ids) == 2):
            a, b = sorted(abs(i) for i in decay.ids)
            if a in invisible and b in invisible:
                hidden += decay.br
            elif a in named and b in named:
                pair = next((x for x in (named[a] + named[b], named[b] + named[a]) if x in decay_names), None)
                key = f"br_{p}_{pair}" if pair else f"unknown_br_{p}_{named[a]}_{named[b]}"
                data[key] = data.get(key, 0.0) + decay.br
            else:
                sm, other = (a, b) if a in named else (b, a)
                key = f"br_{p}_{named[sm]}_{other}" if sm in named else f"br_{p}_{a}_{b}"
                data[key] = data.get(key, 0.0) + decay.br
        if p in neutral:
            data[f"br_{p}_directInv"] = hidden
    for p in neutral:
        for v, name in BOSONS.items():
            data[f"effc_{p}_{name}{name}"] = bosons.get(tuple(sorted((p, v, v))), 0.0)
        even, odd = zip(*(fermions.get(tuple(sorted((p, f, f))), (0.0, 0.0)) for f in FERMIONS))
        for f, s, ps in zip(FERMIONS.values(), even, odd):
            data[f"effc_{p}_{f}{f}_s"], data[f"effc_{p}_{f}{f}_p"] = s, ps
        data[f"CP_{p}"] = int(np.allclose(odd, 0)) - int(np.allclose(even, 0))
    for a, b in combinations_with_replacement(neutral, 2):
        data[f"paircxn_{a}_{b}_LEP"] = bosons.get(tuple(sorted((a, b, 23))), 0.0) ** 2
    top = {max(abs(i) for i in d.ids): d.br for d in doc.decays[6].decays
           if len(d.ids) == 2 and 5 in map(abs, d.ids)} if 6 in doc.decays else {}
    data.update((f"cxn_{p}_brtHpb_LHC13", top.get(p, 0.0)) for p in charged)
    return data
