"""F3d as a code that costs a fixed time per point (the wall-time benchmark)."""

import math
import time


def evaluate(point, settings):
    time.sleep(float(settings.get("seconds", 0.1)))
    x = [point["x1"], point["x2"], point["x3"]]
    return {"F3d": (2 + math.cos(x[0] / 7) * math.cos(x[1] / 7) * math.cos(x[2] / 7)) ** 5}
