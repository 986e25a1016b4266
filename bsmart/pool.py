"""Local worker processes: every point's codes run where they can die, hang or exit alone.

Each worker is a process of its own group, fed chunks of tasks through a pipe; it notes in
shared memory which point of its chunk it is on and which code runs since when, and sends the
finished points back every ``SEND_EVERY`` seconds (at once for slow codes). So the parent
always knows which point a worker is on. Then:

- a worker that dies (segfault, ``os._exit``, OOM kill, a program killing its parent's group)
  costs exactly the point it was on: that point is tried once more, alone, and recorded invalid
  if it kills a worker again; the rest of its chunk goes to another worker;
- a code that runs past its ``Timeout`` (a Python function too) has its worker killed and the
  point recorded invalid with the code's name;
- what a point started (programs, their double-forked daemons) is killed with the worker, and
  when the run stops; a worker whose parent died (``kill -9`` of the run) kills them and exits.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections import Counter, deque
from itertools import islice
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Callable, Sequence

from bsmart.points import EvaluatedPoint
from bsmart.processes import TAG, kill_tagged
from bsmart.runfolder import Journal, point_key
from bsmart.runner import PointEvaluator, Task

IDLE = -1.0
GRACE = 5.0  # seconds a self-timed code (an external program) gets past its own Timeout
SEND_EVERY = 0.05  # seconds between two sends of finished points: few messages for cheap codes
CODE, STARTED, POSITION = 0, 1, 2  # the clock: the running code (IDLE: none), since when, which point


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


def _watch_parent(parent: int, run_tag: str, temp_root: Path | None) -> None:
    """If the run dies (SIGKILL), end what its points started, and this worker."""
    while os.getppid() == parent:
        time.sleep(0.2)
    kill_tagged(run_tag)
    if temp_root is not None:
        shutil.rmtree(temp_root, ignore_errors=True)
    os._exit(1)


def _worker_main(conn: Any, evaluator: PointEvaluator, clock: Any, journal: Journal | None, run_tag: str,
                 parent: int) -> None:
    os.setpgid(0, 0)  # a program that kills its parent's process group reaches this worker, not the run
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    cleanup = None if evaluator.keep_folders else evaluator.temp_root
    threading.Thread(target=_watch_parent, args=(parent, run_tag, cleanup), daemon=True).start()

    def on_code(index: int) -> None:
        with clock.get_lock():
            clock[CODE], clock[STARTED] = index, time.monotonic()

    evaluator.on_code = on_code
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        finished, sent = [], time.monotonic()
        for position, task in enumerate(chunk):
            clock[POSITION] = position
            os.environ[TAG] = f"{run_tag}{task[0]}:"  # inherited by whatever the point starts
            if journal is not None:  # the parent notes the end: a point that killed it never ends
                journal.started([point_key(task[0], task[1].values())])
            finished.append(evaluator(task))
            with clock.get_lock():
                clock[CODE] = IDLE
            if position == len(chunk) - 1 or time.monotonic() - sent > SEND_EVERY:
                try:
                    conn.send(finished)
                except OSError:  # the parent is gone; the watchdog ends what the point started
                    return
                finished, sent = [], time.monotonic()


class _Worker:
    def __init__(self, context: Any, evaluator: PointEvaluator, journal: Journal | None, run_tag: str):
        self.clock = context.Array("d", [IDLE, 0.0, 0.0])  # see CODE, STARTED, POSITION
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, daemon=True,
                                       args=(child, evaluator, self.clock, journal, run_tag, os.getpid()))
        self.process.start()
        child.close()
        self.chunk: list[Task] = []
        self.done = 0

    @property
    def busy(self) -> bool:
        return self.done < len(self.chunk)

    def give(self, chunk: list[Task]) -> None:
        self.chunk, self.done = chunk, 0
        with self.clock.get_lock():
            self.clock[CODE], self.clock[POSITION] = IDLE, 0
        self.conn.send(chunk)

    def collect(self, results: dict[int, EvaluatedPoint], journal: Journal | None) -> None:
        while self.busy:
            try:
                if not self.conn.poll():
                    return
                points = self.conn.recv()
            except (EOFError, OSError):
                return  # died; the caller finds out from the process
            for point in points:
                results[point.id] = point
            self.done += len(points)
            if journal is not None:
                journal.ended([point_key(p.id, p.variables.values()) for p in points])

    def running_code(self) -> tuple[int, float, int]:
        """(index of the running code or IDLE, since when, position in the chunk of the point)."""
        with self.clock.get_lock():
            return int(self.clock[CODE]), float(self.clock[STARTED]), int(self.clock[POSITION])

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """``evaluate(tasks)`` on ``workers`` worker processes, kept for the whole run."""

    def __init__(self, evaluator: PointEvaluator, workers: int, journal: Journal | None = None):
        self.evaluator = evaluator
        self.size = workers
        self.journal = journal
        self.run_tag = f"{os.getpid()}-{time.time_ns()}:"
        self._context = multiprocessing.get_context("spawn")  # no torch threads or open files inherited
        self._workers: list[_Worker | None] = [None] * workers
        codes = evaluator.chain.codes
        self._limits = [(c.name, c.timeout, GRACE if c.self_timed else 0.0) for c in codes]
        self.on_points: Callable[[list[EvaluatedPoint]], None] | None = None

    def _chunks(self, tasks: Sequence[Task]) -> list[list[Task]]:
        if self.evaluator.chain.needs_workdir:
            size = 1  # external codes are slow: balance the load point by point
        else:
            size = max(1, math.ceil(len(tasks) / (4 * self.size)))
        return [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]

    def evaluate(self, tasks: Sequence[Task]) -> list[EvaluatedPoint]:
        results: dict[int, EvaluatedPoint] = {}
        deaths: Counter[int] = Counter()
        pending = deque(self._chunks(tasks))
        try:
            while True:
                for i in range(self.size):
                    if pending:
                        self._dispatch(i, pending)
                busy = [w for w in self._workers if w is not None and w.busy]
                if not busy and not pending:
                    break
                wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=self._next_check(busy))
                told = len(results)
                for worker in busy:
                    worker.collect(results, self.journal)
                    if worker.busy:
                        self._check(worker, pending, results, deaths)
                if self.on_points is not None and len(results) > told:  # the new ones are last (insertion order)
                    self.on_points(list(islice(reversed(results.values()), len(results) - told))[::-1])
        except BaseException:
            self.terminate()
            raise
        return [results[task[0]] for task in tasks]

    def _dispatch(self, i: int, pending: deque) -> None:
        """Give worker ``i`` the next chunk if it is free (a new worker if it is gone)."""
        worker = self._workers[i]
        if worker is not None and worker.busy:
            return
        if worker is not None and not worker.process.is_alive():  # died while idle (killed from outside)
            self._replace(worker)
            worker = None
        if worker is None:
            worker = self._workers[i] = _Worker(self._context, self.evaluator, self.journal, self.run_tag)
        chunk = pending.popleft()
        try:
            worker.give(chunk)
        except OSError:  # died just now: the chunk waits for the next worker
            pending.appendleft(chunk)
            self._replace(worker)

    def _deadline(self, index: int, started: float) -> float:
        """When code ``index``, started at ``started``, is past its timeout (never when IDLE)."""
        if index < 0:
            return math.inf
        _, limit, grace = self._limits[index]
        return started + limit + grace

    def _next_check(self, busy: list[_Worker]) -> float:
        """Seconds until the first running code could pass its timeout (at most 1)."""
        soonest = min((self._deadline(*w.running_code()[:2]) for w in busy), default=math.inf)
        return max(0.01, min(1.0, soonest - time.monotonic()))

    def _check(self, worker: _Worker, pending: deque, results: dict[int, EvaluatedPoint],
               deaths: Counter[int]) -> None:
        """A busy worker that died or whose code is past its timeout loses its point."""
        index, started, position = worker.running_code()
        late = time.monotonic() > self._deadline(index, started)
        if worker.process.is_alive() and not late:
            return
        if not late:
            worker.process.join(timeout=1)
            worker.collect(results, self.journal)  # what it sent before it died
            if not worker.busy:
                return self._replace(worker)
        # the point it was on; those it finished but had not sent yet are simply evaluated again
        position = max(position, worker.done)
        task = worker.chunk[position]
        rest = worker.chunk[worker.done:position] + worker.chunk[position + 1:]
        reason = _exit_reason(worker.process.exitcode)
        self._replace(worker)
        kill_tagged(f"{self.run_tag}{task[0]}:")
        if rest:
            pending.appendleft(rest)
        if late:
            name, limit, _ = self._limits[index]
            results[task[0]] = self.evaluator.make_point(task[0], task[1], task[2], None,
                                                         f"{name} timed out after {limit:g} s")
            return
        deaths[task[0]] += 1
        if deaths[task[0]] >= 2:
            results[task[0]] = self.evaluator.make_point(
                task[0], task[1], task[2], None, f"the process evaluating this point died twice ({reason})")
        else:
            pending.appendleft([task])  # once more, alone: an OOM kill may not come back

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._workers[self._workers.index(worker)] = None

    def terminate(self) -> None:
        """Kill the workers and everything the points started (on Ctrl-C, SIGTERM or an error)."""
        for i, worker in enumerate(self._workers):
            if worker is not None:
                worker.kill()
                self._workers[i] = None
        kill_tagged(self.run_tag)

    def close(self) -> None:
        for i, worker in enumerate(self._workers):
            if worker is not None:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
                worker.process.join(timeout=5)
                worker.kill()
                self._workers[i] = None
        kill_tagged(self.run_tag)
