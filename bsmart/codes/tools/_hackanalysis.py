"""What BSMArt's two HackAnalysis tools share: the YAML settings, the Pythia configuration whose
values may be expressions of the variables (evaluated per point), and the run in the point's
folder whose efficiency file (HackAnalysis' ``BLOCK PROCESS <analysis>`` and ``BLOCK EFFICIENCIES
<analysis>``, read as BSMArt's ``["PROCESS", [analysis, "XS"]]`` and ``["EFFICIENCIES", [analysis,
region, 0]]``) is appended to the spectrum, as BSMArt does; and which HackAnalysis program reads
generated events, in which mode (MadGraphHackAnalysis)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.base import CodeOutput
from bsmart.codes.external import ExternalCode
from bsmart.codes.tools._library import read_spectrum, tool_path
from bsmart.codes.tools._madgraph import HEPMC, LHE
from bsmart.config import parse_bool, parse_int, resolve_command
from bsmart.errors import CodeError, ConfigError, ExpressionError
from bsmart.expr import Expression

PythiaLines = list[tuple[str, list[str | Expression]]]
MODES = {"LHE": LHE, "HEPMC": HEPMC}  # the events a HackAnalysis program reads: their files' endings


def read_settings(name: str, spec: Mapping[str, Any], ctx: Mapping[str, Any],
                  filenames: Mapping[str, str]) -> tuple[Path, dict[str, Any]]:
    """The ``YAML file`` and its contents (with a ``settings`` mapping), as plain dicts; in the
    settings, ``cores`` is the code's ``Cores`` (else the YAML's, else 1) and ``filenames`` are
    the names of the files HackAnalysis writes where the YAML gives none."""
    import yaml

    file, where = ctx["file"], f"Codes.{name}.YAML file"
    path = tool_path(spec, "YAML file", ctx, name, f"{name} needs its YAML file (the analyses to run and their "
                                                   "settings)")
    try:
        settings = _plain(yaml.safe_load(path.read_text()))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a YAML file: {str(exc).splitlines()[0]}", file=file, where=where) from None
    if not isinstance(settings, dict) or not isinstance(settings.get("settings"), dict):
        raise ConfigError(f"{path} has no 'settings:' mapping", file=file, where=where)
    inner = settings["settings"]
    given = ("Cores", spec["Cores"]) if "Cores" in spec else (f"YAML file ({path.name}) settings: cores",
                                                             inner.get("cores", 1))
    inner["cores"] = parse_int(given[1], f"Codes.{name}.{given[0]}", file)
    for key, default in filenames.items():
        inner.setdefault(key, default)
    return path, settings


def events_analysis(name: str, spec: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[list[str], str]:
    """The ``HackAnalysis`` program that reads generated events and its mode, ``LHE`` or ``HEPMC``
    (``Mode``, else from the program's name as written, as BSMArt); ConfigError for ``Check
    Exclusion``, HackAnalysis' Python statistics, which bsmart does not run."""
    file, where = ctx["file"], f"Codes.{name}"
    if "HackAnalysis" not in spec:
        raise ConfigError("needs \"HackAnalysis\", the program (analysePYTHIA_LHE.exe or analyseHEPMC.exe)", file=file,
                          where=where)
    command = resolve_command(spec["HackAnalysis"], ctx["base_dir"], f"{where}.HackAnalysis", file)
    given = str(spec["HackAnalysis"])
    mode = str(spec.get("Mode") or next((m for p, m in (("analysePYTHIA_LHE", "LHE"), ("analyseHEPMC", "HEPMC"))
                                         if p in given), "")).upper()
    if mode not in MODES:
        raise ConfigError(f"set \"Mode\": LHE or HEPMC (not read from the program's name {given})", file=file,
                          where=f"{where}.Mode")
    if parse_bool(spec.get("Check Exclusion", False), f"{where}.Check Exclusion", file):
        raise ConfigError("not built into bsmart (BSMArt ran HackAnalysis' Python statistics, HAStats); set it False "
                          "and compute the limit from the EFFICIENCIES blocks in a Python code", file=file,
                          where=f"{where}.Check Exclusion")
    return command, mode


def pythia_config(path: Path, settings: Mapping[str, Any], ctx: Mapping[str, Any],
                  where: str) -> tuple[str, PythiaLines]:
    """The Pythia configuration the YAML names (``settings: Config file``, beside it): its name and lines."""
    name = settings["settings"].get("Config file")
    config = path.parent / str(name)
    if not name or not config.is_file():
        raise ConfigError(f"no Pythia configuration {config if name else ''} (settings: Config file of {path.name})",
                          file=ctx["file"], where=where)
    known = set(ctx["variable_names"]) | set(ctx["derived"]) | {"VARIABLE"}
    return config.name, pythia_lines(config, known)


def pythia_lines(path: Path, known: set[str]) -> PythiaLines:
    """``key = value`` lines of a Pythia configuration (``!`` comments and BSMArt's ``SLHA:file``
    left out): a value that is an expression of the variables as one Expression, else each of its
    terms that is one (BSMArt's way), the rest as text."""
    lines = []
    for line in path.read_text().splitlines():
        line = line.split("!", 1)[0].strip()
        if "=" not in line or line.startswith("SLHA:file"):
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        whole = _expression(value, known)  # "0.5 * mg"; else BSMArt's way, term by term ("2 mg 3")
        lines.append((key, [whole] if whole is not None else [_expression(t, known) or t for t in value.split()]))
    return lines


def pythia_text(name: str, lines: PythiaLines, env: Mapping[str, Any], extra: str = "") -> str:
    """The point's Pythia configuration, its expressions evaluated."""
    rows = []
    for key, terms in lines:
        try:
            value = " ".join(t if isinstance(t, str) else f"{float(t.evaluate(env)):10.6e}" for t in terms)
        except (ExpressionError, TypeError, ValueError) as exc:
            raise CodeError(f"{name}: Pythia configuration: {key}: {exc}") from None
        rows.append(f"{key} = {value}")
    return "\n".join([*rows, *([extra] if extra else [])]) + "\n"


def run_analysis(code: ExternalCode, settings: dict[str, Any], yaml_name: str, workdir: Path,
                 spectrum: Path) -> CodeOutput:
    """Write the YAML file into the point's folder, run ``<command> <YAML file>`` there and append
    the efficiency file to the spectrum; CodeError when the efficiency or cutflow file is missing."""
    import yaml

    inner = settings["settings"]
    outputs = [str(inner["Efficiency Filename"]), str(inner["Cutflow Filename"])]
    (workdir / yaml_name).write_text(yaml.safe_dump(settings, sort_keys=False))
    for stale in outputs:
        (workdir / stale).unlink(missing_ok=True)
    code.execute([*code.command, yaml_name], workdir, code.timeout)
    missing = [f for f in outputs if not (workdir / f).is_file()]
    if missing:
        raise CodeError(f"{code.name}: HackAnalysis wrote no {' or '.join(missing)}")
    with open(spectrum, "a") as fh:  # as BSMArt: the efficiencies join the spectrum
        fh.write((workdir / outputs[0]).read_text(errors="replace"))
    return CodeOutput(slha=read_spectrum(code.name, spectrum))


def _plain(value: Any) -> Any:
    """YAML's mappings as plain dicts (flavio's wilson makes yaml load OrderedDicts, which
    safe_dump refuses)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _expression(text: str, known: set[str]) -> Expression | None:
    """``text`` as an expression of the variables, or None when it is not one (a number, a word)."""
    try:
        expr = Expression(text)
    except ExpressionError:
        return None
    return expr if expr.names and expr.names <= known else None
