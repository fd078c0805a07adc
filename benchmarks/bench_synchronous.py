"""What ``synchronous=FULL`` costs the reference server's file database, against ``NORMAL``.

In WAL mode ``NORMAL`` syncs the log only at checkpoints, so the last committed opt-outs may be
lost on power failure; ``FULL`` (the reference's choice) syncs the log at every commit. This
script measures inserts per second both ways: straight into the store (one commit per insert),
and sequentially over real HTTP on 127.0.0.1 (what a client sees). Figures depend on the disk and
the machine's load; run it a few times.

    python benchmarks/bench_synchronous.py [--inserts N] [--rounds N] [--dir PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from optout_conformance.apis.convoso.store import ConvosoStore
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.reference.store import Store


def store_rate(db: str, synchronous: str, inserts: int) -> float:
    with Store(db, synchronous=synchronous) as store:
        records = ConvosoStore(store)
        began = time.perf_counter()
        for n in range(inserts):
            records.insert_convoso(f"21255{n:05d}", "1", 111, "bench", "", "2026-03-03 12:00:00")
        return inserts / (time.perf_counter() - began)


def http_rate(db: str, synchronous: str, inserts: int) -> float:
    config = ReferenceConfig(db=db, seed_records=0)
    store = Store(db, synchronous=synchronous)
    app = create_app(config, store=store)
    try:
        with EmbeddedServer(app) as server, httpx.Client(base_url=server.url("convoso")) as client:
            began = time.perf_counter()
            for n in range(inserts):
                reply = client.post("/sms-opt-out/insert", data={
                    "auth_token": config.token, "phone_number": f"21255{n:05d}", "phone_code": "1",
                    "campaign_id": "111", "reason": "bench"})
                assert reply.status_code == 200 and reply.json()["success"], reply.text
            return inserts / (time.perf_counter() - began)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inserts", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=None,
                        help="directory for the database files (default: a temporary one)")
    options = parser.parse_args()
    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(dir=options.dir) as directory:
        for round_ in range(options.rounds):
            for synchronous in ("NORMAL", "FULL"):
                for kind, measure in (("store", store_rate), ("http", http_rate)):
                    db = str(Path(directory) / f"{kind}-{synchronous}-{round_}.db")
                    rate = measure(db, synchronous, options.inserts)
                    results.setdefault((kind, synchronous), []).append(rate)
    print(f"inserts per second, median of {options.rounds} rounds of {options.inserts} (one commit each):")
    for kind in ("store", "http"):
        normal = statistics.median(results[(kind, "NORMAL")])
        full = statistics.median(results[(kind, "FULL")])
        cost = 100 * (1 - full / normal)
        print(f"  {kind:<5}  NORMAL {normal:8.0f}/s   FULL {full:8.0f}/s   FULL costs {cost:5.1f} %")


if __name__ == "__main__":
    main()
