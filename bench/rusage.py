#!/usr/bin/python3
"""Runs argv as a child and reports its exact resource use on fd 3 (JSON lines):
{"pid": N} when it starts, then {"exit", "user", "sys", "maxrssKb"} from wait4(2), which counts
the child and every descendant it waited for. SIGTERM/SIGINT are passed on to the child.
Used by bench/run.ts for the clients that exit on completion (rxtorrent, aria2c, libtorrent)."""
import json
import os
import signal
import subprocess
import sys

report = os.fdopen(3, "w")
child = subprocess.Popen(sys.argv[1:], close_fds=True)
report.write(json.dumps({"pid": child.pid}) + "\n")
report.flush()


def forward(signum, _frame):
    try:
        os.kill(child.pid, signum)
    except ProcessLookupError:
        pass


signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, forward)
_, status, usage = os.wait4(child.pid, 0)
code = os.waitstatus_to_exitcode(status)
report.write(json.dumps({"exit": code, "user": usage.ru_utime, "sys": usage.ru_stime,
                         "maxrssKb": usage.ru_maxrss}) + "\n")
report.flush()
sys.exit(code if code >= 0 else 128 - code)
