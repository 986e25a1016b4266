"""HackAnalysis with Pythia generating the events (BSMArt's HackAnalysis_LO): ``<Command> <YAML
file's name>`` (e.g. ``analysePYTHIA.exe``) runs in the point's folder on a copy of ``YAML file``
(its ``settings: cores`` set from ``Cores``) and of the Pythia configuration that names
(``settings: Config file``, beside the YAML file): terms of its values that are expressions of the
variables are evaluated for the point, and ``SLHA:file`` is set to the point's spectrum. The
efficiency file the program writes (``settings: Efficiency Filename``, default ``test.slha``)
joins the point's spectrum and is appended to the spectrum file, as in BSMArt; a run that writes
no efficiency or cutflow file (``Cutflow Filename``, default ``test.eff``) makes the point invalid.
BSMArt ran the program in the folder it was started from; bsmart runs it in the point's."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from bsmart.codes.base import CodeOutput
from bsmart.codes.tools._hackanalysis import PythiaLines, pythia_config, pythia_text, read_settings, run_analysis
from bsmart.codes.tools._library import existing_spectrum
from bsmart.codes.tools._program import SpectrumProgram

KEYS = {"YAML file", "Cores"}


class HackAnalysis(SpectrumProgram):
    def __init__(self, name: str, command: Sequence[str], *, settings: dict[str, Any], yaml_name: str,
                 config_name: str, config: PythiaLines, **kwargs: Any):
        super().__init__(name, command, **kwargs)
        self.settings, self.yaml_name, self.config_name, self.config = settings, yaml_name, config_name, config

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        spectrum = existing_spectrum(self.name, workdir / self.spectrum_file)
        (workdir / self.config_name).write_text(pythia_text(self.name, self.config, env, f"SLHA:file = {spectrum}"))
        return run_analysis(self, self.settings, self.yaml_name, workdir, spectrum)


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> HackAnalysis:
    path, settings = read_settings(name, spec, ctx, {"Efficiency Filename": "test.slha",
                                                     "Cutflow Filename": "test.eff"})
    config_name, config = pythia_config(path, settings, ctx, f"Codes.{name}.YAML file")
    return HackAnalysis(name, settings=settings, yaml_name=path.name, config_name=config_name, config=config,
                        spectrum_file=ctx["spectrum_file"], **program)
