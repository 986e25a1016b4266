"""HackAnalysis with Pythia generating the events (BSMArt's HackAnalysis_LO): ``<Command> <YAML
file's name>`` (e.g. ``analysePYTHIA.exe``) runs in the point's folder on a copy of ``YAML file``
(its ``settings: cores`` set from ``Cores``) and of the Pythia configuration that names
(``settings: Config file``, beside the YAML file): terms of its values that are expressions of the
variables are evaluated for the point, and ``SLHA:file`` is set to the point's spectrum. The
efficiency file the program writes (``settings: Efficiency Filename``, default ``test.slha``, SLHA)
joins the point's spectrum and is appended to the spectrum file, as in BSMArt; a run that writes
no efficiency or cutflow file (``Cutflow Filename``, default ``test.eff``) makes the point invalid.
BSMArt ran the program in the folder it was started from; bsmart runs it in the point's."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from bsmart.codes.base import CodeOutput
from bsmart.codes.tools._library import DEFAULT_SPECTRUM, existing_spectrum, read_spectrum, tool_path
from bsmart.codes.tools._program import SpectrumProgram
from bsmart.config import parse_int
from bsmart.errors import CodeError, ConfigError, ExpressionError
from bsmart.expr import Expression

KEYS = {"YAML file", "Cores"}


def pythia_lines(path: Path, known: set[str]) -> list[tuple[str, list[str | Expression]]]:
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


class HackAnalysis(SpectrumProgram):
    def __init__(self, name: str, command: Sequence[str], *, settings: dict[str, Any], yaml_name: str,
                 config_name: str, config: list[tuple[str, list[str | Expression]]], **kwargs: Any):
        super().__init__(name, command, **kwargs)
        self.settings, self.yaml_name, self.config_name, self.config = settings, yaml_name, config_name, config
        inner = settings["settings"]
        self.efficiency = str(inner.get("Efficiency Filename", "test.slha"))
        self.cutflow = str(inner.get("Cutflow Filename", "test.eff"))

    def _config_text(self, env: Mapping[str, Any], spectrum: Path) -> str:
        rows = []
        for key, terms in self.config:
            try:
                value = " ".join(t if isinstance(t, str) else f"{float(t.evaluate(env)):10.6e}" for t in terms)
            except (ExpressionError, TypeError, ValueError) as exc:
                raise CodeError(f"{self.name}: {self.config_name}: {key}: {exc}") from None
            rows.append(f"{key} = {value}")
        return "\n".join([*rows, f"SLHA:file = {spectrum}"]) + "\n"

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        import yaml

        assert workdir is not None
        spectrum = existing_spectrum(self.name, workdir / self.spectrum_file)
        (workdir / self.yaml_name).write_text(yaml.safe_dump(self.settings, sort_keys=False))
        (workdir / self.config_name).write_text(self._config_text(env, spectrum))
        for stale in (self.efficiency, self.cutflow):
            (workdir / stale).unlink(missing_ok=True)
        self.execute([*self.command, self.yaml_name], workdir, self.timeout)
        missing = [f for f in (self.efficiency, self.cutflow) if not (workdir / f).is_file()]
        if missing:
            raise CodeError(f"{self.name}: HackAnalysis wrote no {' or '.join(missing)}")
        with open(spectrum, "a") as fh:  # as BSMArt: the efficiencies join the spectrum
            fh.write((workdir / self.efficiency).read_text(errors="replace"))
        return CodeOutput(slha=read_spectrum(self.name, spectrum))


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> HackAnalysis:
    import yaml

    file, where = ctx["file"], f"Codes.{name}"
    path = tool_path(spec, "YAML file", ctx, name, "HackAnalysis_LO needs its YAML file (the analyses and the "
                                                   "Pythia configuration to run)")
    try:
        settings = _plain(yaml.safe_load(path.read_text()))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a YAML file: {str(exc).splitlines()[0]}", file=file,
                          where=f"{where}.YAML file") from None
    inner = settings.get("settings") if isinstance(settings, dict) else None
    if not isinstance(inner, dict) or not inner.get("Config file"):
        raise ConfigError(f"{path} has no 'settings: Config file' (the Pythia configuration)", file=file,
                          where=f"{where}.YAML file")
    config = path.parent / str(inner["Config file"])
    if not config.is_file():
        raise ConfigError(f"no Pythia configuration {config} (settings: Config file of {path.name})", file=file,
                          where=f"{where}.YAML file")
    if "Cores" in spec:
        inner["cores"] = parse_int(spec["Cores"], f"{where}.Cores", file)
    inner.setdefault("cores", 1)
    known = set(ctx["variable_names"]) | set(ctx["derived"]) | {"VARIABLE"}
    return HackAnalysis(name, settings=settings, yaml_name=path.name, config_name=config.name,
                        config=pythia_lines(config, known), spectrum_file=ctx["spectrum_file"] or DEFAULT_SPECTRUM,
                        **program)
