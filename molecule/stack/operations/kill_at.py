# Test helper of the stack scenario's side effect (not part of the collection's plugins).
#
#   python kill_at.py [--nth N] [--after SECONDS] PATTERN -- COMMAND [ARG...]
#
# Runs COMMAND in a process group of its own, echoes its output (stderr merged into stdout) and,
# when the N-th line matching the regular expression PATTERN has been printed, waits SECONDS and
# kills the whole group with SIGKILL, like a laptop that loses power in the middle of a run.
# Exit status: 137 when it killed the command; the command's own status when the command ended
# first, except 0, which becomes 3 (the kill never happened, so the test step did not test anything).
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time

KILLED = 137
NOT_KILLED = 3


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nth", type=int, default=1, help="kill at the N-th matching line")
    parser.add_argument("--after", type=float, default=0.0, help="seconds to wait after the match")
    parser.add_argument("pattern")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given after --")
    marker = re.compile(args.pattern)

    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    seen = 0
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode("utf-8", errors="replace")
        sys.stdout.write(line)
        if marker.search(line):
            seen += 1
            if seen == args.nth:
                sys.stdout.flush()
                time.sleep(args.after)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                print(f"kill_at: killed the run {args.after:g}s after match {seen} of {args.pattern!r}")
                return KILLED
    rc = proc.wait()
    print(f"kill_at: the run ended (rc {rc}) after {seen} of {args.nth} matches of {args.pattern!r}; nothing killed")
    return rc if rc != 0 else NOT_KILLED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
