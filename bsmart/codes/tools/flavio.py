"""flavio, as BSMArt runs it: each observable of the code is named as in flavio
(``"BR(Bs->mumu)"``), and its new-physics shift, flavio's prediction with the point's Wilson
coefficients minus the Standard Model's, is computed from ``InputFile``, a WCxf file the
spectrum generator wrote in the point's folder (SPheno's FlavorKit output, say). The shifts go
to ``Block FLAVIO`` (entry i: the i-th observable, in the file's order), appended to the
spectrum as BSMArt does; an observable without ``SLHA`` or ``FUNCTION`` takes its shift directly.

Needs ``pip install flavio`` (or ``pip install bsmart[flavio]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.base import CodeOutput
from bsmart.codes.tools._library import LibraryTool
from bsmart.errors import CodeError, ConfigError

KEYS = {"InputFile"}
NEEDS_COMMAND = False


class flavio(LibraryTool):  # noqa: N801 - BSMArt's tool name, shown in messages
    block = "FLAVIO"
    needs_spectrum = False
    package = ("flavio", "install it with `pip install flavio` (or `pip install bsmart[flavio]`)")

    def __init__(self, name: str, wilson_file: str, **kwargs: Any):
        super().__init__(name, **kwargs)
        self.wilson_file = wilson_file

    def compute(self, spectrum: Any, env: Mapping[str, Any], workdir: Path) -> list[tuple[Any, float, str]]:
        import flavio as flavio_package
        from wilson import Wilson

        path = workdir / self.wilson_file
        if not path.is_file():
            raise CodeError(f"no Wilson coefficient file {self.wilson_file} (InputFile) was written")
        with open(path) as fh:
            wilson = Wilson.load_wc(fh)
        return [(i, flavio_package.np_prediction(name, wilson) - flavio_package.sm_prediction(name), name)
                for i, name in enumerate(self.observables, start=1)]

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        out = super().run(env, workdir)
        shifts = out.slha.blocks[self.block]
        out.values = {name: shifts[i] for i, name in enumerate(self.observables, start=1)}
        return out


def build(name: str, spec: Mapping[str, Any], common: dict[str, Any], ctx: Mapping[str, Any]) -> flavio:
    wilson_file = spec.get("InputFile")
    if not isinstance(wilson_file, str) or not wilson_file:
        raise ConfigError("flavio needs the WCxf file of Wilson coefficients the spectrum generator writes",
                          file=ctx["file"], where=f"Codes.{name}.InputFile")
    if not common["observables"]:
        raise ConfigError("name the flavio observables to compute (e.g. \"BR(Bs->mumu)\": {})", file=ctx["file"],
                          where=f"Codes.{name}.Observables")
    return flavio(name, wilson_file=Path(wilson_file).name, spectrum_file=ctx["spectrum_file"], **common)
