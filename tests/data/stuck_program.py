#!/usr/bin/env python3
"""A program that never ends and leaves a daemon (its own session) behind: usage PID_DIR."""
import os
import sys
import time

pid_dir = sys.argv[1]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        open(os.path.join(pid_dir, f"daemon_{os.getpid()}"), "w").write(str(os.getpid()))
        time.sleep(300)
    os._exit(0)
os.wait()
open(os.path.join(pid_dir, f"program_{os.getpid()}"), "w").write(str(os.getpid()))
time.sleep(300)
