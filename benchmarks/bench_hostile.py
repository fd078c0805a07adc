"""Wall time and peak memory of ``run``, ``record`` and ``proxy`` against each hostile loopback server.

The servers are ``tests/hostile/hostile_servers.py``'s (HTML, invalid JSON, 50 MB reply, never
answers, trickles a byte a second, resets, redirects to another origin, JSON nested 100,000 deep,
echoes credentials). Each command is the installed one in a subprocess; its peak resident memory
is the child's own ``ru_maxrss`` (``os.wait4``).

- ``run``: a full run (not --fast), ``--timeout 1``.
- ``record``: ``record --api API --timeout 1 --out <tmp>``; the written files are audited for the
  secrets (every encoded form) and their total size is shown.
- ``proxy``: ``proxy --upstream <server> --timeout 1 --out <tmp>``; one client request goes through
  it (wall = how long the client waited for its reply), then Ctrl-C; the reply must be a 5xx for an
  upstream the proxy cannot pass on (50 MB, nested, redirect elsewhere, silent, trickle, reset) and
  the upstream's own status otherwise; the terminal and the files are searched for the secrets.

Goals (2 cores): exit 1 or 2 (proxy: 0 after Ctrl-C), no traceback, peak memory < 300 MB, nothing
sent to the other origin, no secret in the output or any file; a target that gives no complete
answer (silent, trickle, reset) is declared unreachable within the 5 s reachability deadline (wall
< 10 s with interpreter start-up); every other run or recording ends within 120 s; the proxy's
client waits < 10 s.

Usage: python benchmarks/bench_hostile.py [--command run record proxy] [--api convoso|whatcounts|avaamo]
[--only NAME ...]. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from optout_conformance.cassettes.scrub import Scrubber, audit

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


PROXY_GOAL_S = 10.0
FAILING_UPSTREAMS = {"huge", "nested", "redirect", "reset", "silent", "trickle"}
LEAK = Scrubber((TOKEN, PASSWORD))


@dataclass
class Measured:
    code: int
    wall: float
    peak_mb: float
    output: str
    elsewhere: int
    leaked: bool = False
    problem: str = ""
    written_mb: float = 0.0


def _wait(child: subprocess.Popen[bytes], started: float) -> tuple[int, float, float]:
    """(exit code, wall seconds, peak MB) of ``child``, killed after the hang guard."""
    while True:
        pid, raw_status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(raw_status)
            return child.returncode, time.monotonic() - started, usage.ru_maxrss / 1024
        if time.monotonic() - started > HANG_GUARD_S:
            child.kill()
        time.sleep(0.05)


def measure(command: str, behaviour: str, api: str) -> Measured:
    with (HostileServer("recorder") as elsewhere, tempfile.TemporaryFile() as output,
          tempfile.TemporaryDirectory() as out,
          HostileServer(behaviour, redirect_to=elsewhere.url) as server):
        target = server.url + BASE_PATHS[api]
        secrets = ["--token", TOKEN, "--password", PASSWORD, "--realm", "bench-realm",
                   "--sender-code", "bench-sc"]
        argv = {"run": [CLI, "run", "--api", api, "--target", target, "--timeout", "1", *secrets],
                "record": [CLI, "record", "--api", api, "--target", target, "--timeout", "1", "--out", out,
                           *secrets],
                "proxy": [CLI, "proxy", "--api", api, "--upstream", target, "--port", "0", "--timeout", "1",
                          "--out", out, "--token", TOKEN]}[command]
        started = time.monotonic()
        child = subprocess.Popen(argv, stdout=subprocess.PIPE if command == "proxy" else output,
                                 stderr=subprocess.STDOUT)
        problem, client_wall, banner = "", 0.0, b""
        if command == "proxy":
            assert child.stdout is not None
            banner = child.stdout.readline()
            url = banner.decode().split(" on ", 1)[-1].split(" ", 1)[0]
            sent = time.monotonic()
            try:
                reply = httpx.post(url + "/sms-opt-out/search", data={"auth_token": TOKEN, "limit": "10"},
                                   timeout=60)
                failing = behaviour in FAILING_UPSTREAMS
                if failing != (reply.status_code in (502, 504)):
                    problem = f"client got HTTP {reply.status_code}"
            except httpx.HTTPError as exc:
                problem = f"client got no reply ({type(exc).__name__})"
            client_wall = time.monotonic() - sent
            child.send_signal(signal.SIGINT)
        code, wall, peak = _wait(child, started)
        if command == "proxy":
            assert child.stdout is not None
            text = (banner + child.stdout.read()).decode("utf-8", errors="replace")
            wall = client_wall
        else:
            output.seek(0)
            text = output.read().decode("utf-8", errors="replace")
        files = [p for p in Path(out).rglob("*") if p.is_file()]
        leaked = LEAK.contains_secret(text) or bool(audit(Path(out), LEAK))
        written = sum(p.stat().st_size for p in files) / 1024 / 1024
        return Measured(code, wall, peak, text, elsewhere.connections, leaked, problem, written)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--command", nargs="*", choices=["run", "record", "proxy"], default=None)
    parser.add_argument("--api", choices=sorted(BASE_PATHS), default="convoso")
    parser.add_argument("--only", nargs="*", choices=sorted(BEHAVIOURS), default=None)
    args = parser.parse_args()
    missed = 0
    print(f"{'command':<8}{'server':<14}{'exit':>5}{'wall s':>9}{'peak MB':>9}{'files MB':>10}  verdict")
    for command in args.command or ["run", "record", "proxy"]:
        for behaviour in args.only or sorted(BEHAVIOURS):
            m = measure(command, behaviour, args.api)
            codes: tuple[int, ...]
            if command == "proxy":
                wall_goal, codes = PROXY_GOAL_S, (0,)
            else:
                wall_goal, codes = (UNREACHABLE_GOAL_S if behaviour in UNANSWERED else RUN_GOAL_S), (1, 2)
            problems = [text for bad, text in [
                (m.code not in codes, f"exit {m.code}"), ("Traceback" in m.output, "traceback"),
                (m.peak_mb >= MEMORY_GOAL_MB, f"peak >= {MEMORY_GOAL_MB:g} MB"),
                (m.wall >= wall_goal, f"wall >= {wall_goal:g} s"),
                (m.elsewhere > 0, f"{m.elsewhere} connections to the other origin"),
                (m.leaked, "secret in the output or a file"), (bool(m.problem), m.problem),
            ] if bad]
            missed += bool(problems)
            print(f"{command:<8}{behaviour:<14}{m.code:>5}{m.wall:>9.1f}{m.peak_mb:>9.0f}"
                  f"{m.written_mb:>10.1f}  {'; '.join(problems) or 'ok'}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
