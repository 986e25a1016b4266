"""MadAnalysis5's recasting (the PAD, or the PAD for SFS) on MadGraph's showered events (BSMArt's
MadAnalysisAllPAD): MadGraph runs as in MadAnalysisExpert (Block MADGRAPH appended), then ``<MA5
Path>/bin/ma5 -R`` runs in the point's folder on a script that imports the HepMC events with
MadGraph's cross section and recasts them with ``MA5 Card`` (a recasting card) or a card made from
``Analyses`` (each looked up in ``tools/PADForSFS`` and ``tools/PAD``'s
``Input/recast_config.dat``). From ``MA5/<Process>_sample/Output/SAF/CLs_output_summary.dat``, the
best signal region (the smallest positive sigma95 among the lines MadAnalysis marks best) makes
``Block MADANALYSISPAD``: 1 its CLs (MadAnalysis' 1-CLs column, as BSMArt), 2 sigma95 (pb), 3 cross
section - sigma95 (> 0 excluded), 4 r - 1 (> 0 excluded); with no best region 2 is -1, 3 minus the
cross section and 4 -1, as BSMArt. A run that writes no summary makes the point invalid (BSMArt
added no block)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from bsmart.codes.base import CodeOutput
from bsmart.codes.tools import MadGraph as madgraph
from bsmart.codes.tools.MadAnalysisExpert import MadAnalysisExpert
from bsmart.codes.tools._library import append_block, tool_path
from bsmart.codes.tools._madgraph import HEPMC, find_events
from bsmart.codes.tools._ma5 import best_region, pad_analyses, recast_card
from bsmart.errors import CodeError, ConfigError
from bsmart.slha import join_spectrum

KEYS = madgraph.KEYS | {"MA5 Path", "Analyses", "MA5 Card"}
RUNS_PROGRAM = False  # its program is <MA5 Path>/bin/ma5


class MadAnalysisAllPAD(MadAnalysisExpert):
    def __init__(self, name: str, command: list[str], *, card: Path | None, card_text: str, **kwargs: Any):
        super().__init__(name, command, **kwargs)
        self.card, self.card_text = card, card_text

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        spectrum, run, xs, block = self.generate(env, workdir)
        events = find_events(self.name, run, HEPMC)
        script = self.launch_folder(workdir) / self.sample_name
        card = self.card
        if card is None:
            card = workdir / f"{self.sample_name}.card"
            card.write_text(self.card_text)
        script.write_text(f"set main.recast = on\nset main.recast.store_root = False\nimport {events} as "
                          f"{self.sample_name}\nset main.recast.card_path = {card}\nset {self.sample_name}.xsection = "
                          f"{xs:.4e}\nsubmit MA5/{self.sample_name}\nN\n")
        self.execute([*self.command, "-R"], workdir, self.timeout, script)
        summary = workdir / "MA5" / self.sample_name / "Output" / "SAF" / "CLs_output_summary.dat"
        if not summary.is_file():
            raise CodeError(f"{self.name}: MadAnalysis wrote no {summary.relative_to(workdir)}")
        analysis, region, cls, sig95 = best_region(summary)
        excess = xs - sig95 if sig95 > 0 else -xs
        entries = [(1, cls, f"Best CLs: {analysis} {region}"), (2, sig95, "Best sigma 95 (pb)"),
                   (3, excess, "Cross-section - sigma95: > 0 if excluded, < 0 if allowed"),
                   (4, excess / sig95 if sig95 > 0 else -1.0, "r - 1: > 0 if excluded, < 0 if allowed")]
        join_spectrum(block, append_block(self.name, spectrum, "MADANALYSISPAD", entries))
        return CodeOutput(slha=block)


def build(name: str, spec: Mapping[str, Any], program: dict[str, Any], ctx: Mapping[str, Any]) -> MadAnalysisAllPAD:
    file, where = ctx["file"], f"Codes.{name}"
    ma5 = tool_path(spec, "MA5 Path", ctx, name, "MadAnalysisAllPAD needs \"MA5 Path\", MadAnalysis5's folder")
    if not os.access(ma5 / "bin" / "ma5", os.X_OK):
        raise ConfigError(f"{ma5 / 'bin' / 'ma5'} is not an executable MadAnalysis5", file=file,
                          where=f"{where}.MA5 Path")
    card, card_text = tool_path(spec, "MA5 Card", ctx, name), ""
    if card is None:
        analyses = spec.get("Analyses")
        if not isinstance(analyses, list) or not analyses:
            raise ConfigError("name an \"MA5 Card\" (a recasting card) or a list of \"Analyses\"", file=file,
                              where=where)
        known = pad_analyses(ma5)
        unknown = [a for a in analyses if str(a) not in known]
        if unknown:
            raise ConfigError(f"{unknown} not in {ma5}/tools/PAD(ForSFS)/Input/recast_config.dat "
                              f"({len(known)} analyses there)", file=file, where=f"{where}.Analyses")
        card_text = recast_card([str(a) for a in analyses], known)
    madgraph_spec = {key: value for key, value in spec.items() if key != "Command"}
    settings = madgraph.madgraph_settings(name, madgraph_spec, {**program, "command": [str(ma5 / "bin" / "ma5")]}, ctx)
    return MadAnalysisAllPAD(name, card=card, card_text=card_text, **settings)
