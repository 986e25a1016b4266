#!/usr/bin/env python3
"""A deliberately unreliable "spectrum generator" for the run-manager tests.

Usage: bad_program.py INPUT OUTPUT PIDFILE_DIR. Reads ``Block BADIN`` entry 1 (``mode``) and
entry 2 (``x``) from INPUT and, depending on the mode, behaves like a well-behaved code or
like one of the ways real codes fail.
"""
import os
import signal
import subprocess
import sys
import time

inp, out, pid_dir = sys.argv[1], sys.argv[2], sys.argv[3]
values = {}
block = None
for line in open(inp):
    parts = line.split("#")[0].split()
    if not parts:
        continue
    if parts[0].lower() == "block":
        block = parts[1].upper()
    elif block == "BADIN":
        values[int(parts[0])] = float(parts[1])
mode, x = int(round(values[1])), values[2]


def good():
    with open(out, "w") as fh:
        fh.write(f"Block BADOUT\n    1   {x * x:.8E}   # x^2\n    2   {x + 1:.8E}   # x+1\n")


if mode == 0:
    good()
elif mode == 1:  # crash with a traceback
    raise RuntimeError(f"cannot handle x={x}")
elif mode == 2:  # hang past any reasonable timeout
    time.sleep(300)
elif mode == 3:  # write a valid output but report failure
    good()
    print("convergence failed", file=sys.stderr)
    sys.exit(3)
elif mode == 4:  # garbage text
    with open(out, "w") as fh:
        fh.write("this is not SLHA at all\n%%%% 1 2 3\nBlock\n")
elif mode == 5:  # binary junk
    with open(out, "wb") as fh:
        fh.write(bytes(range(256)) * 4)
elif mode == 6:  # partial output: killed while writing, the entry we read is missing
    with open(out, "w") as fh:
        fh.write("Block BADOUT\n    2   ")
elif mode == 7:  # leave a child behind, in our process group, and report success
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    with open(os.path.join(pid_dir, f"child_{child.pid}"), "w") as fh:
        fh.write(str(child.pid))
    good()
elif mode == 8:  # killed by a signal
    os.kill(os.getpid(), signal.SIGSEGV)
elif mode == 9:  # no output file at all, exit 0
    pass
elif mode in (10, 11):  # a value that is not a number: NaN or infinite
    with open(out, "w") as fh:
        fh.write(f"Block BADOUT\n    1   {'nan' if mode == 10 else '-inf'}\n    2   {x + 1:.8E}\n")
elif mode == 12:  # a double-forked daemon in a session of its own, then success
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(os.path.join(pid_dir, f"daemon_{os.getpid()}"), "w") as fh:
                fh.write(str(os.getpid()))
            time.sleep(300)
        os._exit(0)
    os.wait()
    good()
elif mode == 13:  # kill the process group of the process that started us
    os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)
