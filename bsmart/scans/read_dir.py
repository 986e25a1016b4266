"""read_dir: evaluate each file of a folder (``Setup.Input_Dir``) as a point: the file is the input
file of the first code that fills a template (SPheno's LesHouches.in, say), taken as it is. The
variables are read back from the file where the template has an entry that is just the variable
(``m0``, ``VARIABLE[0]``), else left empty (NaN). ``Results/read_dir_files.csv`` says which file
each point ID came from; the spectra are stored (StoreAllPoints), as in BSMArt."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from bsmart.config import RunConfig
from bsmart.errors import CodeError, ConfigError
from bsmart.scans.base import Scan
from bsmart.settings import Setting, Settings
from bsmart.slha import read_slha, slha_value

__meta__ = {
    "name": "read_dir",
    "description": "Evaluate every file of a folder as the first code's input file.",
    "settings": {
        "Input_Dir": Setting(None, str, "required: the folder of input files (relative to the input file)"),
        "Batch_size": Setting(200, int, "points per batch", minimum=1, maximum=10 ** 6),
    },
}


def input_files(config: RunConfig, settings: Settings) -> list[Path]:
    """The folder's files, by name (hidden ones left out); one line naming the key when there are none."""
    if not settings.input_dir:
        raise ConfigError("read_dir needs the folder of input files", where="Setup.Input_Dir")
    folder = config.existing_path(settings.input_dir, "Setup.Input_Dir")
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder", where="Setup.Input_Dir")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ConfigError(f"{folder} has no files", where="Setup.Input_Dir")
    return files


class NewScan(Scan):
    stores_spectra = True

    @classmethod
    def check(cls, config: RunConfig, settings: Settings) -> None:
        input_files(config, settings)
        if config.chain.template_code is None:
            raise ConfigError("read_dir gives each file to the first code that fills a template, and no code has "
                              "one (give the first code an InputFile and a template)", where="Codes")

    def initialise(self) -> None:
        self.files = input_files(self.config, self.settings)
        template = self.config.chain.template_code.template
        self.entries = template.variable_entries(self.space.names)
        unread = [n for n in self.space.names if n not in self.entries]
        if unread:
            self.log.warning("read_dir: the template has no entry that is just %s: left empty (NaN) in the CSV files",
                             ", ".join(unread))
        self.log.info("read_dir: %d files in %s", len(self.files), self.files[0].parent)

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, len(self.files), "evaluations"

    def _variables(self, path: Path) -> list[float]:
        """The variables' values in the file (NaN where it has no such entry or is no SLHA file)."""
        try:
            document = read_slha(path)
        except (CodeError, OSError, UnicodeDecodeError):
            return [math.nan] * len(self.space.names)
        values = []
        for name in self.space.names:
            try:
                values.append(float(slha_value(document, *self.entries[name])) if name in self.entries else math.nan)
            except (CodeError, TypeError, ValueError):
                values.append(math.nan)
        return values

    def run(self) -> None:
        table = self.store.scan_table("Results/read_dir_files.csv", ["ID", "File"])
        size = self.settings.batch_size
        for iteration, start in enumerate(range(0, len(self.files), size)):
            files = self.files[start:start + size]
            physical = np.array([self._variables(path) for path in files])
            points = self.evaluate(physical, iteration, inputs=[str(path) for path in files])
            table.write_rows([[point.id, path.name] for point, path in zip(points, files)])
        self.result["input_files"] = len(self.files)
