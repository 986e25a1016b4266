"""The run manager: evaluates batches of points in parallel and hands every result to the store.

Scans call :meth:`RunManager.run_batch` with physical points and get
:class:`~bsmart.points.EvaluatedPoint` objects back, in the order given. Parallelism sits
behind a small executor interface (``evaluate(tasks) -> points``): worker processes
(:mod:`bsmart.pool`) for every chain with a Python function or a program, in this process only
for bsmart's own toy targets on one core; a distributed engine plugs in the same way.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping, Protocol, Sequence

import numpy as np

from bsmart.codes.base import Chain
from bsmart.errors import CodeError, ConfigError
from bsmart.likelihood import failed_nll, is_good, losses as observable_losses, total_nll
from bsmart.points import EvaluatedPoint
from bsmart.processes import owner_gone, owner_stamp
from bsmart.runfolder import Journal, point_key
from bsmart.slha import slha_text

log = logging.getLogger("bsmart")

# (ID, variables, iteration), and for read_dir the file the point is given as its input file
Task = tuple[int, dict[str, float], int] | tuple[int, dict[str, float], int, str]


@dataclass
class PointEvaluator:
    """Everything a worker needs to turn a task into an EvaluatedPoint (picklable)."""

    chain: Chain
    threshold: float | None
    temp_root: Path | None
    keep_folders: bool = False
    store_spectra: bool = False  # return each valid point's spectrum as text (StoreAllPoints)
    input_file: str | None = None  # return the text of this file of the point's folder (StoreInputs)
    archive: str | None = None  # copy each point's folder to <archive><ID> (StoreEverything)
    on_code: Callable[[int], None] | None = None  # told which code starts (a worker's timeout clock)

    def __call__(self, task: Task) -> EvaluatedPoint:
        point_id, variables, iteration, *given = task
        start = time.perf_counter()
        workdir = None
        values: dict[str, float] | None = None
        partial: dict[str, float] | None = None
        error = spectrum = input_text = None
        undeclared: set[tuple[str, str]] = set()
        try:
            if self.chain.needs_workdir:
                workdir = Path(tempfile.mkdtemp(prefix=f"point_{point_id}_", dir=self.temp_root))
            values, doc = self.chain.evaluate(variables, workdir, self.on_code, *given, undeclared=undeclared)
            if self.store_spectra and doc is not None:
                spectrum = slha_text(doc)
        except CodeError as exc:
            error, partial = str(exc), exc.partial
        except Exception as exc:  # a bug must cost one point, not the scan
            error = f"{type(exc).__name__}: {exc}"
        finally:
            if workdir is not None:
                input_text = self._keep(workdir, point_id)
                if not self.keep_folders:
                    shutil.rmtree(workdir, ignore_errors=True)
        point = self.make_point(point_id, variables, iteration, values, error, time.perf_counter() - start, partial)
        point.spectrum, point.input_text, point.undeclared = spectrum, input_text, tuple(sorted(undeclared))
        return point

    def _keep(self, workdir: Path, point_id: int) -> str | None:
        """What StoreEverything and StoreInputs keep of the point's folder (its input file's text);
        a failure to copy is reported, and costs the point nothing."""
        try:
            if self.archive is not None:
                shutil.copytree(workdir, f"{self.archive}{point_id}", dirs_exist_ok=True)
            if self.input_file is not None and (workdir / self.input_file).is_file():
                return (workdir / self.input_file).read_text(errors="replace")
        except OSError as exc:
            log.warning("point %d: could not keep its files: %s", point_id, exc)
        return None

    def make_point(self, point_id: int, variables: dict[str, float], iteration: int,
                   values: Mapping[str, float] | None, error: str | None, seconds: float = 0.0,
                   partial: Mapping[str, float] | None = None) -> EvaluatedPoint:
        """``values=None`` is a failed point: every used observable gets the maximum loss, and
        the observables computed before the failure (``partial``) are still reported."""
        valid = values is not None
        observables = self.chain.observables
        losses = observable_losses(observables, values if valid else None)
        nll = total_nll(losses) if valid else failed_nll(observables)
        full = {name: (values if valid else partial or {}).get(name, math.nan) for name in observables}
        good = is_good(nll, valid, self.threshold)
        return EvaluatedPoint(point_id, dict(variables), full, losses, nll, valid, good,
                              error if error is None else error.replace("\n", " ")[:500], iteration, seconds)


class Executor(Protocol):
    on_points: Callable[[list[EvaluatedPoint]], None] | None  # told of the points that just finished (progress)

    def evaluate(self, tasks: Sequence[Task]) -> list[EvaluatedPoint]: ...
    def close(self) -> None: ...


class SerialExecutor:
    """Evaluates in this process: one core, deterministic, no start-up cost."""

    def __init__(self, evaluator: PointEvaluator):
        self.evaluator = evaluator
        self.on_points: Callable[[list[EvaluatedPoint]], None] | None = None

    def evaluate(self, tasks: Sequence[Task]) -> list[EvaluatedPoint]:
        points = []
        for task in tasks:
            points.append(self.evaluator(task))
            if self.on_points is not None:
                self.on_points(points[-1:])
        return points

    def close(self) -> None:
        pass


OWNER = ".owner"  # who made a temporary folder: host, pid, process start time


def make_temp_root(configured: Path | None, run_name: str) -> Path:
    """Per-run folder for the points' working folders (RAM-backed /dev/shm when it exists).

    Each holds an ``.owner`` file; folders of runs whose process is gone (killed with SIGKILL,
    say) are removed here, at the start of the next run."""
    base = configured
    if base is None:
        shm = Path("/dev/shm")
        base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    try:
        base.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_roots(base)
        safe = "".join(c if c.isalnum() else "_" for c in run_name)[:40]
        root = Path(tempfile.mkdtemp(prefix=f"bsmart_{safe}_", dir=base))
        (root / OWNER).write_text(owner_stamp())
    except OSError as exc:
        raise ConfigError(f"cannot make the points' working folders in {base}: {exc.strerror or exc}",
                          where="Setup.Temporary Directory") from None
    return root


def remove_stale_temp_roots(base: Path) -> None:
    for folder in base.glob("bsmart_*"):
        try:
            stamp = (folder / OWNER).read_text()
        except OSError:
            continue
        if folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.getuid() \
                and owner_gone(stamp):
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends, so that what is written to disk and what is
    counted (and reported in summary.json) cannot disagree. Only the main thread gets signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[tuple[int, object]] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: received.append((signum, frame)))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum, frame in received[:1]:
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


class EvaluationLimitReached(Exception):
    """The run has evaluated as many points as it was allowed (``bsmart run --max-evaluations``)."""


class RunManager:
    """Assigns IDs, runs batches through the executor, stores every point, keeps counts.

    Resuming: given the points of an interrupted run, the scan is started again from its seed
    and replays its own history. A proposed point whose ID and variables match a stored point
    is served from the store instead of being evaluated, so the scan rebuilds its state
    (training set, RNG, iteration counter) without re-running any code. If the scan ever
    proposes something else, replay stops and new points get fresh IDs.
    """

    def __init__(self, evaluator: PointEvaluator, executor: Executor, store,
                 previous: Sequence[EvaluatedPoint] = (), journal: Journal | None = None,
                 killed_the_run: Mapping[str, int] | None = None, max_evaluations: int | None = None):
        self.evaluator = evaluator
        self.max_evaluations = max_evaluations  # a trial of a big scan: replayed points count too
        self.executor = executor
        self.store = store
        self.journal = journal  # cleared once a batch is stored: nothing of it is in flight any more
        self.killed_the_run = dict(killed_the_run or {})  # point key -> runs it was in flight in when they died
        self._replay = {p.id: p for p in previous}
        self._last_previous_id = max(self._replay, default=0)
        self.next_id = 1
        self.replayed = 0
        self.evaluated = 0
        self.valid = 0
        self.good = 0
        self.seconds_in_codes = 0.0
        self.failures: Counter[str] = Counter()
        self.warned_undeclared: set[tuple[str, str]] = set()
        self.on_batch: Callable[[list[EvaluatedPoint]], None] | None = None  # e.g. the progress bar
        self.on_points: Callable[[list[EvaluatedPoint]], None] | None = None  # new points as they finish

    @property
    def variable_names(self) -> tuple[str, ...]:
        return self.evaluator.chain.variable_names

    def run_batch(self, physical: np.ndarray, iteration: int = 0,
                  inputs: Sequence[str] | None = None) -> list[EvaluatedPoint]:
        """Evaluate ``[n, n_variables]`` physical points; every result is on disk on return.
        ``inputs``: per point, a file its first template's code takes as is (read_dir)."""
        physical = np.atleast_2d(np.asarray(physical, dtype=float))
        cut = False  # a batch the limit cuts short is evaluated as far as it goes, then the run stops:
        if self.max_evaluations is not None:  # a scan never sees fewer points than it asked for
            if self.evaluated >= self.max_evaluations:
                raise EvaluationLimitReached
            cut = len(physical) > self.max_evaluations - self.evaluated
            physical = physical[:self.max_evaluations - self.evaluated]
        if physical.size == 0:
            return []
        names = self.variable_names
        points: list[EvaluatedPoint | None] = []
        to_run: list[tuple[int, Task]] = []  # (position in batch, task)
        for position, row in enumerate(physical):
            variables = dict(zip(names, map(float, row)))
            stored = self._replay.pop(self.next_id, None) if self._replay else None
            if stored is not None and all(math.isclose(stored.variables[n], v, rel_tol=1e-12, abs_tol=1e-300)
                                          or math.isnan(stored.variables[n]) and math.isnan(v)
                                          for n, v in variables.items()):
                stored.iteration = iteration
                points.append(stored)
                self.next_id += 1
                continue
            if stored is not None:
                log.warning("resume: the scan proposed other points than the stored run from ID %d on; "
                            "continuing with new points", self.next_id)
                self._replay.clear()
            if not self._replay:  # never reuse an ID that is already on disk
                self.next_id = max(self.next_id, self._last_previous_id + 1)
            given = () if inputs is None else (inputs[position],)
            to_run.append((len(points), (self.next_id, variables, iteration, *given)))
            points.append(None)
            self.next_id += 1
        replayed = [p for p in points if p is not None]
        self.replayed += len(replayed)
        self.record(replayed, replayed=True)
        if to_run:
            new_points = self._evaluate([task for _, task in to_run])
            with deferred_interrupts():
                self.store.append(new_points)
                self.record(new_points)
                if self.journal is not None:
                    self.journal.clear()
            for (position, _), point in zip(to_run, new_points):
                points[position] = point
        if self.on_batch is not None:
            self.on_batch(points)
        if cut:
            raise EvaluationLimitReached
        return points

    def _evaluate(self, tasks: list[Task]) -> list[EvaluatedPoint]:
        """The executor's results, with the points that were in flight when the run died.

        Every point in flight then is a suspect; innocent ones ran beside the culprit. So a
        suspect is evaluated alone, before the rest: only the culprit takes the run down again,
        and a point that did so twice is recorded invalid instead of being run a third time."""
        self.executor.on_points = self.on_points
        if not self.killed_the_run:  # the usual case: no run died with points in flight
            return self.executor.evaluate(tasks)
        deaths = {t[0]: self.killed_the_run.get(point_key(t[0], t[1].values()), 0) for t in tasks}
        done: dict[int, EvaluatedPoint] = {}
        for point_id, variables, iteration, *_ in (t for t in tasks if deaths[t[0]] >= 2):
            log.warning("point %d was being evaluated when the run died, twice: recorded invalid", point_id)
            done[point_id] = self.evaluator.make_point(point_id, variables, iteration, None,
                                                       "killed the run (it was in flight when the run died, twice)")
        for task in (t for t in tasks if deaths[t[0]] == 1):
            done.update((p.id, p) for p in self.executor.evaluate([task]))
        rest = [t for t in tasks if deaths[t[0]] == 0]
        done.update((p.id, p) for p in (self.executor.evaluate(rest) if rest else []))
        return [done[t[0]] for t in tasks]

    def record(self, points: Sequence[EvaluatedPoint], replayed: bool = False) -> None:
        """Count points; the codes' seconds only of those evaluated in this session (not replayed)."""
        for p in points:
            self.evaluated += 1
            self.valid += p.valid
            self.good += p.good
            self.seconds_in_codes += 0.0 if replayed else p.seconds
            for code, name in set(p.undeclared) - self.warned_undeclared:
                self.warned_undeclared.add((code, name))
                log.warning("Codes.%s returns %s, which no observable declares: it is not written to the CSV files "
                            "(declare it under Codes.%s.Observables, with SCALING OFF, to keep it)", code, name, code)
            if p.error:
                self.failures[_reason(p.error)] += 1

    def close(self) -> None:
        self.executor.close()


_VALUE_RE = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)|[-+]?\d+\.\d*|\d{3,}")


def _reason(error: str) -> str:
    """Group failure messages: point-specific values (not exit codes) become '#'."""
    return _VALUE_RE.sub("#", error)[:160]
