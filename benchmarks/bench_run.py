"""Wall-clock figures of ``optout-conformance run``: full, --fast, one API on loopback, --workers 2.

Each scenario runs the installed command in a subprocess (as a user would), ``--repeat`` times,
and the median is compared with its goal (measured on 2 cores):

    full run, all three APIs, embedded      <= 20 s
    --fast, all three APIs, embedded        <= 8 s
    one API (convoso) against a loopback    <= 10 s
      reference server started separately
    --workers 2, all three APIs, embedded   (no goal; compared with the full run)

Usage: python benchmarks/bench_run.py [--repeat N] [--only NAME]. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

RUN_TIMEOUT = 300  # seconds; a scenario that takes longer is reported as such, never waited for


@dataclass(frozen=True)
class Scenario:
    name: str
    args: tuple[str, ...]
    goal: float | None
    loopback_server: bool = False


SCENARIOS = (
    Scenario("full", (), 20.0),
    Scenario("fast", ("--fast",), 8.0),
    Scenario("one-api-loopback", ("--api", "convoso", "--token", "reference-token"), 10.0,
             loopback_server=True),
    Scenario("workers-2", ("--workers", "2"), None),
)


def command() -> list[str]:
    found = shutil.which("optout-conformance")
    return [found] if found else [sys.executable, "-c", "from optout_conformance.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def reference_server() -> Iterator[str]:
    """`optout-conformance serve` in its own process on a free loopback port; yields its root URL."""
    port = free_port()
    process = subprocess.Popen(
        [*command(), "serve", "--port", str(port), "--seed-records", "150"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/v1/sms-opt-out/search", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the reference server did not start within 20 s")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def time_run(args: list[str]) -> tuple[float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTOUT_CONFORMANCE_")}
    started = time.perf_counter()
    try:
        done = subprocess.run([*command(), "run", *args], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, timeout=RUN_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return float(RUN_TIMEOUT), -1
    if done.returncode == 2:
        sys.stderr.write(done.stderr)
    return time.perf_counter() - started, done.returncode


def measure(scenario: Scenario, repeat: int) -> list[tuple[float, int]]:
    if not scenario.loopback_server:
        return [time_run(list(scenario.args)) for _ in range(repeat)]
    with reference_server() as url:
        args = [*scenario.args, "--target", url + "/v1"]
        return [time_run(args) for _ in range(repeat)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario (median reported)")
    parser.add_argument("--only", choices=[s.name for s in SCENARIOS], action="append")
    options = parser.parse_args()
    print(f"{'scenario':<18} {'median s':>9} {'runs':>22} {'exit':>5} {'goal':>6}  verdict")
    missed = False
    for scenario in SCENARIOS:
        if options.only and scenario.name not in options.only:
            continue
        runs = measure(scenario, max(1, options.repeat))
        median = statistics.median(seconds for seconds, _ in runs)
        codes = sorted({code for _, code in runs})
        verdict = "-" if scenario.goal is None else ("ok" if median <= scenario.goal else "MISSED")
        missed |= verdict == "MISSED"
        goal = "-" if scenario.goal is None else f"{scenario.goal:g}"
        shown = " ".join(f"{seconds:.1f}" for seconds, _ in runs)
        exits = ",".join(map(str, codes))
        print(f"{scenario.name:<18} {median:>9.1f} {shown:>22} {exits:>5} {goal:>6}  {verdict}",
              flush=True)
    print(f"cores: {os.cpu_count()}; exit 0 = conformant, 1 = violations (timing still valid)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
