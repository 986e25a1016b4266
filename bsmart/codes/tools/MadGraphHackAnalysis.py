"""HackAnalysis on MadGraph's events (BSMArt's MadGraphHackAnalysis): MadGraph runs as BSMArt's
MadGraph tool does, Block MADGRAPH appended (default commands: no shower in ``LHE`` mode, Pythia8 in ``HEPMC`` mode,
``run_card Commands`` or ``update dependent``, then ``set nevents`` from the YAML's ``nevents``),
then ``<HackAnalysis> <YAML file's name>`` runs in the point's folder, the YAML's ``LHE file`` or
``HEPMC file`` set to the events (with ``Cores`` > 1 in LHE mode, the events are dealt into
``<LHE file>_<i>.lhe.gz``, default ``Split/split``, removed afterwards unless ``Store Events``) and,
in LHE mode, the Pythia configuration's expressions evaluated. ``Mode`` is LHE or HEPMC, else read
from the program's name (analysePYTHIA_LHE, analyseHEPMC). The efficiency file joins the spectrum.
All ``nevents`` are generated in one MadGraph run: ``GridPack``, ``Batch Size`` and the convergence
checks only made BSMArt stop sooner, so they are warned and ignored; ``Check Exclusion`` (HackAnalysis'
Python statistics) is not built in and stops the run in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.base import CodeOutput
from bsmart.codes.tools import MadGraph as madgraph
from bsmart.codes.tools._hackanalysis import (MODES, PythiaLines, events_analysis, pythia_config, pythia_text,
                                              read_settings, run_analysis)
from bsmart.codes.tools._madgraph import deal_events, default_commands, find_events
from bsmart.config import parse_bool

IGNORED = ("GridPack", "Batch Size", "Check Convergence", "Check Absolute Convergence", "Efficiency Threshold",
           "Convergence Margin")
KEYS = madgraph.KEYS | {"HackAnalysis", "YAML file", "Mode", "Check Exclusion", "Store Events", "run_card Commands",
                        *IGNORED}
RUNS_PROGRAM = False  # its program is "HackAnalysis"


class MadGraphHackAnalysis(madgraph.MadGraph):
    def __init__(self, name: str, command: list[str], *, mode: str, settings: dict[str, Any], yaml_name: str,
                 config: tuple[str, PythiaLines] | None, keep_events: bool, qnumbers_name: str | None, **kwargs: Any):
        super().__init__(name, command, **kwargs)
        self.mode, self.settings, self.yaml_name, self.config = mode, settings, yaml_name, config
        self.keep_events, self.qnumbers_name = keep_events, qnumbers_name

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        generated = self.generate(env, workdir)
        events = find_events(self.name, generated.run, MODES[self.mode])
        inner = self.settings["settings"]
        given, split = str(events), []
        if self.mode == "LHE" and inner["cores"] > 1:  # HackAnalysis reads <LHE file>_<i>.lhe.gz, one per core
            given = str(inner.get("LHE file", "Split/split"))
            split = deal_events(events, workdir / given, inner["cores"])
        settings = {**self.settings, "settings": {**inner, f"{self.mode} file": given}}
        if self.config is not None:
            name, lines = self.config
            (workdir / name).write_text(pythia_text(self.name, lines, env))
        if self.qnumbers_name:  # the YAML names a QNUMBERS file in the folder HackAnalysis runs in
            (workdir / self.qnumbers_name).write_text(self.qnumbers)
        try:
            return run_analysis(self, settings, self.yaml_name, workdir, generated.spectrum)
        finally:
            for path in split if not self.keep_events else ():
                path.unlink(missing_ok=True)


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> MadGraphHackAnalysis:
    file, where = ctx["file"], f"Codes.{name}"
    command, mode = events_analysis(name, spec, ctx)
    for key in (k for k in IGNORED if k in spec):
        ctx["warnings"].append(f"{file}: {where}.{key}: ignored; bsmart generates all nevents in one MadGraph run")
    path, settings = read_settings(name, spec, ctx, {"Efficiency Filename": "test.eff",
                                                     "Cutflow Filename": "test_cf.eff",
                                                     "Histogram Filename": "test.yoda"})
    inner = settings["settings"]
    qnumbers = settings.get("QNUMBERS file")
    qnumbers_name = str(qnumbers) if qnumbers and "/" not in str(qnumbers) else None
    madspin = parse_bool(spec.get("MadSpin", False), f"{where}.MadSpin", file)
    commands = default_commands(madspin, "OFF" if mode == "LHE" else "Pythia8", [
        *spec.get("run_card Commands", [["update dependent"]]),
        *([[f"set nevents {int(inner['nevents'])}"]] if "nevents" in inner else [])])
    madgraph_spec = dict(spec)
    if qnumbers_name and "QNUMBERS file" not in spec:
        madgraph_spec["QNUMBERS file"] = str(path.parent / qnumbers_name)
    run_settings = madgraph.madgraph_settings(name, madgraph_spec, {**program, "command": command}, ctx, commands)
    return MadGraphHackAnalysis(name, mode=mode, settings=settings, yaml_name=path.name, keep_events=parse_bool(
        spec.get("Store Events", False), f"{where}.Store Events", file), qnumbers_name=qnumbers_name,
        config=pythia_config(path, settings, ctx, f"{where}.YAML file") if mode == "LHE" else None, **run_settings)
