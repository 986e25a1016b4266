"""MadAnalysis5 in expert mode on MadGraph's showered events (BSMArt's MadAnalysisExpert): MadGraph
runs as BSMArt's MadGraph tool does, Block MADGRAPH appended (``MadGraph``: the process folder's
``bin/generate_events``, and its other keys; default commands shower with Pythia8), then ``<Command>
<sample file>`` (the user's ``ma5`` expert-mode analysis) runs in the point's ``MA5/launch`` folder,
the sample file ``<Process>_sample`` holding the path of the HepMC events. As in BSMArt nothing is
read back: the analysis' own files stay in the point's folder (kept with ``Store Output
Files``/``debug``); the spectrum passes on with MadGraph's block only. A run without HepMC events or
that fails makes the point invalid."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.base import CodeOutput
from bsmart.codes.tools import MadGraph as madgraph
from bsmart.codes.tools._madgraph import HEPMC, find_events

KEYS = madgraph.KEYS


class MadAnalysisExpert(madgraph.MadGraph):
    def launch_folder(self, workdir: Path) -> Path:
        """The point's MA5/launch folder, empty."""
        shutil.rmtree(workdir / "MA5", ignore_errors=True)
        (workdir / "MA5" / "launch").mkdir(parents=True)
        return workdir / "MA5" / "launch"

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        generated = self.generate(env, workdir)
        sample = self.launch_folder(workdir) / self.sample_name
        sample.write_text(str(find_events(self.name, generated.run, HEPMC)))
        self.execute([*self.command, str(sample)], sample.parent, self.timeout)
        return CodeOutput(slha=generated.block)

    @property
    def sample_name(self) -> str:
        """BSMArt's ``<Process>_sample``, as a file name."""
        label = "" if self.process == madgraph.DEFAULT_PROCESS else self.process
        return "".join(c if c.isalnum() or c in "-_" else "_" for c in label) + "_sample"


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> MadAnalysisExpert:
    # "Command" is ma5 here; MadGraph's generate_events is "MadGraph" (BSMArt's MGaux reads only that)
    madgraph_spec = {key: value for key, value in spec.items() if key != "Command"}
    return MadAnalysisExpert(name, **madgraph.madgraph_settings(name, madgraph_spec, program, ctx))
