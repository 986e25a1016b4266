"""Result storage: the run folder, its CSV files (appended and flushed per batch), the summary,
and reading CSVs back (``InitCSV``, the ``read_csv`` scan).

Layout of ``<RunName>/`` (see docs/outputs.md)::

    all_points.csv                  every evaluated point
    good_points.csv                 the points that pass (the scan's target)
    Spectrum_Files/<Output File>.csv  valid points (BSMArt's file name and leading columns)
    input.json  bsmart.log  summary.json  [iterations.csv  model/]

Every CSV has the columns ``ID, <variables>, <observables>, loss_<observable>..., NLL, valid,
good, iteration, seconds, error``.
"""

from __future__ import annotations

import csv
import json
import math
import os
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from bsmart.errors import BsmartError, ConfigError
from bsmart.likelihood import as_float, failed_nll, losses, total_nll
from bsmart.points import EvaluatedPoint
from bsmart.space import Space

ALL_POINTS = "all_points.csv"
GOOD_POINTS = "good_points.csv"
SUMMARY = "summary.json"
SPECTRUM_END = "ENDOFPARAMETERPOINT\n"  # BSMArt's separator of the spectra in StoreAllPoints' file
ITERATIONS = "iterations.csv"


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else str(value))
    return "" if value is None else str(value)


class _CsvFile:
    """A CSV opened for appending; each ``write_rows`` ends with flush + fsync (a ``durable=False``
    file, one that can be rebuilt from all_points.csv, is only flushed)."""

    def __init__(self, path: Path, header: Sequence[str], delimiter: str = ",", durable: bool = True):
        self.path = path
        self.durable = durable
        fresh = not path.exists() or path.stat().st_size == 0
        self._fh = open(path, "a", newline="")
        self._writer = csv.writer(self._fh, delimiter=delimiter)
        if fresh:
            self._writer.writerow(header)
            self._sync()

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        self._writer.writerows([[_fmt(v) for v in row] for row in rows])
        self._sync()

    def _sync(self) -> None:
        self._fh.flush()
        if self.durable:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


class ResultStore:
    """Owns the run folder. Scans never write files themselves; they go through here."""

    def __init__(self, run_dir: Path, variable_names: Sequence[str], observable_names: Sequence[str],
                 loss_names: Sequence[str], output_file: str = "SLHA_output", resume: bool = False,
                 store_spectra: bool = False, store_invalid: bool = False, store_tabbed: bool = False,
                 result_column: bool = False, accumulated: str | None = None, separate_spectra: bool = False,
                 input_files: str | None = None):
        """``run_dir`` is a prepared, locked run folder (:class:`bsmart.runfolder.RunFolder`).
        ``store_spectra``: every valid point's spectrum goes to Spectrum_Files/<output_file>, each
        followed by an ``ENDOFPARAMETERPOINT`` line (BSMArt's StoreAllPoints); ``store_invalid``:
        the invalid points also go to Spectrum_Files/invalid_<output_file>.csv (Store Invalid);
        ``store_tabbed``: the valid points (and with ``store_invalid`` the invalid ones) also go to
        <output_file>.dat, tab-separated (BSMArt's Short). ``result_column``: those Spectrum_Files
        tables end with BSMArt's ``Result`` column (the NLL, as BSMArt's MLScanner scans write it);
        ``accumulated``: the good points' variables and NLL also go to
        Spectrum_Files/Accumulated_points_Model_<accumulated>.csv (BSMArt's MLS_DNNC).
        ``separate_spectra``: the spectra go to Spectrum_Files/<output_file>_<ID>.slha instead
        (StoreSeparateFiles); ``input_files``: each point's input file goes to
        Input_Files/<input_files>_<ID>.in (StoreInputs; the run's name)."""
        self.run_dir = Path(run_dir)
        self.variable_names = tuple(variable_names)
        self.observable_names = tuple(observable_names)
        self.loss_names = tuple(loss_names)
        self.header = ["ID", *self.variable_names, *self.observable_names,
                       *(f"loss_{n}" for n in self.loss_names), "NLL", "valid", "good", "iteration", "seconds",
                       "error"]
        self.all_path = self.run_dir / ALL_POINTS
        self.good_path = self.run_dir / GOOD_POINTS
        self.valid_path = self.run_dir / "Spectrum_Files" / f"{output_file}.csv"
        self.spectra_path = self.run_dir / "Spectrum_Files" / output_file if store_spectra else None
        self.separate_spectra = self.run_dir / "Spectrum_Files" / f"{output_file}_" if separate_spectra else None
        self.input_files = self.run_dir / "Input_Files" / f"{input_files}_" if input_files else None
        # derived files: (path, which points, separator, columns: indices into a row of all_points.csv);
        # rewritten from all_points.csv on resume
        every, nll = list(range(len(self.header))), self.header.index("NLL")
        spectrum_columns = every + [nll] if result_column else every
        self._derived_specs = [(self.good_path, _good, ",", every)]
        for suffix, sep in [(".csv", ",")] + ([(".dat", "\t")] if store_tabbed else []):
            self._derived_specs.append((self.run_dir / "Spectrum_Files" / f"{output_file}{suffix}", _valid, sep,
                                        spectrum_columns))
            if store_invalid:
                self._derived_specs.append((self.run_dir / "Spectrum_Files" / f"invalid_{output_file}{suffix}",
                                            _invalid, sep, spectrum_columns))
        if accumulated:
            self._derived_specs.append((self.run_dir / "Spectrum_Files" / f"Accumulated_points_Model_{accumulated}.csv",
                                        _good, ",", list(range(1, 1 + len(self.variable_names))) + [nll]))
        self.previous: list[EvaluatedPoint] = []  # points of the run being resumed
        self.rejected_rows = 0  # rows of all_points.csv that could not be read back
        if resume and self.all_path.is_file():
            self.previous = self._load_previous()
        (self.run_dir / "Spectrum_Files").mkdir(parents=True, exist_ok=True)
        self._all = _CsvFile(self.all_path, self.header)
        self._derived = [(self._derived_file(path, sep, columns), keep, columns)
                         for path, keep, sep, columns in self._derived_specs]
        self._spectra = None
        if self.input_files is not None:
            self.input_files.parent.mkdir(exist_ok=True)
        if self.spectra_path is not None and self.separate_spectra is None:
            if resume and self.spectra_path.is_file():
                _truncate_after(self.spectra_path, SPECTRUM_END.encode())
            self._spectra = open(self.spectra_path, "a")
        self._iterations: _CsvFile | None = None
        self._tables: list[_CsvFile] = []

    def _load_previous(self) -> list[EvaluatedPoint]:
        """Read back a run's points; the derived files are rewritten from them, since a kill
        between two files' writes could leave them out of step with all_points.csv. A row that
        cannot be read (cut short, or damaged by hand) is moved to all_points.rejected.csv and
        its point is evaluated again, so one bad row never makes a run unresumable."""
        _truncate_partial_row(self.all_path)
        points, rejected, ids = [], [], set()
        with open(self.all_path, newline="", errors="replace") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header != self.header:
                raise BsmartError(f"{self.all_path} has other columns than this input file gives; "
                                  f"resume needs the same Variables and Observables")
            for row in reader:
                point = self._parse_row(row) if len(row) == len(header) else None
                if point is None or point.id in ids:
                    rejected.append(row)
                    continue
                ids.add(point.id)
                points.append(point)
        rows = [self.row(p) for p in points]
        if rejected:
            self.rejected_rows = len(rejected)
            with open(self.run_dir / "all_points.rejected.csv", "a", newline="") as fh:
                csv.writer(fh).writerows(rejected)
            tmp = self.all_path.with_suffix(".tmp")
            with open(tmp, "w", newline="") as fh:
                csv.writer(fh).writerows([self.header, *([_fmt(v) for v in r] for r in rows)])
            os.replace(tmp, self.all_path)
        (self.run_dir / ITERATIONS).unlink(missing_ok=True)  # recorded again as the scan replays
        for path, keep, sep, columns in self._derived_specs:
            path.unlink(missing_ok=True)
            derived = self._derived_file(path, sep, columns)
            derived.write_rows([r[i] for i in columns] for r, p in zip(rows, points) if keep(p))
            derived.close()
        return points

    def _derived_file(self, path: Path, sep: str, columns: Sequence[int]) -> _CsvFile:
        names = [self.header[i] for i in columns]
        if len(columns) > len(self.header):  # BSMArt's Result column: the NLL again, last
            names[-1] = "Result"
        return _CsvFile(path, names, sep)

    def _parse_row(self, row: Sequence[str]) -> EvaluatedPoint | None:
        nv, no, nl = len(self.variable_names), len(self.observable_names), len(self.loss_names)
        try:
            values = [float(v) for v in row[1:1 + nv + no + nl + 1]]
            valid, good, iteration, seconds, error = row[-5:]
            if valid not in ("True", "False") or good not in ("True", "False") \
                    or any(math.isinf(v) for v in values[:nv]):  # NaN: a variable read_dir's file lacks
                return None
            variables = dict(zip(self.variable_names, values[:nv]))
            observables = dict(zip(self.observable_names, values[nv:nv + no]))
            losses = dict(zip(self.loss_names, values[nv + no:nv + no + nl]))
            return EvaluatedPoint(int(row[0]), variables, observables, losses, values[-1], valid == "True",
                                  good == "True", error or None, int(iteration), float(seconds))
        except ValueError:
            return None

    def row(self, p: EvaluatedPoint) -> list[Any]:
        return [p.id, *(p.variables[n] for n in self.variable_names),
                *(p.observables.get(n, math.nan) for n in self.observable_names),
                *(p.losses.get(n, math.nan) for n in self.loss_names),
                p.nll, p.valid, p.good, p.iteration, round(p.seconds, 6), p.error]

    def append(self, points: Sequence[EvaluatedPoint]) -> None:
        rows = [self.row(p) for p in points]
        self._all.write_rows(rows)
        for derived, keep, columns in self._derived:
            derived.write_rows([r[i] for i in columns] for r, p in zip(rows, points) if keep(p))
        if self._spectra is not None:
            self._spectra.writelines(f"{p.spectrum.rstrip()}\n{SPECTRUM_END}" for p in points
                                     if p.valid and p.spectrum is not None)
            self._spectra.flush()
            os.fsync(self._spectra.fileno())
        for p in points:
            if self.separate_spectra is not None and p.valid and p.spectrum is not None:
                Path(f"{self.separate_spectra}{p.id}.slha").write_text(p.spectrum.rstrip() + "\n")
            if self.input_files is not None and p.input_text is not None:
                Path(f"{self.input_files}{p.id}.in").write_text(p.input_text)

    def append_iteration(self, record: Mapping[str, Any]) -> None:
        if self._iterations is None:
            self._iterations = _CsvFile(self.run_dir / ITERATIONS, list(record))
        self._iterations.write_rows([list(record.values())])

    def scan_table(self, name: str, header: Sequence[str]) -> _CsvFile:
        """A scan's own table under the run folder (MCMC's chains in ``Results/``), begun afresh in
        every session: a resumed scan replays its history, and so writes it again. The first table
        of a session in ``Results/`` clears the folder of the earlier session's tables."""
        path = self.run_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self._tables and path.parent.name == "Results":  # a resumed run's tables, in whatever layout
            for stale in path.parent.iterdir():  # its settings gave them (MCMC's Merge Results), are replayed
                if stale.is_file():
                    stale.unlink()
        path.unlink(missing_ok=True)
        table = _CsvFile(path, header, durable=False)
        self._tables.append(table)
        return table

    def model_dir(self) -> Path:
        path = self.run_dir / "model"
        path.mkdir(exist_ok=True)
        return path

    def save_input(self, raw: Mapping[str, Any]) -> None:
        (self.run_dir / "input.json").write_text(json.dumps(raw, indent=2) + "\n")

    def write_summary(self, summary: Mapping[str, Any]) -> None:
        tmp = self.run_dir / (SUMMARY + ".tmp")
        tmp.write_text(json.dumps(summary, indent=2, default=str) + "\n")
        os.replace(tmp, self.run_dir / SUMMARY)  # never a half-written summary

    def close(self) -> None:
        for f in (self._all, *(d for d, _, _ in self._derived), self._spectra, self._iterations, *self._tables):
            if f is not None:
                f.close()


def _good(p: EvaluatedPoint) -> bool:
    return p.good


def _valid(p: EvaluatedPoint) -> bool:
    return p.valid


def _invalid(p: EvaluatedPoint) -> bool:
    return not p.valid


def _truncate_partial_row(path: Path) -> None:
    """Drop a last row cut short by a kill during the write (it has no newline yet)."""
    _truncate_after(path, b"\n")


def _truncate_after(path: Path, end: bytes) -> None:
    """Drop whatever follows the last ``end`` (a record cut short by a kill during its write)."""
    with open(path, "rb+") as fh:
        data = fh.read()
        if data and not data.endswith(end):
            cut = data.rfind(end)
            fh.truncate(cut + len(end) if cut >= 0 else 0)


# -- reading CSVs back --------------------------------------------------------------------

@dataclass
class PointTable:
    """Points read from a CSV: physical values (rows in the declared space) and their NLL."""

    physical: np.ndarray
    nll: np.ndarray | None
    rows_read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)  # columns of the configured observables
    valid: np.ndarray | None = None  # False for rows of failed points (a "valid" column says False)

    def report(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in self.skipped.items() if n)
        return f"{len(self.physical)} of {self.rows_read} rows used" + (f" (skipped: {skipped})" if skipped else "")


MAX_LINE = 1_000_000  # characters; a longer line is no row of numbers
SKIP_REASONS = ("non-numeric or NaN variables", "outside the declared ranges", "duplicates")  # always reported


def _csv_lines(fh: Any) -> Iterable[list[str] | str]:
    """The rows of a CSV, one per line (a quote left open spoils its line only), or for a line
    that cannot be a row, the reason; read in bounded memory, whatever the line lengths."""
    while True:
        line = fh.readline(MAX_LINE)
        if not line:
            return
        if not line.endswith("\n") and len(line) == MAX_LINE:
            while (rest := fh.readline(MAX_LINE)) and not rest.endswith("\n"):
                pass  # skip the rest of the long line
            yield f"a line longer than {MAX_LINE} characters"
            continue
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if '"' not in line:
            yield line.split(",")
            continue
        try:
            yield next(csv.reader([line], strict=True))
        except (csv.Error, StopIteration):
            yield "a malformed quoted field"


def csv_header(path: Path, where: str) -> list[str]:
    """The column names of a CSV; a one-line error when the file cannot be a CSV of points."""
    if not path.is_file():
        raise ConfigError(f"file {path} does not exist or is not a regular file", where=where)
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        first = next(iter(_csv_lines(fh)), None)
    if not isinstance(first, list):
        raise ConfigError(f"{path} is not a CSV with a header line" + (f" ({first})" if first else " (empty)"),
                          where=where)
    return [name.strip() for name in first]


SCORES = {"NLL": lambda v: v, "LogLike": np.negative, "Likelihood": lambda v: -np.log(v)}  # column -> its NLL


def check_columns(path: Path, space: Space, where: str, *, need_nll: bool = False,
                  observables: Mapping[str, Any] | None = None, score: tuple[str, str] = ("NLL", "NLL")) \
        -> list[str]:
    """The header of a CSV of points, checked: a column per free variable, and where the NLL is
    needed, the ``score`` column or one per used observable. Cheap: the rows are not read."""
    header = csv_header(path, where)
    missing = [v.name for v in space.variables if v.name not in header and not v.fixed]
    if missing:
        raise ConfigError(f"{path} has no column(s) {missing} (columns: {header[:20]})", where=where)
    if need_nll and _nll_source(header, observables, score[0]) is None:
        raise ConfigError(f"{path} has no {score[0]} column and no columns for the used observables", where=where)
    return header


def _nll_source(header: Sequence[str], observables: Mapping[str, Any] | None, column: str = "NLL") -> str | None:
    used = [n for n, o in (observables or {}).items() if o.used]
    if column in header:
        return "score"
    return "observables" if used and all(n in header for n in used) else None


def read_points_csv(path: Path, space: Space, *, need_nll: bool = False, where: str = "InitCSV",
                    observables: Mapping[str, Any] | None = None, score: tuple[str, str] = ("NLL", "NLL")) \
        -> PointTable:
    """Read the variable columns (and NLL) of a CSV written by bsmart, BSMArt or by hand.

    The file is streamed, keeping only the numbers it needs (a 1 GB file takes memory for its
    numbers, not its text). Rows with the wrong number of fields, a malformed quote, a
    non-numeric or NaN variable or NLL, outside the declared ranges, or duplicated (at the
    precision the codes see) are skipped and counted with their reason; a file with no usable
    row is an error. The NLL comes from the ``score`` column (name, kind: an ``NLL`` column, or
    one of BSMArt's ``LogLike`` or ``Likelihood`` columns), else it is recomputed from observable
    columns named as the configured observables, else it is missing.
    """
    path = Path(path)
    header = check_columns(path, space, where, need_nll=need_nll, observables=observables, score=score)
    index = {name: i for i, name in reversed(list(enumerate(header)))}  # the first of repeated names
    observables = dict(observables or {})
    value_names = [n for n in observables if n in index]
    nll_source = _nll_source(header, observables, score[0])
    # the columns to read; a fixed variable without a column takes its value
    wanted = [(index.get(v.name), v.lower) for v in space.variables] + [(index[n], math.nan) for n in value_names] \
        + ([(index[score[0]], math.nan)] if nll_source == "score" else [])
    valid_column = index.get("valid") if nll_source else None  # bsmart's CSVs hold failed points too
    numbers = array("d")  # row-major, len(wanted) per row: 8 bytes a number
    failed = array("b")
    skipped: Counter[str] = Counter()
    rows_read = 0
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        lines = iter(_csv_lines(fh))
        next(lines, None)  # the header
        for row in lines:
            rows_read += 1
            if isinstance(row, str):
                skipped[row] += 1
            elif len(row) != len(header):
                skipped["a wrong number of fields"] += 1
            else:
                numbers.extend(default if i is None else as_float(row[i].strip()) for i, default in wanted)
                if valid_column is not None:
                    failed.append(row[valid_column].strip().lower() == "false")
    table = np.frombuffer(numbers, dtype=float).reshape(-1, len(wanted))  # a view: no second copy
    nv = len(space.variables)
    physical = table[:, :nv]
    values = {n: table[:, nv + j] for j, n in enumerate(value_names)}
    nll = None
    if nll_source == "score":
        with np.errstate(divide="ignore", invalid="ignore"):
            nll = SCORES[score[1]](table[:, -1])
    elif nll_source == "observables":
        nll = np.array([total_nll(losses(observables, {n: v[r] for n, v in values.items()}))
                        for r in range(len(table))])
    valid = ~np.frombuffer(failed, dtype=np.int8).astype(bool) if len(failed) else np.ones(len(table), bool)
    if nll is not None:  # a failed point weighs what failed points weigh in this run
        nll = np.where(valid, nll, failed_nll(observables))
    keep = np.all(np.isfinite(physical), axis=1)
    skipped["non-numeric or NaN variables"] = int((~keep).sum())
    if nll is not None:
        bad_nll = keep & ~np.isfinite(nll)
        skipped["non-numeric NLL"] = int(bad_nll.sum())
        keep &= ~bad_nll
    inside = np.zeros(len(table), bool)
    inside[keep] = space.contains(physical[keep])
    skipped["outside the declared ranges"] = int((keep & ~inside).sum())
    keep &= inside
    unique = np.zeros(len(table), bool)
    if keep.any():
        _, first = np.unique(space.code_precision(physical[keep]), axis=0, return_index=True)
        unique[np.flatnonzero(keep)[np.sort(first)]] = True
    skipped["duplicates"] = int((keep & ~unique).sum())
    result = PointTable(physical[unique], None if nll is None else nll[unique], rows_read,
                        {why: n for why, n in skipped.items() if n or why in SKIP_REASONS},
                        {n: v[unique] for n, v in values.items()}, valid[unique])
    if not len(result.physical):
        raise ConfigError(f"{path}: no usable row: {result.report()}", where=where)
    return result
