"""Processes that codes leave behind, found and ended.

Every process a point starts carries ``BSMART_TAG=<run>:<point>:...`` in its environment. A
program that double-forks a daemon into a session of its own leaves its process group, but not
its environment; so what a point, a worker or a whole run left running is found by the tag
prefix (``/proc/<pid>/environ``, processes of this user only) and killed. Without /proc (macOS)
only the process groups are killed.
"""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path
from typing import Iterator

TAG = "BSMART_TAG"


def tagged(prefix: str) -> Iterator[int]:
    """PIDs of this user's processes (not this one) whose BSMART_TAG starts with ``prefix``."""
    needle = f"{TAG}={prefix}".encode()
    me, uid = os.getpid(), os.getuid()
    try:
        entries = list(os.scandir("/proc"))
    except OSError:
        return
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            with open(f"/proc/{entry.name}/environ", "rb") as fh:
                environ = fh.read()
        except OSError:  # gone, or not ours to read
            continue
        if any(var.startswith(needle) for var in environ.split(b"\0")):
            yield int(entry.name)


def kill_tagged(prefix: str) -> int:
    """SIGKILL every process tagged with ``prefix``; returns how many. Repeated, since one may
    fork while the others are killed."""
    if not prefix:
        return 0
    killed = 0
    for _ in range(3):
        pids = list(tagged(prefix))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        if not pids:
            break
    return killed


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (tells a reused PID apart)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def owner_stamp() -> str:
    """Who this process is: host, PID and start time (written where a run leaves temporary files)."""
    return f"{socket.gethostname()} {os.getpid()} {start_time(os.getpid()) or '?'}"


def owner_gone(stamp: str) -> bool:
    """Whether the process an :func:`owner_stamp` names has ended (False when unsure)."""
    try:
        host, pid, started = stamp.split()
        pid_number = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname() or started == "?":
        return False
    return start_time(pid_number) != started
