"""The live progress line and the end-of-run summary a physicist reads.

One line, rewritten after every batch when standard error is a terminal: iteration,
evaluations, valid, good found/target, the last batch's efficiency and an ETA. Nothing is
drawn when it is not a terminal (CI logs stay readable) or with ``--quiet``.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Sequence, TextIO

from bsmart.points import EvaluatedPoint


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class ProgressLine:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self._width = 0

    def update(self, runner: Any, batch: Sequence[EvaluatedPoint], target: tuple[int, int, str] | None) -> None:
        if not self.enabled or not batch:
            return
        good_in_batch = sum(p.good for p in batch)
        parts = [f"iteration {batch[-1].iteration}", f"evaluated {runner.evaluated}", f"valid {runner.valid}"]
        eta = ""
        if target is not None:
            done, total, unit = target
            if unit == "good":
                parts.append(f"good {runner.good}/{total}")
            elif unit != "evaluations":  # e.g. an MCMC's states
                parts += [f"good {runner.good}", f"{unit} {done}/{total}"]
            else:
                parts[1] = f"evaluated {done}/{total}"
                parts.append(f"good {runner.good}")
            elapsed = time.monotonic() - self.started
            if 0 < done < total and elapsed > 0:
                eta = f" | ETA {_duration(elapsed * (total - done) / done)}"
        else:
            parts.append(f"good {runner.good}")
        parts.append(f"batch efficiency {good_in_batch / len(batch):.2f}")
        line = " | ".join(parts) + eta
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()


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
