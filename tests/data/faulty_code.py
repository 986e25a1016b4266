"""A Python code that fails in every way user code can, by the point's ``mode``."""
import ctypes
import os
import sys
import time

FAULTS = {
    1: lambda: time.sleep(300),                      # hangs
    2: lambda: ctypes.string_at(0),                  # segfault
    3: lambda: os._exit(7),                          # ends its process
    4: lambda: sys.exit(3),                          # SystemExit
    5: lambda: (_ for _ in ()).throw(KeyboardInterrupt),
    6: lambda: {"y": float("nan")},
    7: lambda: {"y": float("inf")},
    8: lambda: {"y": "text"},
}


def evaluate(point):
    mode = int(point["mode"])
    result = FAULTS[mode]() if mode in FAULTS else None
    return result if isinstance(result, dict) else {"y": point["mode"] + 1.0}
