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

Printed beside them, to tell the proxy's cost from the machine's state (added after the figures
above missed their goals on a machine shared with other test runs; they change nothing the goals
are judged on): the load average before and after the run; the direct latency's p50 over the
first and the last thousand (when the direct requests slow down as much as the proxied ones, a
drift is the machine's, not the proxy's); and the proxy process's CPU time per request (user +
system, from /proc), over the whole run and the first and last thousand: the work the proxy does
per request, whether or not it delays the reply (the ``proxy`` command judges and records an
interaction after its reply is sent), and much less sensitive to other processes than latency.

Goals (issue 12): added p50 <= 3 ms; the last thousand's p50 within 20 % of the first's (or
within 0.5 ms: a fraction of a millisecond is noise on a shared machine); peak memory flat (the
last thousand's peak within 10 % of the first's). Exits 0 whatever the figures, unless ``--goal``
is given (then 1 when a goal is missed). Bounded: ``--requests`` and ``--max-seconds`` (default
900): the run stops at whichever comes first and says so.

``--baseline`` measures a bare pass-through proxy instead (Starlette on the proxy's own server,
``cassettes/proxy_server.py``, and upstream client, ``cassettes/upstream.py``; no judgement, no
recording): the cost of the extra hop alone on this machine, the floor under any figure of the
real proxy. (It used uvicorn's h11 server and an httpx client while the proxy did; it follows the
proxy's transport so that it stays that floor.)

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


# The --baseline proxy: forwards the request, answers with the reply; nothing else. It runs on the
# proxy's own server (cassettes/proxy_server.py) and upstream client (cassettes/upstream.py), so it
# is the floor under the proxy's figures: the hop without the judgement and the recording.
BASELINE_PROXY = """
import sys
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from optout_conformance.cassettes.proxy_server import proxy_server
from optout_conformance.cassettes.upstream import UpstreamClient
from optout_conformance.core.urls import parse_url
from optout_conformance.reference.server import bind
client = UpstreamClient(parse_url(sys.argv[1] + "/v1"), 10.0)
async def forward(request):
    kind = {"content-type": request.headers.get("content-type", "")}
    reply = await client.fetch(request.method, request.url.path.removeprefix("/v1"),
                               content=await request.body(), headers=kind)
    kind = {"content-type": reply.headers.get("content-type", "")}
    return Response(reply.content, reply.status or 502, kind)
sock = bind("127.0.0.1", 0)
print(f"proxy for convoso on http://127.0.0.1:{sock.getsockname()[1]}/v1 (baseline pass-through)", flush=True)
proxy_server(Starlette(routes=[Route("/{path:path}", forward, methods=["POST"])])).run(sockets=[sock])
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


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    cpu: list[float] = []  # the proxy's CPU seconds after each request
    load_before = os.getloadavg()[0]
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
            cpu_start = cpu_seconds(proxy.pid)
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
                cpu.append(cpu_seconds(proxy.pid))
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
    cpu_first = (cpu[WINDOW - 1] - cpu_start) / WINDOW * 1000
    cpu_last = (cpu[-1] - cpu[-WINDOW - 1]) / WINDOW * 1000
    cpu_whole = (cpu[-1] - cpu_start) / done * 1000
    print(f"\n{done} requests in {elapsed:.1f} s; {recorded} interactions recorded; files: "
          + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sorted(written.items())))
    print(f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    direct_first, direct_last = statistics.median(direct_ms[:WINDOW]), statistics.median(direct_ms[-WINDOW:])
    print(f"direct latency p50 {statistics.median(direct_ms):.2f} ms (first {WINDOW} {direct_first:.2f}, "
          f"last {WINDOW} {direct_last:.2f})")
    print(f"proxy CPU time per request {cpu_whole:.2f} ms (first {WINDOW} {cpu_first:.2f}, "
          f"last {WINDOW} {cpu_last:.2f})\n")
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
