"""The run manager: evaluates batches of points in parallel and hands every result to the store.

Scans call :meth:`RunManager.run_batch` with physical points and get
:class:`~bsmart.points.EvaluatedPoint` objects back, in the order given. Parallelism sits
behind a small executor interface (``evaluate(tasks) -> points``): in-process for one core,
a process pool otherwise; a distributed engine plugs in the same way.
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
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping, Protocol, Sequence

import multiprocessing
import numpy as np

from bsmart.codes.base import Chain
from bsmart.errors import CodeError
from bsmart.likelihood import losses as observable_losses, total_nll
from bsmart.points import EvaluatedPoint

log = logging.getLogger("bsmart")

Task = tuple[int, dict[str, float], int]  # (ID, variables, iteration)


@dataclass
class PointEvaluator:
    """Everything a worker needs to turn a task into an EvaluatedPoint (picklable)."""

    chain: Chain
    threshold: float | None
    temp_root: Path | None
    keep_folders: bool = False

    def __call__(self, task: Task) -> EvaluatedPoint:
        point_id, variables, iteration = task
        start = time.perf_counter()
        workdir = None
        values: dict[str, float] | None = None
        partial: dict[str, float] | None = None
        error = None
        try:
            if self.chain.needs_workdir:
                workdir = Path(tempfile.mkdtemp(prefix=f"point_{point_id}_", dir=self.temp_root))
            values = self.chain.evaluate(variables, workdir)
        except CodeError as exc:
            error, partial = str(exc), exc.partial
        except Exception as exc:  # a bug must cost one point, not the scan
            error = f"{type(exc).__name__}: {exc}"
        finally:
            if workdir is not None and not self.keep_folders:
                shutil.rmtree(workdir, ignore_errors=True)
        return self.make_point(point_id, variables, iteration, values, error, time.perf_counter() - start, partial)

    def make_point(self, point_id: int, variables: dict[str, float], iteration: int,
                   values: Mapping[str, float] | None, error: str | None, seconds: float = 0.0,
                   partial: Mapping[str, float] | None = None) -> EvaluatedPoint:
        """``values=None`` is a failed point: every used observable gets the maximum loss, and
        the observables computed before the failure (``partial``) are still reported."""
        valid = values is not None
        observables = self.chain.observables
        losses = observable_losses(observables, values if valid else None)
        nll = total_nll(losses, valid)
        full = {name: (values if valid else partial or {}).get(name, math.nan) for name in observables}
        good = valid and (self.threshold is None or nll < self.threshold)
        return EvaluatedPoint(point_id, dict(variables), full, losses, nll, valid, good,
                              error if error is None else error.replace("\n", " ")[:500], iteration, seconds)


class Executor(Protocol):
    def evaluate(self, tasks: Sequence[Task]) -> list[EvaluatedPoint]: ...
    def close(self) -> None: ...


class SerialExecutor:
    """Evaluates in this process: one core, deterministic, no start-up cost."""

    def __init__(self, evaluator: PointEvaluator):
        self.evaluator = evaluator

    def evaluate(self, tasks: Sequence[Task]) -> list[EvaluatedPoint]:
        return [self.evaluator(task) for task in tasks]

    def close(self) -> None:
        pass


_WORKER_EVALUATOR: PointEvaluator | None = None
_WORKER_SLOTS = None  # shared array of (pid, ID of the point being evaluated) pairs
_WORKER_SLOT = -1


def _init_worker(evaluator: PointEvaluator, slots) -> None:
    global _WORKER_EVALUATOR, _WORKER_SLOTS, _WORKER_SLOT
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    _WORKER_EVALUATOR, _WORKER_SLOTS = evaluator, slots
    with slots.get_lock():
        for i in range(0, len(slots), 2):
            if slots[i] == 0:
                slots[i], _WORKER_SLOT = os.getpid(), i
                break


def _evaluate_chunk(tasks: Sequence[Task]) -> list[EvaluatedPoint]:
    points = []
    for task in tasks:
        if _WORKER_SLOT >= 0:
            _WORKER_SLOTS[_WORKER_SLOT + 1] = task[0]  # so the parent can blame the right point
        points.append(_WORKER_EVALUATOR(task))
    return points


class ProcessExecutor:
    """A pool of worker processes kept for the whole run.

    A worker that dies (segfault, OOM kill) breaks the whole pool. The pool is then rebuilt:
    the point the dead worker was evaluating is tried once more and, if it kills a worker
    again, marked invalid; the other unfinished points are simply resubmitted, so a dead
    worker costs at most its current point.
    """

    def __init__(self, evaluator: PointEvaluator, workers: int):
        self.evaluator = evaluator
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._context = multiprocessing.get_context("spawn")
        # spawn: workers must not inherit torch threads or open files from the parent
        self._slots = self._context.Array("q", 2 * workers)
        self._workers: dict[int, multiprocessing.process.BaseProcess] = {}

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._slots[:] = [0] * len(self._slots)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context, initializer=_init_worker,
                                             initargs=(self.evaluator, self._slots))
        return self._pool

    def _chunks(self, tasks: Sequence[Task]) -> list[list[Task]]:
        if self.evaluator.chain.needs_workdir:
            size = 1  # external codes are slow: balance the load point by point
        else:
            size = max(1, math.ceil(len(tasks) / (4 * self.workers)))
        return [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]

    def evaluate(self, tasks: Sequence[Task]) -> list[EvaluatedPoint]:
        results: dict[int, EvaluatedPoint] = {}
        deaths: Counter[int] = Counter()  # point ID -> workers it was running in when they died
        pending = self._chunks(tasks)
        while pending:
            pool = self._get_pool()
            futures = {pool.submit(_evaluate_chunk, chunk): chunk for chunk in pending}
            # the pool forgets its processes once it is broken: keep them to find the dead one
            self._workers = dict(getattr(pool, "_processes", None) or {})
            broken: list[Task] = []
            try:
                not_done = set(futures)
                while not_done:
                    done, not_done = wait(not_done, return_when=FIRST_COMPLETED)
                    for future in done:
                        try:
                            for point in future.result():
                                results[point.id] = point
                        except BrokenProcessPool:
                            broken.extend(futures[future])
            except BaseException:
                self.terminate()
                raise
            pending = []
            if not broken:
                break
            blamed = self._blamed_points()
            self.terminate()
            unfinished = [t for t in broken if t[0] not in results]
            # if the dead worker's point is unknown, every unfinished point shares the blame
            culprits = [t for t in unfinished if t[0] in blamed] or unfinished
            for task in culprits:
                deaths[task[0]] += 1
            retry = []
            for task in unfinished:
                if deaths[task[0]] >= 2:
                    results[task[0]] = self.evaluator.make_point(
                        task[0], task[1], task[2], None, "worker process died while evaluating this point (twice)")
                else:
                    retry.append(task)
            log.warning("a worker process died (point(s) %s); resubmitting %d unfinished point(s)",
                        ", ".join(str(t[0]) for t in culprits[:5]), len(retry))
            pending = self._chunks(retry)
        return [results[task[0]] for task in tasks]

    def _blamed_points(self) -> set[int]:
        """IDs of the points that workers which died were evaluating."""
        processes = {**self._workers, **(getattr(self._pool, "_processes", None) or {})}
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and all(p.exitcode is None for p in processes.values()):
            time.sleep(0.02)  # the dead worker may not be reaped yet
        # the pool SIGTERMs the survivors once it is broken: those are not to blame
        dead = {pid for pid, p in processes.items() if p.exitcode not in (None, 0, -signal.SIGTERM)}
        slots = list(self._slots)
        return {slots[i + 1] for i in range(0, len(slots), 2) if slots[i] in dead and slots[i + 1] > 0}

    def terminate(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(timeout=5)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def make_temp_root(configured: Path | None, run_name: str) -> Path:
    """Per-run folder for the points' working folders (RAM-backed /dev/shm when it exists)."""
    base = configured
    if base is None:
        shm = Path("/dev/shm")
        base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() else "_" for c in run_name)[:40]
    return Path(tempfile.mkdtemp(prefix=f"bsmart_{safe}_", dir=base))


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


class RunManager:
    """Assigns IDs, runs batches through the executor, stores every point, keeps counts.

    Resuming: given the points of an interrupted run, the scan is started again from its seed
    and replays its own history. A proposed point whose ID and variables match a stored point
    is served from the store instead of being evaluated, so the scan rebuilds its state
    (training set, RNG, iteration counter) without re-running any code. If the scan ever
    proposes something else, replay stops and new points get fresh IDs.
    """

    def __init__(self, evaluator: PointEvaluator, executor: Executor, store,
                 previous: Sequence[EvaluatedPoint] = ()):
        self.evaluator = evaluator
        self.executor = executor
        self.store = store
        self._replay = {p.id: p for p in previous}
        self._last_previous_id = max(self._replay, default=0)
        self.next_id = 1
        self.replayed = 0
        self.evaluated = 0
        self.valid = 0
        self.good = 0
        self.seconds_in_codes = 0.0
        self.failures: Counter[str] = Counter()
        self.on_batch: Callable[[list[EvaluatedPoint]], None] | None = None  # e.g. the progress line

    @property
    def variable_names(self) -> tuple[str, ...]:
        return self.evaluator.chain.variable_names

    def run_batch(self, physical: np.ndarray, iteration: int = 0) -> list[EvaluatedPoint]:
        """Evaluate ``[n, n_variables]`` physical points; every result is on disk on return."""
        physical = np.atleast_2d(np.asarray(physical, dtype=float))
        if physical.size == 0:
            return []
        names = self.variable_names
        points: list[EvaluatedPoint | None] = []
        to_run: list[tuple[int, Task]] = []  # (position in batch, task)
        for row in physical:
            variables = dict(zip(names, map(float, row)))
            stored = self._replay.pop(self.next_id, None) if self._replay else None
            if stored is not None and all(math.isclose(stored.variables[n], v, rel_tol=1e-12, abs_tol=1e-300)
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
            to_run.append((len(points), (self.next_id, variables, iteration)))
            points.append(None)
            self.next_id += 1
        replayed = [p for p in points if p is not None]
        self.replayed += len(replayed)
        self.record(replayed)
        if to_run:
            new_points = self.executor.evaluate([task for _, task in to_run])
            with deferred_interrupts():
                self.store.append(new_points)
                self.record(new_points)
            for (position, _), point in zip(to_run, new_points):
                points[position] = point
        if self.on_batch is not None:
            self.on_batch(points)
        return points

    def record(self, points: Sequence[EvaluatedPoint]) -> None:
        for p in points:
            self.evaluated += 1
            self.valid += p.valid
            self.good += p.good
            self.seconds_in_codes += p.seconds
            if p.error:
                self.failures[_reason(p.error)] += 1

    def close(self) -> None:
        self.executor.close()


_VALUE_RE = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)|[-+]?\d+\.\d*|\d{3,}")


def _reason(error: str) -> str:
    """Group failure messages: point-specific values (not exit codes) become '#'."""
    return _VALUE_RE.sub("#", error)[:160]
