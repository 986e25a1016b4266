"""The live progress bar and the end-of-run summary a physicist reads.

A tqdm bar on standard error when it is a terminal: the scan's own measure of progress against
its target (evaluations, good points, an MCMC's states) with tqdm's rate and ETA, and after it
the iteration, valid and good counts and the last batch's efficiency. It moves with every point
that finishes, not only with every batch, and log lines are written above it. Nothing is drawn
when standard error is not a terminal (CI logs stay readable) or with ``--quiet``.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import sys
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence, TextIO

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from bsmart.points import EvaluatedPoint


MININTERVAL = 0.005  # seconds between redraws as points finish (at most 200 a second)


class ProgressBar:
    """``points`` with the points that just finished, ``batch`` as each batch is stored; ``scan.progress()``
    gives (done, total, unit) or None."""

    def __init__(self, scan: Any, runner: Any, stream: TextIO | None = None, enabled: bool | None = None):
        self.scan, self.runner = scan, runner
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.bar: tqdm | None = None
        self.pending = {"evaluations": 0, "valid": 0, "good": 0}  # finished points of the batch under way
        self.iteration, self.efficiency = 0, None

    @contextlib.contextmanager
    def showing(self, logger: logging.Logger) -> Iterator[None]:
        """Around the run: log lines go above the bar instead of through it."""
        if not self.enabled:
            yield
            return
        with logging_redirect_tqdm(loggers=[logger]):
            try:
                yield
            finally:
                self.close()

    def points(self, points: Sequence[EvaluatedPoint]) -> None:
        if self.enabled and points:
            self.pending["evaluations"] += len(points)
            self.pending["valid"] += sum(p.valid for p in points)
            self.pending["good"] += sum(p.good for p in points)
            self._draw(force=False)

    def batch(self, points: Sequence[EvaluatedPoint]) -> None:
        if self.enabled and points:
            self.pending = dict.fromkeys(self.pending, 0)  # the runner counts them now
            self.iteration = points[-1].iteration
            self.efficiency = sum(p.good for p in points) / len(points)
            self._draw(force=True)

    def _draw(self, force: bool) -> None:
        """As points finish (``force`` False) tqdm redraws at most every MININTERVAL seconds, so a cheap
        code's thousands of points a second cost few terminal writes; a batch's end always redraws."""
        runner, target = self.runner, self.scan.progress()
        done, total, unit = target if target is not None else (runner.evaluated, None, "evaluations")
        if unit in self.pending:  # evaluations or good points: count those of the batch under way too
            done = (runner.evaluated if unit == "evaluations" else runner.good) + self.pending[unit]
        if self.bar is None:
            self.bar = tqdm(total=total, unit=f" {unit}", file=self.stream, dynamic_ncols=True, leave=False,
                            initial=done, smoothing=0.05, mininterval=MININTERVAL, miniters=1)
        parts = [f"iteration {self.iteration}", f"valid {runner.valid + self.pending['valid']}"]
        if unit != "good":
            parts.append(f"good {runner.good + self.pending['good']}")
        if self.efficiency is not None:
            parts.append(f"batch efficiency {self.efficiency:.2f}")
        self.bar.set_postfix_str(", ".join(parts), refresh=False)
        if force:
            self.bar.n = done
            self.bar.refresh()
        else:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def resume_command(input_file: str | Path, run_dir: str | Path, extra: Sequence[str] = ()) -> str:
    """The command that continues the run in ``run_dir``: the input and the run's parent folder
    as absolute paths (so that it works from any folder, and never starts another run)."""
    parent = Path(run_dir).resolve().parent
    words = ["bsmart", "run", str(Path(input_file).resolve()), "--output", str(parent), *extra, "--resume"]
    return " ".join(shlex.quote(w) for w in words)


def summary_lines(summary: Mapping[str, Any], input_file: str, resume_extra: Sequence[str] = ()) -> list[str]:
    """What is printed when a run ends: counts, time split, files, the next commands."""
    evaluations, good = summary.get("evaluations", 0), summary.get("good", 0)
    efficiency = f"{good / evaluations:.3f}" if evaluations else "n/a"
    run_dir = summary.get("run_dir", "")
    timing = f"codes {summary.get('seconds_in_codes', 0):.1f} s"
    if "seconds_training" in summary:
        timing += f", training {summary['seconds_training']:.1f} s, scoring {summary.get('seconds_scoring', 0):.1f} s"
    this_session = summary.get("evaluations_this_session", evaluations)
    resumed = f" ({this_session} this session)" if this_session != evaluations else ""
    lines = [
        f"{summary.get('scan')} {summary.get('status')}: {evaluations} evaluations{resumed}, "
        f"{summary.get('valid', 0)} valid, "
        f"{good} good (efficiency {efficiency}) in {summary.get('seconds', 0):.1f} s ({timing})",
        f"results: {run_dir}/ (all_points.csv, good_points.csv, summary.json, bsmart.log)",
    ]
    if summary.get("chain_files"):
        lines.append(f"sample: {run_dir}/{summary['chain_files']}")
    if summary.get("contour_file"):
        lines.append(f"contour: {run_dir}/{summary['contour_file']}")
    if summary.get("boundary_file"):
        lines.append(f"boundary: {run_dir}/{summary['boundary_file']} (about {100 * summary['misclassified']:.2g}% of "
                     f"the space still on the wrong side)")
    if "input_files" in summary:
        lines.append(f"files: {run_dir}/Results/read_dir_files.csv ({summary['input_files']} input files)")
    if "log_evidence" in summary:
        lines.append(f"evidence: ln Z = {summary['log_evidence']:.4f} +- {summary['log_evidence_error']:.4f}")
    if "best_nll" in summary:
        point = ", ".join(f"{k} {v:.6g}" for k, v in summary["best_point"].items())
        lines.append(f"best fit: NLL {summary['best_nll']:.6g} at ID {summary['best_id']} ({point})")
    if summary.get("status") == "interrupted":
        lines.append(f"continue: {resume_command(input_file, run_dir, resume_extra)}")
    elif good:
        lines.append(f"next: bsmart plot {run_dir}  |  seed another scan with \"InitCSV\": "
                     f"\"{run_dir}/good_points.csv\"  |  re-evaluate with read_csv")
    return lines
