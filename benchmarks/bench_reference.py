"""Benchmark of the reference server over real HTTP on 127.0.0.1 (a script printing figures).

Seeds 1,000,000 Convoso records into a temporary database file, serves it with the community and
the official profile, and measures search latency (p50/p95) at offset 0 and at each profile's
maximum offset, unfiltered and filtered, then inserts per second. Every loop is bounded.

    python benchmarks/bench_reference.py [--records N] [--samples N] [--inserts N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.seed import seed
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.reference.store import Store

MAX_OFFSET = {"community": 100_000, "official": 1_000_000}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(client: httpx.Client, url: str, data: dict[str, str], samples: int) -> tuple[float, float, int]:
    """p50 and p95 in milliseconds over ``samples`` requests (after one warm-up), and the page size."""
    size = len(client.post(url, data=data).json()["records"])
    timings = []
    for _ in range(samples):
        began = time.perf_counter()
        response = client.post(url, data=data)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200 and response.json()["success"], response.text
    return statistics.median(timings), percentile(timings, 0.95), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--inserts", type=int, default=500)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        db = str(Path(directory) / "bench.db")
        store = Store(db)
        began = time.perf_counter()
        seed(store, ReferenceConfig(db=db), options.records)
        print(f"seeded {options.records:,} records in {time.perf_counter() - began:.1f} s ({db})")
        print()
        header = ("profile", "query", "offset", "limit", "records", "p50 ms", "p95 ms")
        print("{:<10} {:<16} {:>9} {:>5} {:>7} {:>8} {:>8}".format(*header))
        client = httpx.Client(timeout=30)
        for profile in ("community", "official"):
            config = ReferenceConfig(profile=profile, db=db, seed_records=0)
            with EmbeddedServer(create_app(config, store=store, apis=["convoso"])) as server:
                url = server.url("convoso") + "/sms-opt-out/search"
                # 0, the deepest full page, and the profile's maximum offset itself.
                offsets = sorted({0, min(MAX_OFFSET[profile], options.records - 100), MAX_OFFSET[profile]})
                for query, extra in (("all", {}), ("campaign_id=111", {"campaign_id": "111"})):
                    for offset in offsets:
                        for limit in ("", "100"):
                            data = {"auth_token": config.token, "offset": str(offset), **extra}
                            if limit:
                                data["limit"] = limit
                            p50, p95, size = measure(client, url, data, options.samples)
                            shown = limit or "dflt"
                            row = (profile, query, offset, shown, size, f"{p50:.1f}", f"{p95:.1f}")
                            print("{:<10} {:<16} {:>9} {:>5} {:>7} {:>8} {:>8}".format(*row))
        config = ReferenceConfig(db=db, seed_records=0)
        with EmbeddedServer(create_app(config, store=store, apis=["convoso"])) as server:
            url = server.url("convoso") + "/sms-opt-out/insert"
            began = time.perf_counter()
            for index in range(options.inserts):
                data = {
                    "auth_token": config.token,
                    "phone_number": f"2125550{index % 1000:03d}",
                    "phone_code": str(100 + index // 1000),
                    "campaign_id": "0",
                }
                assert client.post(url, data=data).json() == {"success": True}
            elapsed = time.perf_counter() - began
        print()
        rate = options.inserts / elapsed
        print(f"inserts: {options.inserts} sequential in {elapsed:.2f} s = {rate:.0f} per second")
        store.close()


if __name__ == "__main__":
    main()
