"""VevaciousPlusPlus, as BSMArt runs it: ``<Command> <InputFile>`` with the main input XML
(default ``VevaciousInput.xml``) written in the point's folder, naming the model's
``Initialization File`` and the point's spectrum; Vevacious appends ``BLOCK VEVACIOUSSTABILITY``
to the spectrum, where the observables read it. At most 120 s a point unless ``Timeout`` says
otherwise, as in BSMArt."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.tools._library import bsmart_timeout, tool_path
from bsmart.codes.tools._program import SpectrumProgram

KEYS = {"Initialization File"}
XML = """<VevaciousPlusPlusMainInput>
  <InitializationFile>
   {init}
  </InitializationFile>

  <SingleParameterPoint>
     <RunPointInput>
   {spectrum}
     </RunPointInput>
     <OutputFilename>
   {output}
     </OutputFilename>
     <AppendLhaOutputToLhaInput></AppendLhaOutputToLhaInput>
  </SingleParameterPoint>

</VevaciousPlusPlusMainInput>
"""


class VevaciousPlusPlus(SpectrumProgram):
    def __init__(self, name: str, command: list[str], *, init_file: Path, **kwargs: Any):
        super().__init__(name, command, **kwargs)
        self.init_file = init_file

    def prepare(self, workdir: Path, spectrum: Path) -> None:
        (workdir / self.input_file).write_text(XML.format(init=self.init_file, spectrum=spectrum.resolve(),
                                                          output=workdir.resolve() / "Vevacious.vout"))


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> VevaciousPlusPlus:
    init_file = tool_path(spec, "Initialization File", ctx, name,
                          "VevaciousPlusPlus needs the model's initialization file (see Vevacious' documentation)")
    program["input_file"] = program["input_file"] or "VevaciousInput.xml"
    program["command"] = [*program["command"], "{InputFile}"]
    bsmart_timeout(spec, program, 120.0)
    return VevaciousPlusPlus(name, init_file=init_file, spectrum_file=ctx["spectrum_file"], **program)
