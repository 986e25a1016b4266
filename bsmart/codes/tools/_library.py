"""The base of BSMArt's tools that are Python libraries (HiggsTools, flavio, ...) and of user
tools: they run in the point's worker process, read the point's spectrum file, and add one
block of results to it, as BSMArt's tools do (appended to the file, so that later codes and
StoreAllPoints see it, and joined to the point's spectrum, so that observables read it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.base import Code, CodeOutput
from bsmart.errors import CodeError, ConfigError, describe
from bsmart.slha import block_text, parse_slha, read_slha

DEFAULT_SPECTRUM = "SLHA_spectrum"  # the spectrum file's name when no code or Setup names one


class LibraryTool(Code):
    """Subclasses set ``block`` and ``package`` (what to import, and what to install when it
    is missing) and implement :meth:`compute`."""

    kind = "tool"
    needs_workdir = True
    writes_slha = True
    block = ""
    needs_spectrum = True  # False: the spectrum file is only written to (made when missing)
    package: tuple[str, str] = ("", "")  # (module to import, how to install it); "": none needed

    def __init__(self, name: str, spectrum_file: str | None, **common: Any):
        super().__init__(name, **common)
        self.spectrum_file = spectrum_file

    def check(self) -> None:
        module, install = self.package  # found, not imported: importing flavio alone takes seconds
        if module and importlib.util.find_spec(module) is None:
            raise ConfigError(f"BSMArt's {type(self).__name__} tool needs the Python package {module!r}, which is "
                              f"not installed here; {install}", where=f"Codes.{self.name}")

    def spectrum_path(self, workdir: Path) -> Path:
        return workdir / (self.spectrum_file or DEFAULT_SPECTRUM)

    def compute(self, spectrum: Any, env: Mapping[str, Any], workdir: Path) -> list[tuple[Any, float, str]]:
        """The block's entries for this point: (key, value, comment)."""
        raise NotImplementedError

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        path = self.spectrum_path(workdir)
        spectrum = read_spectrum(self.name, path) if self.needs_spectrum else None
        try:
            entries = self.compute(spectrum, env, workdir)
        except CodeError as exc:
            raise CodeError(f"{self.name}: {exc}") from None
        except Exception as exc:  # the library's own failure on this point
            raise CodeError(f"{self.name}: {describe(exc)}") from None
        return CodeOutput(slha=append_block(self.name, path, self.block, entries))


def spectrum_generator(tool: str, name: str, program: dict[str, Any], ctx: dict[str, Any]) -> None:
    """A spectrum generator's program arguments: it needs its SLHA input (the template), and its
    output is the run's spectrum file unless OutputFile names another (later tools read it)."""
    if not program["input_file"]:
        raise ConfigError(f"{tool} needs its SLHA input file (the template of the point's parameters)",
                          file=ctx["file"], where=f"Codes.{name}.InputFile")
    program["output_file"] = program["output_file"] or ctx["spectrum_file"] or DEFAULT_SPECTRUM
    ctx["spectrum_file"] = ctx["spectrum_file"] or program["output_file"]


def existing_spectrum(name: str, path: Path) -> Path:
    """The point's spectrum file, which the tool ``name`` reads; CodeError when no code wrote it."""
    if not path.is_file():
        raise CodeError(f"{name}: no spectrum file {path.name} to read (Setup.Spectrum File)")
    return path


def read_spectrum(name: str, path: Path) -> Any:
    """The point's spectrum, parsed; CodeError naming the tool when it is missing or not SLHA."""
    existing_spectrum(name, path)
    try:
        return read_slha(path)
    except CodeError as exc:
        raise CodeError(f"{name}: {exc}") from None


def append_block(name: str, path: Path, block: str, entries: list[tuple[Any, float, str]]) -> Any:
    """Add the tool ``name``'s block of results to the spectrum file, as BSMArt does; the parsed block."""
    text = block_text(block, entries)
    with open(path, "a") as fh:
        fh.write(text)
    return parse_slha(text, f"{name}'s block")


def parse_pdgs(value: Any, file: str, where: str) -> list[int]:
    """A tool's list of PDG codes (a single code is a list of one)."""
    try:
        return [int(code) for code in (value if isinstance(value, list) else [value])]
    except (TypeError, ValueError):
        raise ConfigError(f"expected a list of PDG codes, got {value!r}", file=file, where=where) from None


def tool_path(spec: Mapping[str, Any], key: str, ctx: Mapping[str, Any], name: str,
              needed: str | None = None) -> Path | None:
    """A tool's key naming a file or folder (relative to the input file, ``~`` expanded), which must
    exist; None when the key is absent, unless ``needed`` says why the tool cannot do without it."""
    value, where = spec.get(key), f"Codes.{name}.{key}"
    if value in (None, ""):
        if needed:
            raise ConfigError(needed, file=ctx["file"], where=where)
        return None
    if not isinstance(value, str):
        raise ConfigError(f"expected a path, got {value!r}", file=ctx["file"], where=where)
    path = ctx["resolve"](value)
    if not path.exists():
        raise ConfigError(f"no file or folder {path}", file=ctx["file"], where=where)
    return path


def bsmart_timeout(spec: Mapping[str, Any], arguments: dict[str, Any], seconds: float) -> None:
    """BSMArt's own limit on one run of a tool, unless the code sets ``Timeout``."""
    if "Timeout" not in spec:
        arguments["timeout"] = min(arguments["timeout"], seconds)
