"""SModelS 3, as BSMArt runs it: each point's spectrum (with its XSECTION sections) is tested
against SModelS' database of LHC results, in the point's worker, with SModelS'
``modelTester.runSingleFile`` and the options of ``Parameter file`` (SModelS' parameters.ini:
the database path, the analyses, the printer must include ``python``). ``Block SMODELS``: 1 the
largest observed r of the results that apply, 2 r - 1 (> 0 excluded); the best analysis is named
in their comments. As in BSMArt, a point SModelS fails on gets r = -1 ("SModelSError"), not an
invalid point: cut on it (``VALID``) to drop such points.

Keys: ``Parameter file`` (required), ``QNUMBERS file`` (the BSM particles' quantum numbers:
SLHA QNUMBERS blocks or a SModelS model module; default: the parameter file's), ``Cache``
(``SMODELS_CACHEDIR``: where SModelS keeps the pickled database), ``Path`` (a folder holding
SModelS' source, used instead of the installed package). Needs ``pip install smodels`` (or
``pip install bsmart[smodels]``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.tools._library import LibraryTool, bsmart_timeout, tool_path
from bsmart.errors import ConfigError, describe

KEYS = {"Path", "Cache", "QNUMBERS file", "Parameter file"}
NEEDS_COMMAND = False
_LOADED: dict[tuple, Any] = {}  # (parameter file, model) -> (parser, database), once per process


class SModelS(LibraryTool):
    block = "SMODELS"
    package = ("smodels", "install it with `pip install smodels` (or `pip install bsmart[smodels]`)")

    def __init__(self, name: str, *, parameter_file: Path, model: str | None, source: Path | None,
                 cache: Path | None, **kwargs: Any):
        super().__init__(name, **kwargs)
        self.parameter_file, self.model, self.source, self.cache = parameter_file, model, source, cache

    def _setup(self) -> None:
        if self.source is not None and str(self.source) not in sys.path:
            sys.path.insert(0, str(self.source))
        if self.cache is not None:
            self.cache.mkdir(parents=True, exist_ok=True)
            os.environ["SMODELS_CACHEDIR"] = str(self.cache)

    def check(self) -> None:
        self._setup()
        super().check()
        self._database()  # a missing or broken database is one line now, not an error on every point

    def _database(self) -> tuple[Any, Any]:
        key = (str(self.parameter_file), self.model)
        if key not in _LOADED:
            try:
                _LOADED[key] = self._load()
            except ConfigError:
                raise
            except (Exception, SystemExit) as exc:  # SModelS exits when it cannot find or fetch its database
                why = describe(exc) if isinstance(exc, Exception) else "SModelS exited"
                raise ConfigError(f"SModelS cannot load its database: {why}",
                                  where=f"Codes.{self.name}.Parameter file") from None
        return _LOADED[key]

    def _load(self) -> tuple[Any, Any]:
        from smodels.base import smodelsLogging
        from smodels.matching import modelTester

        smodelsLogging.setLogLevel("error")
        parser = modelTester.getParameters(str(self.parameter_file))
        if self.model:  # BSMArt's QNUMBERS file: SModelS reads the model from the parameters it is given
            parser.set("particles", "model", self.model)
        path = parser.get("database", "path", fallback="official")
        beside = self.parameter_file.parent / Path(path).expanduser()
        if path != "official" and not Path(path).expanduser().exists() and beside.exists():
            parser.set("database", "path", str(beside))  # relative to the parameter file, not to where bsmart runs
        elif path != "official" and not Path(path).expanduser().exists():
            raise ConfigError(f"{self.parameter_file}: [database] path {path} does not exist",
                              where=f"Codes.{self.name}.Parameter file")
        printers = parser.get("printer", "outputType", fallback="")
        if "python" not in printers:  # the results are read from SModelS' python printer
            parser.set("printer", "outputType", f"{printers},python" if printers else "python")
        database = modelTester.loadDatabase(parser, None)
        modelTester.loadDatabaseResults(parser, database)
        return parser, database

    def compute(self, spectrum: Any, env: Mapping[str, Any], workdir: Path) -> list[tuple[Any, float, str]]:
        from smodels.matching import modelTester

        self._setup()
        parser, database = self._database()
        path = self.spectrum_path(workdir)
        here = os.getcwd()
        os.chdir(workdir)  # SModelS writes its crash reports to the current folder
        try:  # SModelS prints crash reports and progress: to a file in the point's folder, not the terminal
            with open(workdir / f"{self.name}.stdout", "a") as log, contextlib.redirect_stdout(log):
                results = modelTester.runSingleFile(str(path), str(workdir), parser, database, 0, False,
                                                    str(self.parameter_file))
        finally:
            os.chdir(here)
        output = (results or {}).get(path.name)
        if not isinstance(output, dict) or "python" not in output:
            r, best = -1.0, "SModelSError"
        else:
            applied = [res for res in output["python"].get("ExptRes", []) if res.get("r") is not None]
            best_result = max(applied, key=lambda res: res["r"], default=None)
            r, best = (best_result["r"], best_result["AnalysisID"]) if best_result else (0.0, "None")
        return [(1, r, f"Best R ratio (observed): {best}"), (2, r - 1.0, "r - 1: > 0 if excluded, < 0 if allowed")]


def build(name: str, spec: Mapping[str, Any], common: dict[str, Any], ctx: Mapping[str, Any]) -> SModelS:
    file, where = ctx["file"], f"Codes.{name}"
    parameter_file = tool_path(spec, "Parameter file", ctx, name, "SModelS needs its parameters.ini (the database "
                                                                  "path and options)")
    qnumbers = tool_path(spec, "QNUMBERS file", ctx, name)
    source = ctx["resolve"](spec["Path"]) if isinstance(spec.get("Path"), str) and spec["Path"] else None
    if source is not None and not (source / "smodels").is_dir():  # BSMArt only puts it on sys.path
        ctx["warnings"].append(f"{file}: {where}.Path: no SModelS source in {source}; the installed smodels is used")
        source = None
    cache = spec.get("Cache")
    if cache is not None and not isinstance(cache, str):
        raise ConfigError(f"expected a folder, got {cache!r}", file=file, where=f"{where}.Cache")
    bsmart_timeout(spec, common, 120.0)
    return SModelS(name, parameter_file=parameter_file, model=str(qnumbers) if qnumbers else None, source=source,
                   cache=ctx["resolve"](cache) if cache else None, spectrum_file=ctx["spectrum_file"], **common)
