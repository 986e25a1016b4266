"""BSMArt's tool-class interface, for user tools written for BSMArt (``./Tools/<Name>.py``
defining ``NewTool(HepTool)``): bsmart runs them through :mod:`bsmart.codes.tools._user_tool`."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

__all__ = ["DataPoint", "HepTool"]


class DataPoint:
    """The point a tool runs on: ``inputs`` (the variables' values in order), ``get_var_dict()``,
    ``obs_dict`` (values a tool sets directly), ``spc`` (the spectrum, a :class:`bsmart.zslha.SLHA`)."""

    def __init__(self, ID: int, inputs: list | None = None, var_dict: dict | None = None):  # noqa: N803
        self.ID = ID
        self.inputs = list(inputs or [])
        self.var_dict = dict(var_dict or {})
        self.varnames = list(self.var_dict)
        self.obs_dict: OrderedDict[str, Any] = OrderedDict()
        self.spc: Any = None
        self.valid = False

    def get_var_dict(self, var_names: list | None = None) -> dict:
        return dict(self.var_dict)

    def get_all_dict(self) -> dict:
        return {**self.var_dict, **self.obs_dict}


class HepTool:
    """Base of a user tool: ``run(spc_file, temp_dir, log, data_point)`` is called in the point's
    folder; it adds its results to ``data_point.spc`` (blocks), to ``data_point.obs_dict``, or
    appends a block to the spectrum file ``spc_file``."""

    def __init__(self, name: str, settings: dict, global_settings: Any = None):
        self.name = name
        self.settings = settings
        self.citations = None
        self.no_slha_output = bool(getattr(global_settings, "no_slha_output", False))

    def run(self, spc_file: str, temp_dir: str, log: Any, data_point: DataPoint) -> None:
        raise NotImplementedError(f"the tool {self.name} must define run(spc_file, temp_dir, log, data_point)")
