"""Figures for the fault catalog's detection matrix (a script that prints, not a test).

    python benchmarks/bench_detect.py               # every entry, --workers 1 and 2
    python benchmarks/bench_detect.py --subset      # the CI subset only, as pytest runs it
    python benchmarks/bench_detect.py --table detect.json baseline.json [more baseline.json]
                                                    # docs/detection.md's side-by-side table

Prints, per worker count: wall time, detected X/Y, false alarms F/V, median and p90 time to
detect. Every run is bounded (each entry stops after faults.detect.VARIANT_BUDGET seconds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from optout_conformance.core.faults import Fault
from optout_conformance.faults.catalog import FAULTS
from optout_conformance.faults.detect import run_detection

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "detection"))


def side_by_side(detect_json: Path, baseline_jsons: list[Path]) -> list[str]:
    """Markdown rows: this suite's verdict per entry next to plain Schemathesis' new failures.

    ``detect_json`` is written by ``detect --json``, each of ``baseline_jsons`` by ``baseline
    --json``; a later baseline file replaces the rows of the entries it ran.
    """
    detect = json.loads(detect_json.read_text(encoding="utf-8"))
    plain: dict[str, dict[str, Any]] = {}
    for path in baseline_jsons:
        plain.update({o["name"]: o for o in json.loads(path.read_text(encoding="utf-8"))["outcomes"]})
    rows = [
        "| entry | kind | this suite (first check that failed) | seconds "
        "| plain Schemathesis (new failures vs the reference) |",
        "| --- | --- | --- | ---: | --- |",
    ]
    for o in detect["outcomes"]:
        failed = [c.split(".", 1)[1] for c in o["caught_by"] + o["errors"]]
        if o["kind"] == "fault":
            ours = f"yes: `{failed[0]}`" if o["verdict"] == "detected" else "**missed**"
            ours += " (!)" if o["unexpected"] else ""
        else:
            ours = "passes" if o["verdict"] == "passed" else "**false alarm**: " + ", ".join(
                f"`{c}`" for c in failed
            )
        p = plain.get(o["name"])
        new = "; ".join(p["new_failures"]) if p else ""
        if p is None:
            theirs = "not run"
        elif p["note"] and not p["failures"]:
            theirs = f"no result ({p['note']})"
        elif o["kind"] == "fault":
            theirs = f"yes: {new}" if new else "no"
        else:
            theirs = f"false alarm: {new}" if new else "passes"
        rows.append(f"| `{o['name']}` | {o['kind']} | {ours} | {o['seconds']:.2f} | {theirs} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--subset", action="store_true",
        help="only the CI subset: its faults, every faithful variant in its representative profile",
    )
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument(
        "--table", type=Path, nargs="+", metavar="JSON",
        help="print the side-by-side table from detect.json and baseline JSON file(s), run nothing",
    )
    args = parser.parse_args()
    if args.table:
        if len(args.table) < 2:
            parser.error("--table needs detect.json and at least one baseline JSON file")
        print("\n".join(side_by_side(args.table[0], args.table[1:])))
        return
    names = None
    profiles_for: Callable[[Fault], Sequence[str]] | None = None
    if args.subset:
        from test_detection import CI_FAULTS, representative_profile

        names = sorted(CI_FAULTS | {n for n, f in FAULTS.items() if f.kind == "faithful"})

        def profiles_for(entry: Fault) -> Sequence[str]:
            return entry.profiles if entry.is_fault else [representative_profile(entry.name)]

    print(f"{'workers':>7} {'wall s':>8} {'detected':>9} {'false alarms':>13} {'median s':>9} {'p90 s':>7}")
    for workers in args.workers:
        started = time.perf_counter()
        result = run_detection(None, names, workers=workers, echo=None, profiles_for=profiles_for)
        wall = time.perf_counter() - started
        times = sorted(o.seconds for o in result.faults if o.verdict == "detected")
        p90 = times[int(0.9 * (len(times) - 1))] if times else float("nan")
        median = statistics.median(times) if times else float("nan")
        print(
            f"{workers:>7} {wall:>8.1f} {result.detected:>4}/{len(result.faults):<4} "
            f"{result.false_alarms:>6}/{len(result.faithful):<6} {median:>9.2f} {p90:>7.2f}"
        )


if __name__ == "__main__":
    main()
