"""read_csv: evaluate the points of a CSV (any CSV with the variable columns, e.g. another
run's all_points.csv or good_points.csv): re-run points through other codes, or replay them."""

from __future__ import annotations

from bsmart.config import RunConfig
from bsmart.errors import ConfigError
from bsmart.results import check_columns, read_points_csv
from bsmart.scans.base import Scan
from bsmart.settings import Setting, Settings

__meta__ = {
    "name": "read_csv",
    "description": "Evaluate the points listed in a CSV file (chaining scans).",
    "settings": {
        "Input_CSV_File": Setting(None, str, "required: the CSV whose rows are evaluated, one column per "
                                             "variable (relative to the input file)"),
        "Batch_size": Setting(200, int, "points per batch", minimum=1, maximum=10 ** 6),
    },
}


class NewScan(Scan):
    @classmethod
    def check(cls, config: RunConfig, settings: Settings) -> None:
        if not settings.input_csv_file:
            raise ConfigError("read_csv needs the CSV file to evaluate", file=str(config.path),
                              where="Setup.Input_CSV_File")
        check_columns(config.existing_path(settings.input_csv_file, "Setup.Input_CSV_File"), config.space,
                      "Setup.Input_CSV_File")

    def initialise(self) -> None:
        path = self.config.resolve_path(self.settings.input_csv_file)
        table = read_points_csv(path, self.space, where="Setup.Input_CSV_File")
        self.log.info("read_csv: %s: %s", path, table.report())
        self.points = table.physical
        self.result["csv_rows"] = table.rows_read
        self.result["csv_skipped"] = table.skipped

    def progress(self) -> tuple[int, int, str]:
        return self.runner.evaluated, len(self.points), "evaluations"

    def run(self) -> None:
        size = self.settings.batch_size
        for iteration, start in enumerate(range(0, len(self.points), size)):
            self.evaluate(self.points[start:start + size], iteration)
