"""What a physicist sees while a scan runs (issue 13): on a terminal (a real pseudo-terminal here)
a progress bar that moves as points finish, not once a batch, with the target and an ETA, and
log lines written above it; nothing drawn when standard error is not a terminal."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

from conftest import run_cli


def _input(tmp_path: Path) -> Path:
    (tmp_path / "slow.py").write_text("import time\ndef f(point):\n    time.sleep(0.02)\n    return {'y': point['x']}\n")
    config = {"Scan": "Random", "Setup": {"RunName": "Slow", "Points": 40, "Batch_size": 20, "Seed": 1, "Cores": 1,
                                          "Threshold": 2.0},
              "Variables": {"x": {"RANGE": [0, 1]}},
              "Codes": {"slow": {"Function": "slow.py:f", "Observables": {"y": {"MEAN": 0.5, "VARIANCE": 0.2}}}}}
    (tmp_path / "slow.json").write_text(json.dumps(config))
    return tmp_path / "slow.json"


def _on_a_terminal(args: list[str], cwd: Path) -> str:
    """Everything a command writes to a 150-column pseudo-terminal."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 150, 0, 0))
    proc = subprocess.Popen(args, cwd=cwd, stdin=child, stdout=child, stderr=child)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child's side closed
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(60) == 0
    os.close(main)
    return b"".join(chunks).decode(errors="replace")


def test_the_bar_moves_as_points_finish_with_the_target(tmp_path: Path) -> None:
    text = _on_a_terminal([sys.executable, "-m", "bsmart", "run", str(_input(tmp_path))], tmp_path)
    shown = {int(n) for n in re.findall(r"\| *(\d+)/40 \[", text)}  # done/target, as tqdm draws it
    assert {5, 10, 15, 25, 30, 35} <= shown  # within each batch of 20, as its points finish
    assert "evaluations/s" in text and "iteration 1, valid" in text
    # what stays on the screen of each line: what was written after its last carriage return
    lines = [line.split("\r")[-1] for line in text.replace("\r\n", "\n").split("\n")]
    finished = [line for line in lines if "Random finished: 40 evaluations" in line]
    assert finished == [line for line in lines if line.startswith("Random finished")]  # not run into the bar
    assert not any("%|" in line for line in lines)  # and the bar is gone once the run ends


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    result = run_cli("run", str(_input(tmp_path)), cwd=tmp_path)
    assert result.returncode == 0 and "%|" not in result.stderr and "evaluations/s" not in result.stderr
