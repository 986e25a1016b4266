"""A Python code that kills the worker process evaluating it, as the OOM killer would."""

import os
import time
from pathlib import Path


def evaluate(point, settings):
    x = point["x"]
    marker = Path(settings["marker_dir"]) / "killed_once"
    if 0.41 < x < 0.43 and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), 9)  # killed once from outside: the retry must succeed
    if 0.90 < x < 0.91:
        os.kill(os.getpid(), 9)  # kills every worker that tries it: must end invalid
    time.sleep(0.02)
    return {"y": x}
