"""The run manager: evaluates batches of points in parallel and hands every result to the store.

Scans call :meth:`RunManager.run_batch` with physical points and get
:class:`~bsmart.points.EvaluatedPoint` objects back, in the order given. Parallelism sits
behind a small executor interface (``evaluate(tasks) -> points``): in-process for one core,
a process pool otherwise; a distributed engine plugs in the same way.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import signal
import tempfile
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Protocol, Sequence

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
        error = None
        try:
            if self.chain.needs_workdir:
                workdir = Path(tempfile.mkdtemp(prefix=f"point_{point_id}_", dir=self.temp_root))
            values = self.chain.evaluate(variables, workdir)
        except CodeError as exc:
            error = str(exc)
        except Exception as exc:  # a bug must cost one point, not the scan
            error = f"{type(exc).__name__}: {exc}"
        finally:
            if workdir is not None and not self.keep_folders:
                shutil.rmtree(workdir, ignore_errors=True)
        return self.make_point(point_id, variables, iteration, values, error, time.perf_counter() - start)

    def make_point(self, point_id: int, variables: dict[str, float], iteration: int,
                   values: Mapping[str, float] | None, error: str | None, seconds: float = 0.0) -> EvaluatedPoint:
        valid = values is not None
        observables = self.chain.observables
        losses = observable_losses(observables, values if valid else None)
        nll = total_nll(losses, valid)
        full = {name: (values or {}).get(name, math.nan) for name in observables}
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


def _init_worker(evaluator: PointEvaluator) -> None:
    global _WORKER_EVALUATOR
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    _WORKER_EVALUATOR = evaluator


def _evaluate_chunk(tasks: Sequence[Task]) -> list[EvaluatedPoint]:
    return [_WORKER_EVALUATOR(task) for task in tasks]


class ProcessExecutor:
    """A pool of worker processes kept for the whole run. A worker that dies (segfault, OOM
    kill) breaks the pool: the pool is rebuilt and the unfinished points are tried once more,
    one per task, then marked invalid."""

    def __init__(self, evaluator: PointEvaluator, workers: int):
        self.evaluator = evaluator
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: workers must not inherit torch threads or open files from the parent
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_init_worker, initargs=(self.evaluator,))
        return self._pool

    def _chunks(self, tasks: Sequence[Task]) -> list[list[Task]]:
        if self.evaluator.chain.needs_workdir:
            size = 1  # external codes are slow: balance the load point by point
        else:
            size = max(1, math.ceil(len(tasks) / (4 * self.workers)))
        return [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]

    def evaluate(self, tasks: Sequence[Task]) -> list[EvaluatedPoint]:
        results: dict[int, EvaluatedPoint] = {}
        pending = self._chunks(tasks)
        retried: set[int] = set()
        while pending:
            pool = self._get_pool()
            futures = {pool.submit(_evaluate_chunk, chunk): chunk for chunk in pending}
            pending = []
            try:
                not_done = set(futures)
                while not_done:
                    done, not_done = wait(not_done, return_when=FIRST_COMPLETED)
                    for future in done:
                        try:
                            for point in future.result():
                                results[point.id] = point
                        except BrokenProcessPool:
                            pending.append(futures[future])
            except BaseException:
                self.terminate()
                raise
            if pending:
                self.terminate()
                retry = []
                for chunk in pending:
                    for task in chunk:
                        if task[0] in retried:
                            results[task[0]] = self.evaluator.make_point(
                                task[0], task[1], task[2], None, "worker process died while evaluating this point")
                        else:
                            retried.add(task[0])
                            retry.append([task])
                log.warning("a worker process died; retrying %d unfinished point(s) once", len(retry))
                pending = retry
        return [results[task[0]] for task in tasks]

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


class RunManager:
    """Assigns IDs, runs batches through the executor, stores every point, keeps counts."""

    def __init__(self, evaluator: PointEvaluator, executor: Executor, store, first_id: int = 1):
        self.evaluator = evaluator
        self.executor = executor
        self.store = store
        self.next_id = first_id
        self.evaluated = 0
        self.valid = 0
        self.good = 0
        self.seconds_in_codes = 0.0
        self.wall_seconds_in_batches = 0.0
        self.failures: Counter[str] = Counter()

    @property
    def variable_names(self) -> tuple[str, ...]:
        return self.evaluator.chain.variable_names

    def run_batch(self, physical: np.ndarray, iteration: int = 0) -> list[EvaluatedPoint]:
        """Evaluate ``[n, n_variables]`` physical points; every result is on disk on return."""
        physical = np.atleast_2d(np.asarray(physical, dtype=float))
        if physical.size == 0:
            return []
        names = self.variable_names
        tasks: list[Task] = []
        for row in physical:
            tasks.append((self.next_id, dict(zip(names, map(float, row))), iteration))
            self.next_id += 1
        start = time.perf_counter()
        points = self.executor.evaluate(tasks)
        self.wall_seconds_in_batches += time.perf_counter() - start
        self.store.append(points)
        self.record(points)
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


def _reason(error: str) -> str:
    """Group failure messages: numbers stripped so that counts are meaningful."""
    return "".join("#" if c.isdigit() else c for c in error)[:120]
