"""Input file (BSMArt's JSON format) -> validated, typed run configuration.

Everything wrong in the file is reported as one :class:`ConfigError` line naming the file,
block and key, before any code runs. Unknown keys give warnings, not errors.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.base import Chain, Code
from bsmart.errors import ConfigError, ExpressionError
from bsmart.expr import Expression
from bsmart.fitting import Fitting
from bsmart.likelihood import SCALINGS, Observable
from bsmart.scans import resolve_scan_id
from bsmart.settings import parse_bool, parse_float, parse_int
from bsmart.slha import ANALYSIS_BLOCKS, Template
from bsmart.space import Space, Variable, parse_grid_values

RESERVED_NAMES = {"ID", "NLL", "valid", "good", "iteration", "error", "VARIABLE", "seconds"}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.+\-()\[\]]{0,99}$")
# a variable's name only has to be a CSV column: BSMArt files use names such as "0" or "ms2-mqp2",
# reached in templates as VARIABLE[i]; an observable's may also be a code's own name for it
# (flavio's "BR(Bs->mumu)")
_COLUMN_CHARS = "_.+-()[]"
_OBSERVABLE_CHARS = "<>/*:^"
_FILE_RE = re.compile(r"^[A-Za-z0-9_.+\-]{1,200}$")

# Setup keys the core reads, or accepts from BSMArt files without using them.
# BSMArt output options bsmart does not write yet: a warning when one is switched on, unless the
# scan reads it (MCMC's Merge Results).
UNWRITTEN_OUTPUTS = {"Merge Results": "per-rank files to merge (bsmart has no MPI ranks)"}
SETUP_KEYS = {
    "RunName", "Type", "Scan", "Cores", "Seed", "Output File", "Skip SLHA Files", "SLHA_Output", "Timeout",
    "debug", "Temporary Directory", "Environment Variables", "Spectrum File", "Threshold", "csv", "csv name",
    "Resume", "Store Invalid", "StoreAllPoints", "Store Output Files", "StoreInputs", "StoreSeparateFiles",
    "StoreEverything", "Precision", "Use TQDM", "Short", "Store In Memory", "Merge Results", "Device",
}
TOP_KEYS = {"Setup", "Scan", "Variables", "Observables", "Codes", "Blocks", "Derived Variables", "Plotting",
            "Networks", "Fitting", "MPI"}
CODE_KEYS = {"Run", "Function", "Command", "InputFile", "OutputFile", "Observables", "Conditions", "Timeout",
             "Template", "Environment Variables", "Settings", "Type"}


@dataclass(frozen=True)
class RunConfig:
    """The validated input file. Scans read their own settings from ``raw`` via their meta."""

    path: Path
    raw: Mapping[str, Any]
    scan_name: str
    run_name: str
    cores: int
    seed: int | None
    output_file: str
    store_spectra: bool  # StoreAllPoints: every valid point's spectrum in Spectrum_Files/<Output File>
    store_invalid: bool  # Store Invalid: the invalid points also in Spectrum_Files/invalid_<Output File>.csv
    store_tabbed: bool  # Short: the valid points also in Spectrum_Files/<Output File>.dat, tab-separated
    store_separate: bool  # StoreSeparateFiles: the spectra in Spectrum_Files/<Output File>_<ID>.slha instead
    store_inputs: bool  # StoreInputs: each point's input file in Input_Files/<RunName>_<ID>.in
    store_everything: bool  # StoreEverything: each point's folder in All_Outputs/<Output File>_<ID>/
    timeout: float
    debug: bool
    threshold: float | None
    temp_dir: Path | None
    space: Space
    chain: Chain
    warnings: tuple[str, ...] = field(default=())

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def observables(self) -> dict[str, Observable]:
        return self.chain.observables

    def resolve_path(self, value: str) -> Path:
        """Relative paths in the input file are relative to the input file's folder."""
        return (self.base_dir / Path(value).expanduser()).resolve()

    def existing_path(self, value: str, where: str) -> Path:
        """A file or folder the input names, which must exist; the one-line error says the rule
        (relative to the input file's folder), and names a file of that name in the current
        folder, where BSMArt would have read it."""
        path = self.resolve_path(value)
        if path.exists():
            return path
        here = (Path.cwd() / Path(value).expanduser()).resolve()
        hint = f"; {here} exists: name it from the input file's folder, or absolutely" if here.exists() else ""
        raise ConfigError(f"no file or folder {path}: a relative path in an input file is read from the input file's "
                          f"folder ({self.base_dir}), while run folders are made in the current folder or --output"
                          f"{hint}", where=where)


MAX_INPUT_BYTES = 50_000_000


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects whose keys are unique: a second "x1" would silently replace the first."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ConfigError(f"key {key!r} appears twice in one object (the second would replace the first)")
        obj[key] = value
    return obj


def read_json(path: Path) -> dict[str, Any]:
    file = str(path)
    if not path.exists():
        raise ConfigError("input file does not exist", file=file)
    if not path.is_file():  # a FIFO would hang, a device never end
        raise ConfigError("input file is not a regular file (a folder, FIFO or device)", file=file)
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise ConfigError(f"input file is larger than {MAX_INPUT_BYTES // 1_000_000} MB", file=file)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read input file: {exc.strerror}", file=file) from None
    except UnicodeDecodeError:
        raise ConfigError("input file is not UTF-8 text", file=file) from None
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except ConfigError as exc:
        raise exc.in_file(file) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", file=file) \
            from None
    except (RecursionError, MemoryError):
        raise ConfigError("invalid JSON: nested too deeply", file=file) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ConfigError(f"invalid JSON: {str(exc).split(';')[0]}", file=file) from None
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a JSON object", file=file)
    return data


def _block(raw: Mapping[str, Any], name: str, file: str, required: bool = False) -> dict[str, Any]:
    value = raw.get(name)
    if value is None:
        if required:
            raise ConfigError("block is missing", file=file, where=name)
        return {}
    if not isinstance(value, dict):
        raise ConfigError("must be a JSON object", file=file, where=name)
    return value


def _check_name(name: str, where: str, file: str) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(f"name {name!r} must start with a letter and use letters, digits, _ . + - ( ) [ ]",
                          file=file, where=where)
    _check_reserved(name, where, file)


def _check_reserved(name: str, where: str, file: str) -> None:
    if name in RESERVED_NAMES or name.startswith("loss_"):
        raise ConfigError(f"name '{name}' is reserved for an output column (ID, NLL, valid, good, iteration, "
                          f"seconds, error, loss_<observable>)", file=file, where=where)


def scan_name_of(raw: Mapping[str, Any], file: str) -> str:
    setup = raw.get("Setup") if isinstance(raw.get("Setup"), dict) else {}
    for where, value in (("Scan", raw.get("Scan")), ("Setup.Scan", setup.get("Scan")),
                         ("Setup.Type", setup.get("Type"))):
        if value is not None:
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"scan name must be a string, got {value!r}", file=file, where=where)
            return value.strip()
    raise ConfigError("no scan selected: set \"Scan\" (e.g. \"Random\") or Setup.Type", file=file, where="Setup")


# -- variables -----------------------------------------------------------------------------

def _number_pair(value: Any, where: str, file: str, *, allow_inf: bool = False) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ConfigError(f"expected [low, high], got {value!r}", file=file, where=where)
    lo, hi = (parse_float(v, where, file, finite=not allow_inf) for v in value)
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise ConfigError(f"low must be below high, got {value!r}", file=file, where=where)
    return lo, hi


def _check_column_name(name: Any, where: str, file: str, extra_chars: str = "") -> None:
    chars = _COLUMN_CHARS + extra_chars
    if not isinstance(name, str) or not re.fullmatch(f"[A-Za-z0-9{re.escape(chars)}]{{1,100}}", name):
        raise ConfigError(f"name {str(name)[:40]!r} must be 1-100 letters, digits, {' '.join(chars)} (a CSV column)",
                          file=file, where=where)
    _check_reserved(name, where, file)


def _check_variable_name(name: Any, where: str, file: str, warnings: list[str]) -> None:
    _check_column_name(name, where, file)
    if not name.isidentifier():
        warnings.append(f"{file}: {where}: the name cannot be written in expressions (templates, FUNCTION, "
                        f"Derived Variables): reach it as VARIABLE[i]")


def parse_variable(name: str, spec: Any, file: str, warnings: list[str] | None = None) -> Variable:
    where = f"Variables.{name}"
    _check_variable_name(name, where, file, warnings if warnings is not None else [])
    if isinstance(spec, bool):
        raise ConfigError(f"expected a range, got {spec!r}", file=file, where=where)
    if isinstance(spec, (int, float)):
        value = parse_float(spec, where, file)
        return Variable(name, value, value, "FIXED")
    if isinstance(spec, (str, list)):  # Grid: "np.linspace(...)" or a list of values
        values = parse_grid_values(spec if isinstance(spec, str) else repr(spec), where)
        return Variable(name, min(values), max(values), "UNIFORM", grid=values)
    if not isinstance(spec, dict):
        raise ConfigError(f"expected {{\"RANGE\": [low, high]}}, got {spec!r}", file=file, where=where)
    prior = spec.get("PRIOR", "UNIFORM")
    if isinstance(prior, dict):  # BSMArt's {"TYPE": ..., "MEAN": ...} form
        prior = prior.get("TYPE", "UNIFORM")
    if not isinstance(prior, str) or prior.upper() not in ("UNIFORM", "LOG", "FIXED", "LINEAR", "FLAT"):
        raise ConfigError(f"PRIOR {prior!r} is not supported (UNIFORM, LOG, FIXED)", file=file,
                          where=f"{where}.PRIOR")
    prior = {"LINEAR": "UNIFORM", "FLAT": "UNIFORM"}.get(prior.upper(), prior.upper())
    grid = None
    if "VALUES" in spec:
        grid = parse_grid_values(spec["VALUES"] if isinstance(spec["VALUES"], str) else repr(spec["VALUES"]),
                                 f"{where}.VALUES")
    if prior == "FIXED":
        raw_value = spec.get("VALUE", spec.get("MEAN", (spec.get("PRIOR") or {}).get("MEAN")
                                      if isinstance(spec.get("PRIOR"), dict) else None))
        if raw_value is None and "RANGE" in spec:
            lo, hi = _number_pair(spec["RANGE"], f"{where}.RANGE", file)
            raw_value = 0.5 * (lo + hi)
        if raw_value is None:
            raise ConfigError("a FIXED variable needs VALUE (or MEAN, or RANGE)", file=file, where=where)
        value = parse_float(raw_value, f"{where}.VALUE", file)
        return Variable(name, value, value, "FIXED")
    if "RANGE" not in spec:
        if grid is not None:
            return Variable(name, min(grid), max(grid), prior, grid=grid)
        raise ConfigError("RANGE is missing", file=file, where=where)
    if isinstance(spec["RANGE"], list) and len(spec["RANGE"]) == 2 and spec["RANGE"][0] == spec["RANGE"][1] \
            and not isinstance(spec["RANGE"][0], bool):  # BSMArt's way of fixing a value: [1, 1]
        value = parse_float(spec["RANGE"][0], f"{where}.RANGE", file)
        return Variable(name, value, value, "FIXED")
    lo, hi = _number_pair(spec["RANGE"], f"{where}.RANGE", file)
    if prior == "LOG" and lo <= 0:
        raise ConfigError(f"a LOG variable needs a positive range, got [{lo:g}, {hi:g}]", file=file,
                          where=f"{where}.RANGE")
    step = _optional_float(spec, "VARIANCE", where, file, finite=True)  # MCMC's step (a width, as in BSMArt)
    if step is not None and step <= 0:
        raise ConfigError(f"VARIANCE (the step width) must be positive, got {step:g}", file=file,
                          where=f"{where}.VARIANCE")
    return Variable(name, lo, hi, prior, grid=grid, step=step)


# -- observables -----------------------------------------------------------------------------

def _optional_float(spec: Mapping[str, Any], key: str, where: str, file: str, *, finite: bool = False) \
        -> float | None:
    """A number or nothing; bounds may be "inf"/"-inf", a MEAN or width (``finite``) may not."""
    if spec.get(key) is None:
        return None
    value = spec[key]
    if not finite and isinstance(value, str) and value.strip().lower().lstrip("+-") in ("inf", "infinity", "infty"):
        return -math.inf if value.strip().startswith("-") else math.inf
    return parse_float(value, f"{where}.{key}", file)


def _al_cut(spec: Mapping[str, Any], mean: float | None, sigma: float | None, where: str,
            file: str) -> tuple[str, float | None, float | None]:
    """BSMArt's AL classification of an observable (``TYPE``, ``MAX``, ``MIN``) as a SCALING and
    bounds: ``UPPER`` (below ``MAX`` or ``MEAN``), ``LOWER`` (above ``MIN`` or ``MEAN``), ``RANGE``
    (``MEAN`` -+ ``VARIANCE``, or ``RANGE``), ``USER`` (the value is a probability), ``OFF``."""
    kind = str(spec.get("TYPE", "UPPER" if "MAX" in spec else "LOWER" if "MIN" in spec else "OFF")).upper()
    if kind == "UPPER" and "MAX" in spec or kind == "LOWER" and "MIN" in spec:
        mean = _optional_float(spec, "MAX" if kind == "UPPER" else "MIN", where, file, finite=True)
    if kind in ("USER", "OFF"):
        return kind, None, None
    if kind not in ("UPPER", "LOWER", "RANGE"):
        raise ConfigError(f"TYPE {spec.get('TYPE')!r} is not one of UPPER, LOWER, RANGE, USER, OFF (BSMArt's AL cuts)",
                          file=file, where=f"{where}.TYPE")
    if mean is None or kind == "RANGE" and sigma is None:
        need = "MEAN and VARIANCE (or RANGE)" if kind == "RANGE" else ("MAX" if kind == "UPPER" else "MIN")
        raise ConfigError(f"TYPE {kind} needs {need}", file=file, where=where)
    if kind == "RANGE":
        return "CUT", mean - abs(sigma), mean + abs(sigma)
    return "CUT", (mean if kind == "LOWER" else None), (mean if kind == "UPPER" else None)


def parse_observable(name: str, spec: Any, file: str, code: str | None, known_names: set[str]) -> Observable:
    where = f"Codes.{code}.Observables.{name}" if code else f"Observables.{name}"
    _check_column_name(name, where, file, _OBSERVABLE_CHARS)
    if not isinstance(spec, dict):
        raise ConfigError("must be a JSON object", file=file, where=where)
    slha = None
    if "SLHA" in spec:
        entry = spec["SLHA"]
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise ConfigError(f"expected [\"BLOCK\", [i, ...]], got {entry!r}", file=file, where=f"{where}.SLHA")
        keys = entry[1] if isinstance(entry[1], list) else [entry[1]]
        try:
            if entry[0].upper() == "BR":
                keys = (int(keys[0]), tuple(int(k) for k in keys[1]))
            elif entry[0].upper() == "XSECTION":  # [sqrt(s) in GeV, beam, beam, final state...]
                keys = (float(keys[0]), int(keys[1]), int(keys[2]), *(int(k) for k in keys[3:]))
            elif entry[0].upper() in ANALYSIS_BLOCKS:  # HackAnalysis': [analysis, name(, column)]
                keys = (str(keys[0]), str(keys[1]), *(int(k) for k in keys[2:3]))
            else:
                keys = tuple(int(k) for k in keys)
        except (TypeError, ValueError, IndexError):
            raise ConfigError(f"bad SLHA entry {entry!r}", file=file, where=f"{where}.SLHA") from None
        if not keys:
            raise ConfigError("SLHA entry needs at least one index", file=file, where=f"{where}.SLHA")
        slha = (entry[0].upper(), keys)
    function = None
    if "FUNCTION" in spec:
        try:
            function = Expression(str(spec["FUNCTION"]))
        except ExpressionError as exc:
            raise ConfigError(str(exc), file=file, where=f"{where}.FUNCTION") from None
    mean = _optional_float(spec, "MEAN", where, file, finite=True)
    sigma = _optional_float(spec, "VARIANCE", where, file, finite=True)
    if sigma is None:
        sigma = _optional_float(spec, "SIGMA", where, file, finite=True)
    if "RANGE" in spec and spec["RANGE"] is not None:
        lo, hi = _number_pair(spec["RANGE"], f"{where}.RANGE", file)
        if mean is None:
            mean, sigma = 0.5 * (lo + hi), 0.5 * (hi - lo) if sigma is None else sigma
    lower = _optional_float(spec, "LOWER_BOUND", where, file)
    upper = _optional_float(spec, "UPPER_BOUND", where, file)
    scaling = spec.get("SCALING")
    if scaling is None and any(k in spec for k in ("TYPE", "MAX", "MIN")):  # BSMArt's AL: a cut, or a USER value
        scaling, lower, upper = _al_cut(spec, mean, sigma, where, file)
    if scaling is None:
        scaling = "GAUSS" if mean is not None and sigma is not None else "OFF"
    if not isinstance(scaling, str) or scaling.upper() not in SCALINGS:
        raise ConfigError(f"SCALING {scaling!r} is not one of {', '.join(SCALINGS)}", file=file,
                          where=f"{where}.SCALING")
    scaling = scaling.upper()
    if scaling in ("GAUSS", "UPPER", "LOWER", "LOG", "BIAS"):
        if mean is None or sigma is None:
            raise ConfigError(f"SCALING {scaling} needs MEAN and VARIANCE (the width)", file=file, where=where)
        if scaling != "BIAS" and not sigma > 0:
            raise ConfigError(f"VARIANCE (the width) must be positive, got {sigma:g}", file=file, where=where)
        if scaling == "BIAS" and mean == 0:
            raise ConfigError("SCALING BIAS needs a non-zero MEAN", file=file, where=where)
    valid = None
    if spec.get("VALID") is not None:
        v = spec["VALID"]
        if not isinstance(v, list) or not v or any(x is None for x in v):
            raise ConfigError(f"expected [low, high] (or BSMArt's [value]), got {v!r}", file=file,
                              where=f"{where}.VALID")
        # as BSMArt: the values allowed lie between the smallest and the largest listed ([1]: exactly 1)
        bounds = [_optional_float({"v": x}, "v", f"{where}.VALID", file) for x in v]
        valid = (min(bounds), max(bounds))
    return Observable(
        name=name, scaling=scaling, mean=mean, sigma=sigma, lower_bound=lower, upper_bound=upper,
        log_scaling=parse_bool(spec.get("LOG_SCALING", False), f"{where}.LOG_SCALING", file),
        slha=slha, function=function, valid=valid, code=code,
    )


# -- codes --------------------------------------------------------------------------------

def resolve_command(command: Any, base_dir: Path, where: str, file: str) -> list[str]:
    if isinstance(command, str):
        try:
            args = shlex.split(command)
        except ValueError as exc:
            raise ConfigError(f"cannot split command: {exc}", file=file, where=where) from None
    elif isinstance(command, list) and all(isinstance(a, str) for a in command):
        args = list(command)
    else:
        raise ConfigError(f"expected a command string or list of strings, got {command!r}", file=file, where=where)
    if not args:
        raise ConfigError("command is empty", file=file, where=where)
    args[1:] = [str(Path(a).expanduser()) if a.startswith("~") else a for a in args[1:]]  # as BSMArt's shell does
    program = Path(args[0]).expanduser()
    if "/" in args[0] or args[0].startswith("~"):
        program = program if program.is_absolute() else (base_dir / program).resolve()
        if not program.is_file():
            raise ConfigError(f"program {program} does not exist", file=file, where=where)
        args[0] = str(program)
    else:
        found = shutil.which(args[0])
        if found is None:
            raise ConfigError(f"program '{args[0]}' is not on PATH", file=file, where=where)
        args[0] = found
    return args


def _safe_file_name(value: Any, where: str, file: str) -> str:
    if not isinstance(value, str) or not _FILE_RE.match(value) or value in (".", ".."):
        raise ConfigError(f"{value!r} must be a plain file name (no folders)", file=file, where=where)
    return value


def parse_code(name: str, spec: Any, ctx: dict[str, Any]) -> Code | None:
    from bsmart.codes.external import ExternalCode
    from bsmart.codes.python import PythonCode
    from bsmart.codes.tools import find_tool
    from bsmart.codes.tools._user_tool import build as build_user_tool
    from bsmart.codes.toy_targets import ToyTargets

    file, base_dir = ctx["file"], ctx["base_dir"]
    where = f"Codes.{name}"
    if not isinstance(spec, dict):
        raise ConfigError("must be a JSON object", file=file, where=where)
    if not parse_bool(spec.get("Run", True), f"{where}.Run", file):
        return None
    tool = find_tool(name)
    user_tool = base_dir / "Tools" / f"{name}.py"  # BSMArt's user tools, next to the input file
    user_tool = user_tool if tool is None and "Command" not in spec and user_tool.is_file() else None
    for key in spec if user_tool is None else ():  # a user tool reads its own keys
        if key not in CODE_KEYS and key not in ctx["toy_keys"] and key not in (tool.KEYS if tool else ()):
            ctx["warnings"].append(f"{file}: {where}.{key}: unknown key, ignored")
    observables_spec = spec.get("Observables") or {}
    if not isinstance(observables_spec, dict):
        raise ConfigError("must be a JSON object", file=file, where=f"{where}.Observables")
    observables = {o: parse_observable(o, s, file, name, ctx["names"]) for o, s in observables_spec.items()}
    conditions_spec = spec.get("Conditions") or []
    if isinstance(conditions_spec, str):
        conditions_spec = [conditions_spec]
    if not isinstance(conditions_spec, list):
        raise ConfigError("must be a list of expressions", file=file, where=f"{where}.Conditions")
    conditions = []
    for i, text in enumerate(conditions_spec):
        try:
            conditions.append(Expression(str(text)))
        except ExpressionError as exc:
            raise ConfigError(str(exc), file=file, where=f"{where}.Conditions[{i}]") from None
    timeout = parse_float(spec.get("Timeout", ctx["timeout"]), f"{where}.Timeout", file)
    if not 0 < timeout <= 1e7:
        raise ConfigError(f"must be positive seconds (at most 1e7), got {timeout:g}", file=file,
                          where=f"{where}.Timeout")
    common = {"observables": observables, "conditions": conditions, "timeout": timeout}
    if "Function" in spec:
        settings = spec.get("Settings") or {}
        return PythonCode(name, str(spec["Function"]), base_dir, settings=settings,
                          spectrum_file=ctx["spectrum_file"], **common)
    if name == "toy_targets" or spec.get("Type") == "toy_targets":
        return ToyTargets(name, settings=spec, variable_names=ctx["variable_names"], **common)
    if tool is not None and not getattr(tool, "NEEDS_COMMAND", True):  # a Python library, run in-process
        return tool.build(name, spec, common, ctx)
    runs_program = user_tool is None and getattr(tool, "RUNS_PROGRAM", True)  # pass_tool only fills its template
    if "Command" not in spec and runs_program:
        if tool is not None:
            raise ConfigError(f"BSMArt's {tool.__name__.rsplit('.', 1)[-1]} tool needs \"Command\", the path of its "
                              "program", file=file, where=where)
        raise ConfigError("needs \"Function\" (a Python code), \"Command\" (a program), the name of one of "
                          f"BSMArt's tools, or a user tool {Path('Tools') / (name + '.py')} next to the input file",
                          file=file, where=where)
    command = resolve_command(spec["Command"], base_dir, f"{where}.Command", file) if runs_program else []
    input_file = spec.get("InputFile")
    output_file = spec.get("OutputFile")
    template = None
    template_path = spec.get("Template")
    if input_file is not None:
        input_name = Path(str(input_file)).name
        if template_path is None and not ctx["template_used"] and not ctx["skip_slha"]:
            template_path = input_file  # BSMArt: the first code's InputFile is the template
        if template_path is not None:
            ctx["template_used"] = True
            try:
                template = Template.from_file(ctx["resolve"](str(template_path)), ctx["names"] | ctx["derived"],
                                              overrides=ctx["blocks"])
            except ConfigError as exc:  # name the JSON key that points to the template, and the template
                key = "Template" if "Template" in spec else "InputFile"
                raise ConfigError(str(exc), file=file, where=f"{where}.{key}") if exc.file else exc from None
        input_file = _safe_file_name(input_name, f"{where}.InputFile", file)
    if user_tool is not None:
        return build_user_tool(name, user_tool, spec, {**common, "input_file": input_file, "template": template}, ctx)
    if output_file is not None:
        output_file = _safe_file_name(output_file, f"{where}.OutputFile", file)
        ctx["spectrum_file"] = ctx["spectrum_file"] or output_file  # BSMArt: the first code's OutputFile
    environment = spec.get("Environment Variables") or {}
    if not isinstance(environment, dict):
        raise ConfigError("must be a JSON object", file=file, where=f"{where}.Environment Variables")
    program = {"command": command, "input_file": input_file, "output_file": output_file, "template": template,
               "environment": {str(k): str(v) for k, v in environment.items()}, **common}
    return tool.build(name, spec, program, ctx) if tool else ExternalCode(name, **program)


def _check_expression_names(codes: list[Code], observables: Mapping[str, Observable], known: set[str],
                            file: str) -> None:
    """FUNCTION and Conditions may only use variables, derived variables, observables and the
    names codes return: a typo is an error now, not a silent max loss on every point."""
    from bsmart.codes.toy_targets import OUTPUTS

    if any(code.kind == "python" for code in codes):
        return  # a Python code may return any name; unknown names fail the point at run time
    known = known | set(observables) | {"VARIABLE"}
    if any(code.kind == "toy_targets" for code in codes):
        known |= set(OUTPUTS)
    for name, obs in observables.items():
        unknown = sorted(obs.function.names - known) if obs.function is not None else []
        if unknown:
            where = f"Codes.{obs.code}.Observables.{name}" if obs.code else f"Observables.{name}"
            raise ConfigError(f"uses unknown name(s) {unknown}", file=file, where=f"{where}.FUNCTION")
    for code in codes:
        for i, condition in enumerate(code.conditions):
            unknown = sorted(condition.names - known)
            if unknown:
                raise ConfigError(f"uses unknown name(s) {unknown}", file=file, where=f"Codes.{code.name}.Conditions[{i}]")


# -- the whole file -------------------------------------------------------------------------

def load_config(path: str | Path, seed: int | None = None, debug: bool | None = None,
                setup: Mapping[str, Any] | None = None) -> RunConfig:
    """The input file, validated; ``setup`` overrides its Setup keys (command-line flags)."""
    try:
        path = Path(path).expanduser().resolve()
    except (OSError, ValueError) as exc:  # a NUL in the name, say
        raise ConfigError(f"bad input file name: {exc}", file=str(path)[:200]) from None
    file = str(path)
    raw = read_json(path)
    if setup and isinstance(raw.get("Setup"), dict):
        raw = {**raw, "Setup": {**raw["Setup"], **setup}}
    try:
        return build_config(raw, path, seed=seed, debug=debug)
    except ConfigError as exc:  # helpers below the config (grids, imports) do not know the file
        raise exc.in_file(file) from None


def build_config(raw: Mapping[str, Any], path: Path, seed: int | None = None, debug: bool | None = None) \
        -> RunConfig:
    file = str(path)
    warnings: list[str] = []
    for key in raw:
        if key not in TOP_KEYS:
            warnings.append(f"{file}: {key}: unknown block, ignored")
    setup = _block(raw, "Setup", file)
    scan_name = scan_name_of(raw, file)
    resolve_scan_id(scan_name)  # a missing scan is said first: nothing else can run without it

    for key in TOP_KEYS - {"Scan"}:
        if key in raw and raw[key] is not None and not isinstance(raw[key], dict):
            raise ConfigError(f"must be a JSON object, got {str(raw[key])[:40]}", file=file, where=key)
    run_name = setup.get("RunName") or "BSMArt_run"
    if not isinstance(run_name, str) or Path(run_name).is_absolute() or ".." in Path(run_name).parts \
            or len(run_name) > 200 or any(ord(c) < 32 for c in run_name):
        raise ConfigError(f"{str(run_name)[:60]!r} must be a relative folder name without '..' or control "
                          f"characters, at most 200 characters", file=file, where="Setup.RunName")
    cores = parse_int(setup.get("Cores", 1), "Setup.Cores", file)
    if not 1 <= cores <= 1024:
        raise ConfigError(f"must be between 1 and 1024, got {cores}", file=file, where="Setup.Cores")
    if seed is None and setup.get("Seed") is not None:
        seed = parse_int(setup["Seed"], "Setup.Seed", file)
    if seed is not None and not 0 <= seed < 2 ** 63:
        raise ConfigError(f"must be a non-negative integer, got {seed}", file=file, where="Setup.Seed")
    output_file = _safe_file_name(str(setup.get("Output File", "SLHA_output")), "Setup.Output File", file)
    store_spectra = any(parse_bool(setup.get(key, False), f"Setup.{key}", file)
                        for key in ("StoreAllPoints", "Store Output Files"))  # BSMArt's two names for it
    store_invalid = parse_bool(setup.get("Store Invalid", False), "Setup.Store Invalid", file)
    store_tabbed = parse_bool(setup.get("Short", False), "Setup.Short", file)
    store_separate, store_inputs, store_everything = (
        parse_bool(setup.get(key, False), f"Setup.{key}", file)
        for key in ("StoreSeparateFiles", "StoreInputs", "StoreEverything"))
    store_spectra = store_spectra or store_everything  # as BSMArt
    if store_separate and not store_spectra:
        warnings.append(f"{file}: Setup.StoreSeparateFiles: stores nothing without StoreAllPoints (as in BSMArt)")
    timeout = parse_float(setup.get("Timeout", 600), "Setup.Timeout", file)
    if timeout <= 0:
        raise ConfigError("must be positive", file=file, where="Setup.Timeout")
    if debug is None:
        debug = parse_bool(setup.get("debug", False), "Setup.debug", file)
    threshold = None
    networks = raw.get("Networks") if isinstance(raw.get("Networks"), dict) else {}
    for where, value in (("Setup.Threshold", setup.get("Threshold")),
                         ("Networks.Threshold_Value", networks.get("Threshold_Value"))):
        if value is not None:
            threshold = parse_float(value, where, file)
    skip_slha = parse_bool(setup.get("Skip SLHA Files", False), "Setup.Skip SLHA Files", file)
    temp_dir = setup.get("Temporary Directory")
    if temp_dir and (not isinstance(temp_dir, str) or "\0" in temp_dir or len(temp_dir) > 1000):
        raise ConfigError(f"{str(temp_dir)[:60]!r} is not a folder name", file=file, where="Setup.Temporary Directory")
    temp_dir = (path.parent / Path(temp_dir).expanduser()).resolve() if temp_dir else None
    environment = setup.get("Environment Variables") or {}
    if not isinstance(environment, dict):
        raise ConfigError("must be a JSON object", file=file, where="Setup.Environment Variables")

    variables_spec = _block(raw, "Variables", file, required=True)
    variables = [parse_variable(name, spec, file, warnings) for name, spec in variables_spec.items()]
    for key in UNWRITTEN_OUTPUTS:
        if key in setup:
            parse_bool(setup[key], f"Setup.{key}", file)  # checked here, warned of by the session
    space = Space(variables) if variables else None
    if space is None:
        raise ConfigError("no variables declared", file=file, where="Variables")
    names = set(space.names)
    fitting = Fitting.parse(raw["Fitting"], file, names) if raw.get("Fitting") else None
    if fitting is not None:
        names |= set(fitting.names)  # the codes' templates and expressions read them as variables

    derived: dict[str, Expression] = {}
    for name, text in _block(raw, "Derived Variables", file).items():
        where = f"Derived Variables.{name}"
        _check_name(name, where, file)
        if name in names:
            raise ConfigError("has the name of a variable", file=file, where=where)
        try:
            expr = Expression(str(text))
        except ExpressionError as exc:
            raise ConfigError(str(exc), file=file, where=where) from None
        unknown = sorted(expr.names - names - set(derived) - {"VARIABLE"})  # VARIABLE[i] reaches any name
        if unknown:
            raise ConfigError(f"uses unknown name(s) {unknown}", file=file, where=where)
        derived[name] = expr

    blocks = _block(raw, "Blocks", file)
    ctx = {
        "file": file, "base_dir": path.parent, "warnings": warnings, "names": names, "derived": set(derived),
        "variable_names": space.names, "template_used": False, "skip_slha": skip_slha, "blocks": blocks,
        "timeout": timeout, "resolve": lambda p: (path.parent / Path(p).expanduser()).resolve(),
        "cores": cores, "spectrum_file": None if setup.get("Spectrum File") is None
        else _safe_file_name(setup["Spectrum File"], "Setup.Spectrum File", file),
        "toy_keys": {"Rosenbrock a", "Rosenbrock b", "Rastrigin A", "Ackley a", "Ackley b", "Ackley c",
                     "Himmelblau a", "Himmelblau b", "Easom center", "Shell center", "TwoShell centers",
                     "TwoShell radius", "Invalid fraction"},
    }
    codes_spec = _block(raw, "Codes", file, required=True)
    codes = [c for name, spec in codes_spec.items() if (c := parse_code(name, spec, ctx)) is not None]
    if not codes:
        raise ConfigError("no code has Run set to true", file=file, where="Codes")
    if blocks and not ctx["template_used"]:
        raise ConfigError("no code reads an SLHA template (an external code's InputFile) for these entries to go "
                          "into", file=file, where="Blocks")
    for code in codes:
        if environment:
            if hasattr(code, "environment"):
                code.environment = {**{str(k): str(v) for k, v in environment.items()}, **code.environment}

    observables: dict[str, Observable] = {}
    for name, spec in _block(raw, "Observables", file).items():
        obs = parse_observable(name, spec, file, None, names)
        if obs.slha is not None and not any(c.writes_slha for c in codes):
            raise ConfigError("reads an SLHA entry but no code writes an OutputFile", file=file,
                              where=f"Observables.{name}")
        observables[name] = obs
    for code in codes:
        for name, obs in code.observables.items():
            if name in observables:  # as BSMArt: the last declaration is used (a code's over a global one)
                earlier = observables[name].code
                ctx["warnings"].append(f"{file}: Codes.{code.name}.Observables.{name}: also declared in "
                                       f"{f'Codes.{earlier}.Observables' if earlier else 'Observables'}; "
                                       f"this declaration is used, as in BSMArt")
                if earlier:
                    next(c for c in codes if c.name == earlier).observables.pop(name)
            if obs.slha is not None and not code.writes_slha:
                raise ConfigError("reads an SLHA entry but this code has no OutputFile", file=file,
                                  where=f"Codes.{code.name}.Observables.{name}")
            observables[name] = obs
    clash = sorted(set(observables) & (names | set(derived)))
    if clash:
        raise ConfigError(f"observable(s) {clash} have the name of a variable", file=file, where="Observables")

    _check_expression_names(codes, observables, names | set(derived), file)
    if fitting is not None:
        missing = sorted(fitting.observables - set(observables))
        if missing:
            raise ConfigError("no observable of that name is declared", file=file,
                              where=f"Fitting.Observables.{missing[0]}")
        # the fitted values are columns right after the variables, as in BSMArt's CSV
        observables = {**{name: Observable(name) for name in fitting.names}, **observables}

    spectrum_file = setup.get("Spectrum File")
    spectrum_code = next((c.name for c in codes if spectrum_file and getattr(c, "output_file", None) == spectrum_file),
                         None)
    chain = Chain(codes, observables, space.names, derived, spectrum_code, fitting)
    if store_inputs and chain.input_file is None:
        warnings.append(f"{file}: Setup.StoreInputs: no code writes an input file from a template; nothing to store")
    for code in codes:
        try:
            code.check()
        except ConfigError as exc:
            raise ConfigError(exc.detail, file=exc.file or file, where=exc.where or f"Codes.{code.name}") from None
    return RunConfig(path=path, raw=raw, scan_name=scan_name, run_name=run_name, cores=cores, seed=seed,
                     output_file=output_file, store_spectra=store_spectra, store_invalid=store_invalid,
                     store_tabbed=store_tabbed, store_separate=store_separate, store_inputs=store_inputs,
                     store_everything=store_everything,
                     timeout=timeout, debug=debug, threshold=threshold,
                     temp_dir=temp_dir, space=space, chain=chain, warnings=tuple(warnings))
