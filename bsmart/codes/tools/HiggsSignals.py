"""HiggsSignals 1/2 as a program (see :mod:`._higgsbounds`): Block HIGGSSIGNALS, 101 the P-value."""

from __future__ import annotations

from typing import Any, Mapping

from bsmart.codes.tools import _higgsbounds

KEYS = _higgsbounds.KEYS


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> Any:
    return _higgsbounds.build(name, spec, program, ctx, block="HIGGSSIGNALS", headline="Pvalue",
                              options="latestresults 2", output="HiggsSignals_results.dat", signals=True)
