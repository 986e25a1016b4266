"""HiggsBounds and HiggsSignals (the programs before HiggsTools), as BSMArt runs them:
``<Command> <Options> <point folder>/``, where the options default to ``LandH effC <n> <m>``
(HiggsSignals: ``latestresults 2 effC <n> <m>``) given ``Neutral Higgs`` and ``Charged Higgs``;
the program reads the files SPheno writes for it (MH_GammaTot.dat, effC.dat, ...) in the point's
folder and writes one line of results under a ``#cols:`` header to its ``OutputFile``. That
line becomes a block of the spectrum (entry i: column i + 1, named in the comment), with BSMArt's
entry 101: HiggsBounds' ``obsratio``, HiggsSignals' ``Pvalue``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.tools._library import append_block
from bsmart.codes.tools._program import SpectrumProgram
from bsmart.errors import CodeError, ConfigError

KEYS = {"Options", "Neutral Higgs", "Charged Higgs"}


class HiggsBoundsProgram(SpectrumProgram):
    def __init__(self, name: str, command: list[str], *, block: str, headline: str,
                 uncertainties: str | None = None, **kwargs: Any):
        super().__init__(name, command, **kwargs)
        self.block, self.headline, self.uncertainties = block, headline, uncertainties

    def prepare(self, workdir: Path, spectrum: Path) -> None:
        if self.uncertainties:  # BSMArt's mass uncertainties for HiggsSignals: 5 GeV neutral, 3 GeV charged
            (workdir / "MHall_uncertainties.dat").write_text(f"1 {self.uncertainties}\n")

    def read_output(self, path: Path) -> Any:
        labels: list[str] = []
        results: list[str] = []
        for line in path.read_text(errors="replace").splitlines():
            if line.strip().startswith("#cols:"):
                labels = line.split()
            elif line.strip() and not line.lstrip().startswith("#"):
                results = line.split()  # one line per point; the last one is this point's
        if len(results) < 2:
            raise CodeError(f"no line of results in {path.name}")
        entries = []
        for i, text in enumerate(results[1:], start=1):
            try:
                value = float(text)
            except ValueError:
                raise CodeError(f"{path.name}: column {i + 1} is {text!r}, not a number") from None
            entries.append((i, value, labels[i + 1] if i + 1 < len(labels) else ""))
        entries += [(101, value, f"{self.block} {label}") for _, value, label in entries if label == self.headline]
        return append_block(self.name, path.parent / self.spectrum_file, self.block, entries)


def higgs_count(spec: Mapping[str, Any], key: str, file: str, where: str) -> int | None:
    """BSMArt's ``Neutral Higgs`` / ``Charged Higgs`` of the HiggsBounds-era tools: how many
    scalars (a number, or a list of their PDG codes as HiggsTools takes it); None when absent."""
    value = spec.get(key)
    if value is None or value == []:
        return None
    try:
        count = len(value) if isinstance(value, list) else int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"expected a number of scalars (or a list of their PDG codes), got {value!r}",
                          file=file, where=f"{where}.{key}") from None
    if count < 0:
        raise ConfigError(f"expected a number of scalars, got {value!r}", file=file, where=f"{where}.{key}")
    return count


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any], *, block: str,
          headline: str, options: str, output: str, signals: bool = False) -> HiggsBoundsProgram:
    file, where = ctx["file"], f"Codes.{name}"
    neutral = higgs_count(spec, "Neutral Higgs", file, where)
    charged = higgs_count(spec, "Charged Higgs", file, where)
    counted = neutral is not None and charged is not None
    chosen = str(spec.get("Options") or (f"{options} effC {neutral} {charged}" if counted else ""))
    program["command"] = [*program["command"], *chosen.split(), "./"]  # the folder of its input files
    program["output_file"] = program["output_file"] or output
    uncertainties = " ".join(["5.0"] * neutral + ["3.0"] * charged) if signals and counted else None
    return HiggsBoundsProgram(name, block=block, headline=headline, uncertainties=uncertainties,
                              spectrum_file=ctx["spectrum_file"], **program)
