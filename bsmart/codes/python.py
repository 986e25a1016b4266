"""A pure-Python code: ``f(point: dict) -> dict`` of observables, named as ``module:function``
or ``path/to/file.py:function`` (relative to the input file). ``f(point, settings)`` also gets
the code's ``Settings``; a parameter named ``workdir`` gets the point's folder (where the
programs before it wrote their files) and one named ``spectrum`` the spectrum file's path there
(``Setup.Spectrum File``, else the first program's OutputFile), so that a function can read a
program's output, as BSMArt's HiggsTools or SModelS tools do."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

from bsmart.codes.base import Code, CodeOutput
from bsmart.errors import CodeError, ConfigError


def load_function(target: str, base_dir: Path) -> Callable[..., Any]:
    """Import ``module:function`` or ``file.py:function``; ConfigError when it cannot be found."""
    module_name, sep, func_name = target.rpartition(":")
    if not sep or not module_name or not func_name:
        raise ConfigError(f"'{target}' must look like 'package.module:function' or 'file.py:function'")
    try:
        if module_name.endswith(".py"):
            path = (base_dir / module_name).resolve()
            if not path.is_file():
                raise ConfigError(f"file {path} does not exist")
            unique = f"bsmart_user_{abs(hash(str(path)))}"
            module = sys.modules.get(unique)
            if module is None:
                spec = importlib.util.spec_from_file_location(unique, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[unique] = module
                spec.loader.exec_module(module)
        else:
            if str(base_dir) not in sys.path:
                sys.path.append(str(base_dir))  # modules beside the input file
            module = importlib.import_module(module_name)
    except ConfigError:
        raise
    except Exception as exc:  # the user's module may raise anything at import
        raise ConfigError(f"cannot import '{module_name}': {type(exc).__name__}: {exc}") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise ConfigError(f"'{module_name}' has no function '{func_name}'")
    return func


class PythonCode(Code):
    kind = "python"

    def __init__(self, name: str, target: str, base_dir: Path, settings: Mapping[str, Any] | None = None,
                 spectrum_file: str | None = None, **kwargs: Any):
        super().__init__(name, **kwargs)
        self.target, self.base_dir = target, Path(base_dir)
        self.settings = dict(settings or {})
        self.spectrum_file = spectrum_file
        self._func: Callable[..., Any] | None = None
        self._folders: tuple[str, ...] = ()  # of "workdir", "spectrum": the keywords the function takes

    @property
    def needs_workdir(self) -> bool:  # type: ignore[override]
        self._load()
        return bool(self._folders)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_func"] = None  # functions are re-imported in each worker
        return state

    def check(self) -> None:
        try:
            self._load()
        except ConfigError as exc:
            raise ConfigError(exc.detail, where=f"Codes.{self.name}.Function") from None

    def _load(self) -> Callable[..., Any]:
        if self._func is None:
            self._func = load_function(self.target, self.base_dir)
            try:
                parameters = inspect.signature(self._func).parameters
            except (TypeError, ValueError):
                parameters = {}
            self._folders = tuple(n for n in ("workdir", "spectrum") if n in parameters)
            positional = [n for n, p in parameters.items() if n not in self._folders and p.kind in
                          (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
            self._takes_settings = len(positional) >= 2
        return self._func

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        func = self._load()
        point = {k: v for k, v in env.items() if k != "VARIABLE"}
        folders = {"workdir": workdir, "spectrum": workdir / self.spectrum_file
                   if workdir is not None and self.spectrum_file else None}
        extra = {name: folders[name] for name in self._folders}
        try:
            result = func(point, self.settings, **extra) if self._takes_settings else func(point, **extra)
        except BaseException as exc:  # sys.exit and KeyboardInterrupt too: user code fails its point only
            raise CodeError(f"{self.name}: {type(exc).__name__}: {exc}") from None
        if not isinstance(result, Mapping):
            raise CodeError(f"{self.name} returned {type(result).__name__}, expected a dict of observables")
        values = {}
        for key, value in result.items():
            try:
                values[str(key)] = float(value)
            except (TypeError, ValueError):
                values[str(key)] = math.nan
        return CodeOutput(values)
