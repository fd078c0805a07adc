"""Added latency and memory of ``optout-conformance proxy --out DIR`` over many sequential requests.

A script that prints figures, not a test. It starts the reference server (``serve --port 0``) and
the proxy in front of it (``proxy --upstream <reference host root> --port 0 --out <temp dir>``),
each as the installed command in its own process, both on 127.0.0.1, then sends ``--requests``
sequential Convoso searches of ten records (default 10,000; every tenth one also sends an
undocumented ``colour`` parameter, a violation, so the findings file grows too), each once
through the proxy and once directly (alternating which goes first), over keep-alive connections.
The added latency of a request is its time through the proxy minus its direct time; the
figures are the p50 and p99 of that over the first and the last thousand requests and the whole
run's p50, and the proxy process's resident memory (VmRSS from /proc, sampled after every
request): its peak over the first and the last thousand.

Goals (issue 12): added p50 <= 3 ms; the last thousand's p50 within 20 % of the first's (or
within 0.5 ms: a fraction of a millisecond is noise on a shared machine); peak memory flat (the
last thousand's peak within 10 % of the first's). Exits 0 whatever the figures, unless ``--goal``
is given (then 1 when a goal is missed). Bounded: ``--requests`` and ``--max-seconds`` (default
900): the run stops at whichever comes first and says so.

``--baseline`` measures a bare pass-through proxy instead (Starlette on the same uvicorn server
settings, one httpx client, no judgement, no recording, no bounds): the cost of the extra hop alone
on this machine, the floor under any figure of the real proxy.

Usage: python benchmarks/bench_proxy.py [--requests N] [--max-seconds S] [--goal] [--baseline]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

TOKEN = "reference-token"  # the reference server's default Convoso auth_token
WINDOW = 1000
START_TIMEOUT = 60.0
ADDED_P50_GOAL_MS = 3.0
DRIFT_GOAL = 0.20
DRIFT_FLOOR_MS = 0.5
MEMORY_GOAL = 0.10


# The --baseline proxy: forwards the request, answers with the reply; nothing else.
BASELINE_PROXY = """
import sys, httpx
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from optout_conformance.reference.server import bind, uvicorn_server
upstream, client = sys.argv[1], httpx.AsyncClient()
async def forward(request):
    reply = await client.request(request.method, upstream + request.url.path, content=await request.body(),
                                 headers={"content-type": request.headers.get("content-type", "")})
    return Response(reply.content, reply.status_code, {"content-type": reply.headers.get("content-type", "")})
sock = bind("127.0.0.1", 0)
print(f"proxy for convoso on http://127.0.0.1:{sock.getsockname()[1]}/v1 (baseline pass-through)", flush=True)
uvicorn_server(Starlette(routes=[Route("/{path:path}", forward, methods=["POST"])])).run(sockets=[sock])
"""


def command() -> list[str]:
    found = shutil.which("optout-conformance")
    return [found] if found else [sys.executable, "-c", "from optout_conformance.cli import main; main()"]


@contextmanager
def started(args: list[str], ready: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The command running; yields (the process, the first line of its output containing ``ready``)."""
    argv = args if args[0] == sys.executable else [*command(), *args]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        line = ""
        while ready not in line:
            line = child.stdout.readline()
            if not line or time.monotonic() > deadline:
                raise SystemExit(f"{' '.join(args[:1])} did not start: {line.strip()!r}")
        # keep reading what it prints (a full pipe would block it); the last lines are kept
        threading.Thread(target=deque, args=(child.stdout, 20), daemon=True).start()
        yield child, line.strip()
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--goal", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--baseline", action="store_true", help="a bare pass-through proxy instead")
    options = parser.parse_args()
    if options.requests < 2 * WINDOW:
        parser.error(f"--requests must be at least {2 * WINDOW} (two windows of {WINDOW})")

    added: list[float] = []
    direct_ms: list[float] = []
    memory: list[int] = []
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp, \
            started(["serve", "--api", "convoso", "--port", "0"], "convoso    http") as (_, line):
        upstream = line.split()[1].removesuffix("/v1")  # the host root: the proxy appends /v1
        out = Path(tmp) / "out"
        out.mkdir()
        proxy_command = ([sys.executable, "-c", BASELINE_PROXY, upstream] if options.baseline else
                         ["proxy", "--api", "convoso", "--upstream", upstream, "--port", "0",
                          "--out", str(out)])
        with started(proxy_command, "proxy for") as (proxy, banner), \
                httpx.Client(timeout=30) as via_proxy, httpx.Client(timeout=30) as direct:
            proxied_url = banner.split(" on ", 1)[1].split(" ", 1)[0] + "/sms-opt-out/search"
            direct_url = upstream + "/v1/sms-opt-out/search"
            print(f"{banner}\nreference: {upstream}; {options.requests} requests, at most "
                  f"{options.max_seconds:g} s", flush=True)
            started_at = time.monotonic()
            for n in range(options.requests):
                if time.monotonic() - started_at > options.max_seconds:
                    print(f"stopped after {n} requests: --max-seconds {options.max_seconds:g} reached")
                    break
                form = {"auth_token": TOKEN, "limit": "10", **({"colour": "blue"} if n % 10 == 9 else {})}
                times = {}
                for name in (("proxy", "direct") if n % 2 else ("direct", "proxy")):
                    client, url = (via_proxy, proxied_url) if name == "proxy" else (direct, direct_url)
                    begin = time.perf_counter()
                    try:
                        reply = client.post(url, data=form)
                    except httpx.HTTPError as exc:
                        raise SystemExit(f"request {n} via {name}: {type(exc).__name__}: {exc}") from None
                    times[name] = (time.perf_counter() - begin) * 1000
                    if reply.status_code != 200:
                        raise SystemExit(f"request {n} via {name}: HTTP {reply.status_code}: "
                                         f"{reply.text[:200]}")
                added.append(times["proxy"] - times["direct"])
                direct_ms.append(times["direct"])
                memory.append(rss_kib(proxy.pid))
            elapsed = time.monotonic() - started_at
        written = {p.name: p.stat().st_size for p in out.iterdir()}
        cassette = out / "proxy.yaml"
        recorded = cassette.read_text().count("\n- ") if cassette.exists() else 0  # one item each

    done = len(added)
    if done < 2 * WINDOW:
        print(f"only {done} requests: too few for two windows of {WINDOW}")
        return 1 if options.goal else 0
    first, last = added[:WINDOW], added[-WINDOW:]
    first_p50, last_p50, whole_p50 = (statistics.median(x) for x in (first, last, added))
    first_mem, last_mem = max(memory[:WINDOW]), max(memory[-WINDOW:])
    print(f"\n{done} requests in {elapsed:.1f} s; {recorded} interactions recorded; files: "
          + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sorted(written.items())))
    print(f"direct latency p50 {statistics.median(direct_ms):.2f} ms\n")
    print(f"{'added latency (ms)':<22}{'p50':>8}{'p99':>8}")
    print(f"{'first ' + str(WINDOW):<22}{first_p50:>8.2f}{percentile(first, 0.99):>8.2f}")
    print(f"{'last ' + str(WINDOW):<22}{last_p50:>8.2f}{percentile(last, 0.99):>8.2f}")
    print(f"{'whole run':<22}{whole_p50:>8.2f}{percentile(added, 0.99):>8.2f}")
    print(f"\nproxy peak RSS: first {WINDOW} {first_mem / 1024:.1f} MiB, "
          f"last {WINDOW} {last_mem / 1024:.1f} MiB")

    drift = abs(last_p50 - first_p50)
    goals = {
        f"added p50 <= {ADDED_P50_GOAL_MS:g} ms": whole_p50 <= ADDED_P50_GOAL_MS,
        f"last {WINDOW} p50 within {DRIFT_GOAL:.0%} of the first (or {DRIFT_FLOOR_MS:g} ms)":
            drift <= max(DRIFT_GOAL * first_p50, DRIFT_FLOOR_MS),
        f"peak memory flat (within {MEMORY_GOAL:.0%})": last_mem <= first_mem * (1 + MEMORY_GOAL),
    }
    if not options.baseline:
        goals[f"{done} interactions recorded"] = recorded == done
    print()
    for name, met in goals.items():
        print(f"{'met   ' if met else 'MISSED'} {name}")
    return 1 if options.goal and not all(goals.values()) else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
