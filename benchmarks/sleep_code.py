"""A code that costs a fixed time per point (for throughput benchmarks)."""

import time


def evaluate(point, settings):
    time.sleep(float(settings.get("seconds", 0.2)))
    return {"y": sum(point.values())}
