"""What BSMArt's MadGraph-based tools share (its MGaux): the MadGraph5 process folder, a run of
its ``bin/generate_events`` on the point's spectrum, and the cross section read back.

Unlike BSMArt, which ran MadGraph in the user's process folder (overwriting its param card and
deleting everything under its ``Events/`` before each point, one core only), each worker process
runs in its own copy of the folder, made once under the run's temporary folder: the user's
folder is only read, and points run in parallel."""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import shutil
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

from bsmart.errors import CodeError, ConfigError, ExpressionError
from bsmart.expr import Expression
from bsmart.likelihood import as_float

NO_QUESTIONS = "automatic_html_opening = False\nauto_update = 0\n"


def process_folder(spec: Mapping[str, Any], ctx: Mapping[str, Any], where: str) -> Path:
    """The MadGraph5 process folder (made by ``mg5_aMC`` from a proc card, holding
    ``bin/generate_events``), from BSMArt's keys: ``MadGraph Directory``, ``Command`` (or
    ``MadGraph``: its generate_events), ``Output Directory``, or the proc card's ``output`` line."""
    file, command = ctx["file"], spec.get("Command", spec.get("MadGraph"))
    if spec.get("MadGraph Directory"):
        folder, key = spec["MadGraph Directory"], "MadGraph Directory"
    elif command:
        folder, key = str(Path(str(command).split()[0]).parent.parent), "Command"
    elif spec.get("Output Directory"):
        folder, key = spec["Output Directory"], "Output Directory"
    elif spec.get("Proc Card"):
        card, key = ctx["resolve"](str(spec["Proc Card"])), "Proc Card"
        lines = card.read_text().splitlines() if card.is_file() else []
        folder = next((line.split()[1] for line in lines if line.startswith("output ") and len(line.split()) > 1),
                      str(spec.get("Process", "HAPROCESS")))
    else:
        raise ConfigError("name MadGraph's process folder: \"Command\" (its bin/generate_events), \"MadGraph "
                          "Directory\" or \"Proc Card\"", file=file, where=where)
    path = ctx["resolve"](str(folder))
    if not (path / "bin" / "generate_events").is_file():
        make = f"; make it once with `{spec.get('MadGraph Path', 'mg5_aMC')} {spec['Proc Card']}`" \
            if "Proc Card" in spec else ""
        raise ConfigError(f"{path} is not a MadGraph5 process folder (no bin/generate_events){make}", file=file,
                          where=f"{where}.{key}")
    return path


def default_commands(madspin: bool, shower: str = "Pythia8",
                     run_card: Sequence[list[Any]] = ()) -> list[list[Any]]:
    """BSMArt's answers to generate_events' questions when the file gives no ``Extra Commands``:
    the switches, then the ``run_card`` commands."""
    switches = [f"shower={shower}", "detector=OFF", "analysis=OFF", f"madspin={'ON' if madspin else 'OFF'}", "done"]
    return [[c] for c in switches] + list(run_card) + [["done"]]


def parse_commands(spec: Mapping[str, Any], ctx: Mapping[str, Any], where: str, madspin: bool,
                   default: list[list[Any]] | None = None) -> tuple[list[list[Any]], bool]:
    """BSMArt's ``Extra Commands`` (lists of [command, value, suffix]; a value that is an
    expression of the variables is evaluated per point, any other is text; else ``default`` or
    MadGraph's) and whether MadSpin runs."""
    file, names = ctx["file"], ctx["names"] | ctx["derived"]
    given = spec.get("Extra Commands")
    if given is None and default is not None:
        return default, madspin
    if given is None:
        return default_commands(madspin), madspin
    if not isinstance(given, list) or not all(isinstance(c, list) and c and len(c) <= 3 for c in given):
        raise ConfigError(f"expected a list of [command, value, suffix] lists, got {given!r}", file=file,
                          where=f"{where}.Extra Commands")
    commands = []
    for i, (head, *rest) in enumerate(given):
        if str(head).replace(" ", "").lower().startswith("madspin="):
            madspin = str(head).replace(" ", "").lower() != "madspin=off"
        if rest:
            try:
                value = Expression(str(rest[0]))
                value = value if value.names <= names else str(rest[0])
            except ExpressionError:
                value = str(rest[0])
            if isinstance(value, str) and any(ch.isalpha() for ch in value):
                ctx["warnings"].append(f"{file}: {where}.Extra Commands[{i}]: {value!r} is not an expression of "
                                       f"the variables; MadGraph gets it as text")
            rest[0] = value
        commands.append([str(head), *rest])
    return commands, madspin


def command_text(commands: list[list[Any]], env: Mapping[str, Any]) -> str:
    """The point's commands for generate_events, values written as BSMArt writes them."""
    lines = []
    for head, *rest in commands:
        words = [head]
        if rest:
            value = rest[0]
            words.append(f"{float(value.evaluate(env)):12.8e}" if isinstance(value, Expression) else str(value))
        words += [str(r) for r in rest[1:]]
        lines.append(" ".join(words) + "\n")
    return "".join(lines)


def worker_copy(source: Path, scratch: Path, name: str, cores: int | None) -> Path:
    """This worker's copy of the process folder (made on first use), its earlier results removed."""
    copy = scratch / f".{name}-{os.getpid()}-{threading.get_native_id()}"
    if not copy.is_dir():
        events = str(source / "Events")  # earlier runs' events (the bulk of a used folder) are not copied
        shutil.copytree(source, copy.with_suffix(".part"), symlinks=True, dirs_exist_ok=True,
                        ignore=lambda folder, names: names if folder == events else [])
        with open(copy.with_suffix(".part") / "Cards" / "me5_configuration.txt", "a") as fh:
            fh.write(NO_QUESTIONS + (f"nb_core = {cores}\n" if cores else ""))
        os.replace(copy.with_suffix(".part"), copy)
    for stale in [*(copy / "Events").glob("*"), *(copy / "HTML").glob("run_01*"), copy / "RunWeb"]:
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
        elif stale.exists() or stale.is_symlink():
            stale.unlink()
    return copy


def read_cross_section(run: Path) -> tuple[float, float, float]:
    """(cross section in pb, + and - fractional uncertainty) of a generate_events run, from the
    first of its merged cross sections, its systematics log, its banner (as BSMArt's readxsdata)."""
    for merged in sorted(run.glob("tag_*_merged_xsecs.txt")):
        for line in merged.read_text(errors="replace").splitlines():
            words = line.split()
            if len(words) > 2 and not math.isnan(xs := as_float(words[1])):
                return xs, 0.0, 0.0
    log = run / "parton_systematics.log"
    if log.is_file():
        found: dict[str, list[str]] = {}
        for line in log.read_text(errors="replace").splitlines():
            for label in ("original cross-section", "scale variation", "central scheme variation", "PDF variation"):
                if label in line and ":" in line:
                    found[label] = line.split(":", 1)[1].replace(" ", "").split("%")
        if len(found) == 4 and not math.isnan(xs := as_float(found["original cross-section"][0])):
            parts = [found[k] for k in ("scale variation", "central scheme variation", "PDF variation")]
            plus, minus = (math.hypot(*(float(p[i]) for p in parts)) / 100 for i in (0, 1))
            return xs, plus, minus
    for banner in sorted(run.glob("run_*_banner.txt")):
        for line in banner.read_text(errors="replace").splitlines():
            if "Integrated weight" in line and not math.isnan(xs := as_float(line.split(":")[-1])):
                return xs, 0.0, 0.0
    raise CodeError(f"no cross section in {run.name} (no merged cross sections, parton_systematics.log or banner)")


class CrossSectionTable:
    """BSMArt's ``Cross-sections``: a table of cross section (and uncertainty) against a mass
    (``File``: comma- or space-separated, ``#`` comments; ``Columns``: the mass, cross section
    and uncertainty columns, default 0 1 2; ``Units``: fb (default) or pb), interpolated by a cubic
    spline at ``Mass Variable`` (an expression of the point's values) in place of MadGraph's own."""

    def __init__(self, spec: Any, ctx: Mapping[str, Any], where: str):
        from scipy.interpolate import UnivariateSpline

        file = ctx["file"]
        if not isinstance(spec, dict) or "File" not in spec or "Mass Variable" not in spec:
            raise ConfigError("expected {\"File\": ..., \"Mass Variable\": ...}", file=file, where=where)
        try:
            self.mass = Expression(str(spec["Mass Variable"]))
            columns = [int(c) for c in spec.get("Columns", [0, 1, 2])]
        except (ExpressionError, TypeError, ValueError) as exc:
            raise ConfigError(str(exc), file=file, where=where) from None
        self.scale = {"pb": 1.0, "fb": 1e-3}.get(str(spec.get("Units", "fb")))
        if self.scale is None:
            raise ConfigError(f"Units must be pb or fb, got {spec['Units']!r}", file=file, where=f"{where}.Units")
        path = ctx["resolve"](str(spec["File"]))
        if not path.is_file():
            raise ConfigError(f"no file {path}", file=file, where=f"{where}.File")
        rows = []
        for line in path.read_text().splitlines():
            words = line.split(",") if "," in line else line.split()
            try:
                if not line.startswith("#") and len(words) > max(columns):
                    rows.append([float(words[c]) for c in columns])
            except ValueError:
                continue  # a header line
        if len(rows) < 4:
            raise ConfigError(f"{path}: needs at least 4 rows of numbers for a cubic spline", file=file,
                              where=f"{where}.File")
        table = sorted(rows)
        masses = [r[0] for r in table]
        self.range = masses[0], masses[-1]
        self.splines = [UnivariateSpline(masses, [r[k] for r in table], k=3, s=0) for k in range(1, len(columns))]

    def at(self, env: Mapping[str, Any]) -> tuple[float, float]:
        """(cross section in pb, its uncertainty in pb) at the point's mass."""
        mass = float(self.mass.evaluate(env))
        if not self.range[0] <= mass <= self.range[1]:
            raise CodeError(f"Cross-sections: mass {mass:g} is outside the table ({self.range[0]:g} to "
                            f"{self.range[1]:g})")
        values = [float(s(mass)) * self.scale for s in self.splines]
        return values[0], values[1] if len(values) > 1 else 0.0


# the endings of MadGraph's event files, as BSMArt looks for them
LHE = (".lhe", ".lhe.gz")
HEPMC = (".hepmc", ".hepmc.gz")


def find_events(name: str, run: Path, endings: tuple[str, ...]) -> Path:
    """The run's event file (``.lhe``, ``.hepmc``, gzipped or not), as BSMArt looks for it."""
    found = sorted(p for p in run.glob("*") if p.name.endswith(endings)) if run.is_dir() else []
    if not found:
        raise CodeError(f"{name}: MadGraph wrote no {' or '.join(e for e in endings if not e.endswith('.gz'))} "
                        f"events in {run.name}")
    return found[0]


def deal_events(events: Path, stem: Path, parts: int) -> list[Path]:
    """The LHE events dealt in turn into ``<stem>_<i>.lhe.gz``, each with the header (as BSMArt's splitlhe)."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_name(f"{stem.name}_{i}.lhe.gz") for i in range(parts)]
    with contextlib.ExitStack() as files:  # every file closed, also when reading fails half way
        outs = [files.enter_context(gzip.open(p, "wt")) for p in paths]
        source = files.enter_context(gzip.open(events, "rt") if events.name.endswith(".gz") else open(events))
        turn, in_header = 0, True
        for line in source:
            in_header = in_header and "<event" not in line
            if in_header or "</LesHouchesEvents" in line:
                for out in outs:
                    out.write(line)
            else:
                outs[turn].write(line)
                turn = (turn + 1) % parts if "</event>" in line else turn
    return paths
