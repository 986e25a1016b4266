"""The run folder's life: where it may be, who holds it, and which points were in flight.

- bsmart only writes into, and with ``--overwrite`` only empties, a folder that it made itself:
  it marks each run folder with ``.bsmart/run``. A folder without the mark that holds files,
  the current folder, the input file's folder and any folder above them are refused.
- One run per folder at a time: ``.bsmart/lock`` is held (``filelock``, released by the kernel
  when the holder dies, even by SIGKILL) for the whole run; ``.bsmart/holder`` says who holds it.
- The points in flight are journalled in ``.bsmart/in_flight`` by the workers (a line when a
  point starts, one when it ends; cleared once a batch is stored). A point still in flight when
  the run died took the run down with it; ``.bsmart/killed.json`` counts how often.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from filelock import FileLock, Timeout

from bsmart.errors import BsmartError

STATE = ".bsmart"
MARKER, LOCK, HOLDER, IN_FLIGHT, KILLED = "run", "lock", "holder", "in_flight", "killed.json"


def point_key(point_id: int, values: Iterable[float]) -> str:
    """A point's name in the journal: its ID and exact variable values (a replay proposes both again)."""
    packed = [float(v) for v in values]
    return f"{point_id} {struct.pack(f'{len(packed)}d', *packed).hex()}"


class Journal:
    """Which points were being evaluated; written by the workers, read when a run resumes."""

    def __init__(self, state: Path):
        self.path, self.killed_path = state / IN_FLIGHT, state / KILLED
        self._fd: int | None = None  # each process opens its own

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_fd": None}

    def started(self, keys: Iterable[str]) -> None:
        self._write("".join(f"start {key}\n" for key in keys))

    def ended(self, keys: Iterable[str]) -> None:
        self._write("".join(f"end {key}\n" for key in keys))

    def _write(self, line: str) -> None:
        # O_APPEND: lines of several processes never interleave; no fsync, since the page cache
        # outlives a killed process (only a crash of the machine could lose the line). Best
        # effort: a journal that cannot be written (folder removed, disk full) must not stop a run.
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(self._fd, line.encode())
        except OSError:
            pass

    def clear(self) -> None:
        """Nothing is in flight (a batch is stored, or the run stopped under our control).
        Truncated, not removed: the workers keep writing to the same file."""
        try:
            os.truncate(self.path, 0)
        except OSError:
            pass

    def record_deaths(self) -> Counter[str]:
        """Count the points left in flight by a run that died; returns every count so far."""
        try:
            counts = Counter(json.loads(self.killed_path.read_text()))
        except (OSError, ValueError, TypeError):
            counts = Counter()
        try:
            lines = self.path.read_text(errors="replace").splitlines()
        except OSError:
            lines = []
        open_points: dict[str, None] = {}
        for line in lines:
            kind, _, key = line.partition(" ")
            if kind == "start":
                open_points[key] = None
            elif kind == "end":
                open_points.pop(key, None)
        if open_points:
            counts.update(open_points.keys())
            tmp = self.killed_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(counts))
            os.replace(tmp, self.killed_path)
        self.clear()
        return counts


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


class RunFolder:
    """A locked run folder. ``open`` checks, locks and prepares it; ``release`` unlocks it."""

    def __init__(self, path: Path, lock: FileLock):
        self.path = path
        self.state = path / STATE
        self._lock = lock
        self.journal = Journal(self.state)

    @classmethod
    def open(cls, path: Path, *, resume: bool, overwrite: bool, protected: Sequence[Path]) -> "RunFolder":
        path = Path(path).absolute()
        for folder in protected:
            if _is_within(Path(folder).absolute(), path):
                raise BsmartError(f"run folder {path} is, or holds, {folder}; bsmart writes (and with --overwrite "
                                  f"deletes) its run folder, so Setup.RunName must name a folder of its own")
        if path.exists() and not path.is_dir():
            raise BsmartError(f"run folder {path} is a file; choose another RunName")
        state = path / STATE
        if path.is_dir() and not (state / MARKER).is_file() and any(p.name != STATE for p in path.iterdir()):
            raise BsmartError(f"{path} holds files that bsmart did not write (it has no {STATE}/{MARKER}); bsmart "
                              f"never writes into or deletes such a folder: choose another RunName")
        try:
            state.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BsmartError(f"cannot make run folder {path}: {exc.strerror}") from None
        lock = FileLock(state / LOCK, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise BsmartError(f"run folder {path} is in use by another run ({cls._holder(state)}); wait for it "
                              f"to end, or choose another RunName") from None
        folder = cls(path, lock)
        try:
            folder._prepare(resume=resume, overwrite=overwrite)
        except BaseException:
            folder.release()
            raise
        return folder

    @staticmethod
    def _holder(state: Path) -> str:
        try:
            return (state / HOLDER).read_text().strip() or "holder unknown"
        except OSError:
            return "holder unknown"

    def _prepare(self, *, resume: bool, overwrite: bool) -> None:
        (self.state / HOLDER).write_text(f"pid {os.getpid()} on {socket.gethostname()} since "
                                         f"{time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(sys.argv)[:300]}\n")
        (self.state / MARKER).write_text("made by bsmart; --overwrite may delete this folder\n")
        contents = [p for p in self.path.iterdir() if p.name != STATE]
        if not contents or resume:
            return
        if not overwrite:
            raise BsmartError(f"run folder {self.path} already exists; pass --resume to continue it, --overwrite "
                              f"to replace it, or choose another RunName")
        for item in contents:
            shutil.rmtree(item) if item.is_dir() and not item.is_symlink() else item.unlink()
        for name in (IN_FLIGHT, KILLED):
            (self.state / name).unlink(missing_ok=True)

    def release(self) -> None:
        (self.state / HOLDER).unlink(missing_ok=True)
        self._lock.release()
