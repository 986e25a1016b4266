"""User tools as BSMArt runs them: a code named ``<Name>`` with no ``Command`` or ``Function``,
and a file ``Tools/<Name>.py`` next to the input file defining ``NewTool(HepTool)``. Each point
gets an instance's ``run(spc_file, temp_dir, log, data_point)`` in the point's folder, in a
worker process; what the tool adds to ``data_point.spc``, to the spectrum file or to
``data_point.obs_dict`` is read back. Tools written before BSMArt became a package (``import
zslha``, ``from HEPRun import HepTool``) are given bsmart's versions of those modules."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import types
from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.base import Code, CodeOutput
from bsmart.codes.tools._library import DEFAULT_SPECTRUM
from bsmart.errors import CodeError, ConfigError, describe
from bsmart.slha import parse_slha, read_slha

_LOADED: dict[tuple, Any] = {}  # (path, modification time, size) -> the tool instance, once per process


def _load(path: Path, name: str, settings: Mapping[str, Any], cores: int) -> Any:
    from bsmart import HEPRun, zslha

    for alias, module in (("HEPRun", HEPRun), ("zslha", zslha), ("debug", types.ModuleType("debug"))):
        sys.modules.setdefault(alias, module)
    spec = importlib.util.spec_from_file_location(f"bsmart_user_tools.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tool_class = getattr(module, "NewTool", None)
    if not (isinstance(tool_class, type) and issubclass(tool_class, HEPRun.HepTool)):
        raise ConfigError(f"{path} must define a class NewTool(HepTool) (from bsmart.HEPRun import HepTool)")
    return tool_class(name, dict(settings), types.SimpleNamespace(cores=cores, no_slha_output=False, use_MPI=False))


class UserTool(Code):
    kind = "python"  # its own code: the names it adds are known only when it runs
    needs_workdir = True
    writes_slha = True

    def __init__(self, name: str, path: Path, settings: Mapping[str, Any], spectrum_file: str | None,
                 variable_names: tuple[str, ...], cores: int, input_file: str | None = None, template: Any = None,
                 **common: Any):
        super().__init__(name, **common)
        self.path, self.settings, self.cores = path, dict(settings), cores
        self.spectrum_file = spectrum_file or input_file or DEFAULT_SPECTRUM
        self.variable_names, self.input_file, self.template = variable_names, input_file, template

    def _tool(self) -> Any:
        stat = self.path.stat()
        key = (str(self.path), stat.st_mtime_ns, stat.st_size)  # an edited tool is loaded again
        if key not in _LOADED:
            _LOADED[key] = _load(self.path, self.name, self.settings, self.cores)
        return _LOADED[key]

    def check(self) -> None:
        try:
            self._tool()
        except ConfigError as exc:
            raise ConfigError(str(exc), where=f"Codes.{self.name}") from None
        except Exception as exc:  # the user's module failed to import or to start
            raise ConfigError(f"{self.path}: {describe(exc)}",
                              where=f"Codes.{self.name}") from None

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        from bsmart import HEPRun, zslha

        assert workdir is not None
        self.write_input(env, workdir)
        spectrum = workdir / self.spectrum_file
        point = HEPRun.DataPoint(0, env["VARIABLE"], {n: env[n] for n in self.variable_names})
        point.spc = zslha.read(str(spectrum)) if spectrum.is_file() else None
        before = set(point.spc.blocks) if point.spc is not None else set()
        here = os.getcwd()
        os.chdir(workdir)  # as BSMArt: tools name their files relative to the point's folder
        try:
            self._tool().run(self.spectrum_file, str(workdir), logging.getLogger(f"bsmart.tools.{self.name}"), point)
        except Exception as exc:
            raise CodeError(f"{self.name}: {describe(exc)}") from None
        finally:
            os.chdir(here)
        doc = read_slha(spectrum) if spectrum.is_file() else None
        if point.spc is not None:  # blocks the tool set in memory only
            added = zslha.SLHA()
            for name in set(point.spc.blocks) - before - set(doc.blocks if doc is not None else ()):
                added.blocks[name] = point.spc.blocks[name]
            if added.blocks:
                extra = parse_slha(zslha.to_slha_text(added), f"{self.name}'s blocks")
                if doc is None:
                    doc = extra
                else:
                    doc.blocks.update(extra.blocks)
        return CodeOutput(values={k: v for k, v in point.obs_dict.items()}, slha=doc)


def build(name: str, path: Path, spec: Mapping[str, Any], common: dict[str, Any], ctx: Mapping[str, Any]) -> UserTool:
    return UserTool(name, path, spec, ctx["spectrum_file"], tuple(ctx["variable_names"]), ctx["cores"], **common)
