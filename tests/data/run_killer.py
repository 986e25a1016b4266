"""A Python code that kills the process group of the bsmart run itself at x = 0.5."""
import os
import signal


def evaluate(point):
    if point["x"] == 0.5:
        runner = int(os.environ["BSMART_TAG"].split("-")[0])  # the run's PID starts every tag
        os.killpg(os.getpgid(runner), signal.SIGKILL)
    return {"y": point["x"]}
