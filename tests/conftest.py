"""Shared fixtures of the core tests: running the real command line, writing input files, and a
real spectrum generator (simsusy) installed in its own virtual environment, as users install
SPheno apart from bsmart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SIMSUSY_VENV = Path(__file__).resolve().parent / ".simsusy-venv"  # ignored by .gitignore; reused across runs


def run_cli(*args: str, cwd: Path | str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m bsmart ARGS`` in a real subprocess, as a user runs it."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "bsmart", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=1))
    return path


def gaussian_input(folder: Path, scan: str, name: str = "gauss.json", variables: dict | None = None,
                   **setup: Any) -> Path:
    """A Gaussian likelihood of width 2 around (1, 0) on x in [-10, 10], y in [0, 10]: the
    posterior is N(1, 2) in x and a half-normal in y, cut by the range at 0."""
    config = {"Scan": scan, "Setup": {"RunName": "G", "Seed": 1, **setup},
              "Variables": variables or {"x": {"RANGE": [-10, 10]}, "y": {"RANGE": [0, 10]}},
              "Codes": {"toy_targets": {"Shell center": [1, 0], "Observables": {
                  "Shell": {"SCALING": "GAUSS", "MEAN": 0, "VARIANCE": 2.0}}}}}
    return write_json(folder / name, config)


@pytest.fixture(scope="session", autouse=True)
def _interruptible() -> None:
    """Ctrl-C reaches the runs these tests start and interrupt: a shell without job control
    starts background commands (`.ci/run &`) with SIGINT ignored, and children inherit that."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def cli():
    return run_cli


def _simsusy_works(executable: Path) -> bool:
    try:
        return subprocess.run([str(executable), "--help"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def simsusy_bin() -> Path:
    """Path of the ``simsusy`` executable, installed from PyPI into tests/.simsusy-venv when missing.

    simsusy pins numpy<2, so it cannot share bsmart's environment; like SPheno it is an external
    program that bsmart only runs. Skips (with the reason) only when the install itself fails.
    """
    executable = SIMSUSY_VENV / "bin" / "simsusy"
    if _simsusy_works(executable):
        return executable
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(SIMSUSY_VENV)
        result = subprocess.run([str(SIMSUSY_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "simsusy"],
                                capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot create the simsusy virtual environment in {SIMSUSY_VENV}: {exc}")
    if result.returncode != 0 or not _simsusy_works(executable):
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        pytest.skip(f"`pip install simsusy` into {SIMSUSY_VENV} failed: {tail[0][:300]}")
    return executable


SOFTSUSY_BUILD = REPO / "third_party" / "softsusy" / "build.sh"


@pytest.fixture(scope="session")
def softsusy_bin() -> Path:
    """Path of SOFTSUSY's ``softpoint.x``, built once from third_party/softsusy into
    ~/.cache/softsusy-4.1.22 (about 2 minutes on 2 cores; later sessions find it at once).
    Never skipped: without the compilers the test fails, naming the packages (.ci/run installs them)."""
    result = subprocess.run(["bash", str(SOFTSUSY_BUILD)], capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:
        pytest.fail(f"cannot build SOFTSUSY with {SOFTSUSY_BUILD}: {result.stderr.strip()[-500:]}")
    return Path(result.stdout.strip().splitlines()[-1])
