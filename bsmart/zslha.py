"""BSMArt's ``zslha`` interface, for user tools written for BSMArt (``./Tools/<Name>.py``):
``zslha.read(path)`` and ``SLHA`` objects with ``blocks`` (block name -> entry key as a string,
``"1"`` or ``"1,2"`` -> value), ``blockcomments``, ``widths``, ``br`` and ``Value``. Parsing is
pyslha's; only the parts of BSMArt's interface that tools use are here."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

__all__ = ["SLHA", "read"]


def _key(number: Any) -> str:
    if isinstance(number, (list, tuple)):
        return ",".join(str(int(n)) for n in number)
    return str(number)


class SLHA:
    def __init__(self, spc: "SLHA | None" = None):
        self.blocks: OrderedDict[str, OrderedDict[str, Any]] = OrderedDict()
        self.blockcomments: OrderedDict[str, OrderedDict[str, str]] = OrderedDict()
        self.widths: dict[int, float] = {}
        self.br: dict[int, dict[tuple[int, ...], float]] = {}
        if spc is not None:
            self.add(spc)

    def add(self, extra: "SLHA") -> None:
        for name, entries in extra.blocks.items():
            self.blocks[name] = OrderedDict(entries)
        for name, comments in extra.blockcomments.items():
            self.blockcomments[name] = OrderedDict(comments)
        self.widths.update(extra.widths)
        self.br.update(extra.br)

    def Value(self, block: str, number: Any) -> Any:  # noqa: N802 - BSMArt's name
        block = block.upper()
        if block == "WIDTH":
            return self.widths[int(number[0] if isinstance(number, (list, tuple)) else number)]
        if block == "BR":
            return self.br[int(number[0])][tuple(sorted(int(n) for n in number[1]))]
        return self.blocks[block][_key(number)]

    def safeValue(self, block: str, number: Any, returnval: float = 0.0) -> Any:  # noqa: N802
        try:
            return self.Value(block, number)
        except (KeyError, IndexError, TypeError, ValueError):
            return returnval

    def Width(self, pdg: int) -> float:  # noqa: N802
        return self.widths[pdg]

    def BR(self, init: int, final: Any) -> float:  # noqa: N802
        return self.br[init][tuple(sorted(final))]


def from_pyslha(doc: Any) -> SLHA:
    spc = SLHA()
    for name, block in doc.blocks.items():
        spc.blocks[name.upper()] = OrderedDict((_key(k), v) for k, v in block.items())
    for pdg, particle in doc.decays.items():
        spc.widths[pdg] = particle.totalwidth
        spc.br[pdg] = {tuple(sorted(d.ids)): d.br for d in particle.decays}
    return spc


def to_slha_text(spc: SLHA) -> str:
    """The blocks of ``spc`` as SLHA text (decays are left to the files they came from)."""
    from bsmart.slha import block_text

    return "".join(block_text(name, [(tuple(str(key).split(",")), value, spc.blockcomments.get(name, {}).get(key, ""))
                                     for key, value in entries.items()])
                   for name, entries in spc.blocks.items())


def read(file: str, separator: Any = None, verbose: bool = False, firstblock: Any = None) -> SLHA:
    from bsmart.slha import read_slha

    return from_pyslha(read_slha(file))
