"""resummino, as BSMArt runs it: for each of ``Processes`` (pairs of PDG codes) it writes a
resummino input file naming the point's spectrum (proton-proton at ``CMS`` GeV, default 13000:
a number or an expression of the point's variables; the LO and NLO ``pdf sets``), runs
``<Command> <that file>`` and reads the JSON resummino writes (``json output``). ``Block
RESUMMINO``: entries 10 i + 1, 2, 3 are process i's LO, NLO and NLO+NLL cross sections
(i = 0, 1, ...), appended to the spectrum."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from bsmart.codes.base import CodeOutput
from bsmart.codes.tools._library import append_block, existing_spectrum
from bsmart.codes.tools._program import SpectrumProgram
from bsmart.errors import CodeError, ConfigError, ExpressionError
from bsmart.expr import Expression

KEYS = {"Processes", "pdf sets", "CMS", "json output", "Input Files"}
PDF_SETS = ("NNPDF31_lo_as_0118", "NNPDF31_nlo_as_0118")
INPUT = """collider_type         = proton-proton  # proton-proton or proton-antiproton
center_of_mass_energy = {cms:.0f}
particle1 = {p1}
particle2 = {p2}
result = total  # total, pt, ptj or m.
M      = auto  # auto = sqrt((p1 + p2)^2)
pt     = auto
slha = {slha}
output = {output}
pdf_format = lhgrid
pdf_lo = {pdf_lo}
pdfset_lo = 0
pdf_nlo = {pdf_nlo}
pdfset_nlo = 0
mu_f = 1.0
mu_r = 1.0
precision = 0.01  # desired precision
max_iters = 5  # maximum iterations
Minv_min = auto
Minv_max = auto
xmin = auto
"""


class resummino(SpectrumProgram):  # noqa: N801 - BSMArt's tool name, shown in messages
    def __init__(self, name: str, command: Sequence[str], *, processes: list[tuple[int, int]],
                 pdf_sets: tuple[str, str], cms: Expression, json_output: str, **kwargs: Any):
        super().__init__(name, command, **kwargs)
        self.processes, self.pdf_sets, self.cms, self.json_output = processes, pdf_sets, cms, json_output

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        spectrum = existing_spectrum(self.name, workdir / self.spectrum_file)
        try:
            cms = float(self.cms.evaluate(env))
        except (ExpressionError, TypeError, ValueError) as exc:
            raise CodeError(f"{self.name}: CMS: {exc}") from None
        deadline = time.monotonic() + self.timeout  # all the processes together within Timeout
        entries: list[tuple[Any, float, str]] = []
        for i, (p1, p2) in enumerate(self.processes):
            input_file, output = f"BSMArt_resummino_{i}.in", workdir / self.json_output
            (workdir / input_file).write_text(INPUT.format(cms=cms, p1=p1, p2=p2, slha=spectrum.resolve(),
                                                           output=output.resolve(), pdf_lo=self.pdf_sets[0],
                                                           pdf_nlo=self.pdf_sets[1]))
            output.unlink(missing_ok=True)
            self.execute([*self.command, input_file], workdir, max(deadline - time.monotonic(), 1.0))
            try:
                result = json.loads(output.read_text())
                orders = [float(result[order]) for order in ("lo", "nlo", "nll")]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CodeError(f"{self.name}: no cross sections in {self.json_output} for process {p1},{p2} "
                                f"({type(exc).__name__}: {exc})") from None
            entries += [(10 * i + k, value, f"{order} for process {p1},{p2}")
                        for k, (order, value) in enumerate(zip(("lo", "nlo", "nll"), orders), start=1)]
        return CodeOutput(slha=append_block(self.name, spectrum, "RESUMMINO", entries))


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> resummino:
    file, where = ctx["file"], f"Codes.{name}"
    if "Input Files" in spec:  # BSMArt's own reading of it fails (settings('Input Files'))
        raise ConfigError("resummino's own input files are not supported (nor were they in BSMArt 2.0.2); give "
                          "Processes and let bsmart write them", file=file, where=f"{where}.Input Files")
    try:
        processes = [(int(a), int(b)) for a, b in spec.get("Processes") or []]
    except (TypeError, ValueError):
        raise ConfigError(f"expected a list of PDG code pairs, got {spec.get('Processes')!r}", file=file,
                          where=f"{where}.Processes") from None
    if not processes:
        raise ConfigError("name the processes to compute, e.g. [[1000001, 1000001]]", file=file,
                          where=f"{where}.Processes")
    pdf_sets = spec.get("pdf sets") or PDF_SETS
    if not (isinstance(pdf_sets, list | tuple) and len(pdf_sets) == 2 and all(isinstance(p, str) for p in pdf_sets)):
        raise ConfigError(f"expected the LO and NLO PDF sets' names, got {pdf_sets!r}", file=file,
                          where=f"{where}.pdf sets")
    try:
        cms = Expression(str(spec.get("CMS", 13000.0)))
    except ExpressionError as exc:
        raise ConfigError(str(exc), file=file, where=f"{where}.CMS") from None
    json_output = str(spec.get("json output") or "BSMArt_resummino.json")
    return resummino(name, processes=processes, pdf_sets=tuple(pdf_sets), cms=cms, json_output=Path(json_output).name,
                     spectrum_file=ctx["spectrum_file"], **program)
