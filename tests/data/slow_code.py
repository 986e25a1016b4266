"""A cheap target that takes a little time per point, so that a run can be killed mid-way."""

import math
import time


def evaluate(point):
    time.sleep(0.004)
    return {"F": (2 + math.cos(point["x1"] / 5) * math.cos(point["x2"] / 7)) ** 5}
