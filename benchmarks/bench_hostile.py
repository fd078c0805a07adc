"""Wall time and peak memory of ``optout-conformance run`` against each hostile loopback server.

The servers are ``tests/hostile/hostile_servers.py``'s (HTML, invalid JSON, 50 MB reply, never
answers, trickles a byte a second, resets, redirects to another origin, JSON nested 100,000 deep,
echoes credentials). Each run is the installed command in a subprocess (a full run, not --fast,
``--timeout 1``); its peak resident memory is the child's own ``ru_maxrss`` (``os.wait4``).

Goals (2 cores): every run ends with exit 1 or 2, no traceback, peak memory < 300 MB, nothing sent
to the other origin; a target that gives no complete answer (silent, trickle, reset) is declared
unreachable within the 5 s reachability deadline (wall < 10 s with interpreter start-up); every
other run ends within 120 s.

Usage: python benchmarks/bench_hostile.py [--api convoso|whatcounts|avaamo] [--only NAME ...].
Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hostile"))
from hostile_servers import BEHAVIOURS, HostileServer

CLI = str(Path(sys.executable).with_name("optout-conformance"))
BASE_PATHS = {"convoso": "/v1", "whatcounts": "/bin", "avaamo": "/api/v2"}
UNANSWERED = {"silent", "trickle", "reset"}
MEMORY_GOAL_MB = 300.0
UNREACHABLE_GOAL_S = 10.0
RUN_GOAL_S = 120.0
HANG_GUARD_S = 600.0
TOKEN, PASSWORD = "bench-secret-token-5e1b", "bench-secret-password-7a04"


def measure(behaviour: str, api: str) -> tuple[int, float, float, bool, int, bool]:
    """(exit code, wall seconds, peak MB, traceback seen, requests to the other origin, secret seen)."""
    with HostileServer("recorder") as elsewhere, tempfile.TemporaryFile() as output, \
            HostileServer(behaviour, redirect_to=elsewhere.url) as server:
        started = time.monotonic()
        child = subprocess.Popen(
            [CLI, "run", "--api", api, "--target", server.url + BASE_PATHS[api], "--timeout", "1",
             "--token", TOKEN, "--password", PASSWORD, "--realm", "bench-realm", "--sender-code", "bench-sc"],
            stdout=output, stderr=subprocess.STDOUT,
        )
        status = None
        while status is None:
            pid, raw_status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                status = raw_status
            elif time.monotonic() - started > HANG_GUARD_S:
                child.kill()
            else:
                time.sleep(0.05)
        wall = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode("utf-8", errors="replace")
        leaked = TOKEN in text or PASSWORD in text
        return (child.returncode, wall, usage.ru_maxrss / 1024, "Traceback" in text, elsewhere.connections,
                leaked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=sorted(BASE_PATHS), default="convoso")
    parser.add_argument("--only", nargs="*", choices=sorted(BEHAVIOURS), default=None)
    args = parser.parse_args()
    missed = 0
    print(f"{'server':<14}{'exit':>5}{'wall s':>9}{'peak MB':>9}  verdict")
    for behaviour in args.only or sorted(BEHAVIOURS):
        code, wall, peak, traceback, elsewhere, leaked = measure(behaviour, args.api)
        wall_goal = UNREACHABLE_GOAL_S if behaviour in UNANSWERED else RUN_GOAL_S
        problems = [text for bad, text in [
            (code not in (1, 2), f"exit {code}"), (traceback, "traceback"),
            (peak >= MEMORY_GOAL_MB, f"peak >= {MEMORY_GOAL_MB:g} MB"),
            (wall >= wall_goal, f"wall >= {wall_goal:g} s"),
            (elsewhere > 0, f"{elsewhere} connections to the other origin"), (leaked, "secret in the output"),
        ] if bad]
        missed += bool(problems)
        print(f"{behaviour:<14}{code:>5}{wall:>9.1f}{peak:>9.0f}  {'; '.join(problems) or 'ok'}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
