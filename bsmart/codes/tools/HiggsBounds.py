"""HiggsBounds 4/5 as a program (see :mod:`._higgsbounds`): Block HIGGSBOUNDS, 101 the obsratio."""

from __future__ import annotations

from typing import Any, Mapping

from bsmart.codes.tools import _higgsbounds

KEYS = _higgsbounds.KEYS


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> Any:
    return _higgsbounds.build(name, spec, program, ctx, block="HIGGSBOUNDS", headline="obsratio",
                              options="LandH", output="HiggsBounds_results.dat")
