"""MadGraph5, as BSMArt's MadGraph tool runs it: the point's spectrum becomes the process folder's
``Cards/param_card.dat`` (with ``QNUMBERS file`` appended), ``bin/generate_events`` runs with the
commands of ``Extra Commands`` (default: Pythia8 shower, no detector or analysis, ``MadSpin``
as set) on its standard input, and the cross section it finds is appended to the spectrum as
``Block MADGRAPH``: 1 the cross section in pb (times ``k-factor``), 2 and 3 its + and -
fractional uncertainties; with ``Cross-sections`` (a table interpolated at a mass) 1 to 3 come
from the table and 4 to 6 are MadGraph's. Each worker runs in its own copy of the process
folder (see :mod:`._madgraph`), so the user's folder is never written to and points run in
parallel."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

from bsmart.codes.base import CodeOutput
from bsmart.codes.tools._library import append_block, existing_spectrum, tool_path
from bsmart.codes.tools._madgraph import (CrossSectionTable, command_text, parse_commands, process_folder,
                                          read_cross_section, worker_copy)
from bsmart.codes.tools._program import SpectrumProgram
from bsmart.config import parse_bool, parse_float
from bsmart.errors import CodeError, ConfigError, ExpressionError

KEYS = {"MadGraph", "MadGraph Path", "Proc Card", "Output Directory", "MadGraph Directory", "TempDir", "Process",
        "python2", "Cores", "QNUMBERS file", "MadSpin", "Extra Commands", "k-factor", "Cross-sections"}
RUNS_PROGRAM = False  # its program is the process folder's generate_events, found from several keys
DEFAULT_PROCESS = "HAPROCESS"  # BSMArt's name when "Process" labels none


class Generated(NamedTuple):
    """A point's generate_events run."""
    spectrum: Path  # the spectrum file, Block MADGRAPH appended
    run: Path  # the run's folder under Events (the decayed one with MadSpin)
    xs: float  # the cross section in pb that the block's entry 1 holds
    block: Any  # Block MADGRAPH, parsed


class MadGraph(SpectrumProgram):
    def __init__(self, name: str, command: Sequence[str], *, folder: Path, python: list[str], process: str,
                 commands: list[list[Any]], madspin: bool, qnumbers: str, k_factor: float,
                 table: CrossSectionTable | None, cores: int | None, **kwargs: Any):
        super().__init__(name, command, **kwargs)  # command: the program a tool built on this runs on the events
        self.folder, self.python, self.process, self.commands, self.madspin = folder, python, process, commands, madspin
        self.qnumbers, self.k_factor, self.table, self.cores = qnumbers, k_factor, table, cores

    def generate(self, env: Mapping[str, Any], workdir: Path) -> Generated:
        """generate_events on the point's spectrum, in this worker's copy of the process folder, and
        Block MADGRAPH appended to the spectrum (BSMArt's MGaux does both for every MadGraph tool)."""
        spectrum = existing_spectrum(self.name, workdir / self.spectrum_file)
        try:
            commands = command_text(self.commands, env)
            table = self.table.at(env) if self.table is not None else None
        except (ExpressionError, TypeError, ValueError) as exc:
            raise CodeError(f"{self.name}: {exc}") from None
        copy = worker_copy(self.folder, workdir.parent, self.name, self.cores)
        shutil.copyfile(spectrum, copy / "Cards" / "param_card.dat")
        with open(copy / "Cards" / "param_card.dat", "a") as card:
            card.write(self.qnumbers)
        stdin = workdir / f"{''.join(c for c in self.process if c.isalnum()) or 'extra'}.mg"
        stdin.write_text(commands)
        self.execute([*self.python, str(copy / "bin" / "generate_events")], workdir, self.timeout, stdin)
        run = copy / "Events" / "run_01"
        decayed = run.with_name("run_01_decayed_1")
        run = decayed if self.madspin and decayed.is_dir() else run
        try:
            xs, plus, minus = read_cross_section(run)
        except (CodeError, OSError) as exc:
            raise CodeError(f"{self.name}: {exc}") from None
        about = f"of {self.process}"
        entries = [(1, xs * self.k_factor, f"cross section (pb) {about}"), (2, plus, "+ fractional uncertainty"),
                   (3, minus, "- fractional uncertainty")]
        if table is not None:  # BSMArt: the table's values first, MadGraph's after them
            value, error = table
            relative = error / value if value > 0 else 0.0
            entries = [(1, value, f"interpolated cross section (pb) {about}"), (2, relative, "+ fractional "
                       "uncertainty"), (3, relative, "- fractional uncertainty")] + [
                (k + 3, v, f"MadGraph's {c}") for k, v, c in entries]
        return Generated(spectrum, run, entries[0][1], append_block(self.name, spectrum, "MADGRAPH", entries))

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        return CodeOutput(slha=self.generate(env, workdir).block)


def madgraph_settings(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any],
                      default_commands: list[list[Any]] | None = None) -> dict[str, Any]:
    """The MadGraph run's settings from BSMArt's keys, for MadGraph and the tools built on it."""
    file, where = ctx["file"], f"Codes.{name}"
    folder = process_folder(spec, ctx, where)
    python2 = parse_bool(spec.get("python2", False), f"{where}.python2", file)
    python = [shutil.which("python2") or ""] if python2 else []
    if python2 and not python[0]:
        raise ConfigError("python2 is not on PATH", file=file, where=f"{where}.python2")
    if not python2 and not os.access(folder / "bin" / "generate_events", os.X_OK):
        raise ConfigError(f"{folder / 'bin' / 'generate_events'} is not executable", file=file, where=where)
    madspin = parse_bool(spec.get("MadSpin", False), f"{where}.MadSpin", file)
    commands, madspin = parse_commands(spec, ctx, where, madspin, default_commands)
    qnumbers = tool_path(spec, "QNUMBERS file", ctx, name)
    table = CrossSectionTable(spec["Cross-sections"], ctx, f"{where}.Cross-sections") \
        if "Cross-sections" in spec else None
    cores = int(parse_float(spec["Cores"], f"{where}.Cores", file)) if "Cores" in spec else None
    program.update(input_file=None, output_file=None, template=None)
    return dict(folder=folder, python=python, process=str(spec.get("Process", DEFAULT_PROCESS)), commands=commands,
                madspin=madspin, qnumbers=qnumbers.read_text() if qnumbers else "",
                k_factor=parse_float(spec.get("k-factor", 1.0), f"{where}.k-factor", file), table=table,
                cores=cores, spectrum_file=ctx["spectrum_file"], **program)


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> MadGraph:
    return MadGraph(name, **madgraph_settings(name, spec, {**program, "command": []}, ctx))
