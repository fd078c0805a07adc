"""Regenerate the committed cassettes under ``cassettes/`` from the embedded reference server.

Run from the repository root after a check or the reference server changes what it sends or
answers (the replay tests fail with "no recorded interaction matches" until then)::

    python -m optout_conformance.cassettes.regenerate          # every recording
    python -m optout_conformance.cassettes.regenerate convoso  # one API

Each recording directory is ``cassettes/<api>/<profile>/``, one per API definition: an API whose
reference server follows several profiles (Convoso: community and official) is recorded in each
of them (the server follows the same profile); any other (WhatCounts, Avaamo) in ``auto`` (its
disputed points do not depend on the profile).
"""

from __future__ import annotations

import sys
from pathlib import Path

from optout_conformance.cassettes.record import record
from optout_conformance.core.apis import APIS


def recordings() -> list[tuple[str, str]]:
    """(api, profile) of every recording, from the API definitions."""
    return [(name, profile) for name, definition in APIS.items()
            for profile in (definition.server_profiles if len(definition.server_profiles) > 1 else ("auto",))]


def recording_dirs(root: Path) -> list[tuple[str, str, Path]]:
    """(api, profile, directory) of every committed recording under ``root``."""
    return [(api, profile, root / api / profile) for api, profile in recordings()]


def regenerate(root: Path, apis: list[str] | None = None) -> int:
    """Record every committed recording (or those of ``apis``); 1 when a check did not pass live."""
    status = 0
    for api, profile, directory in recording_dirs(root):
        if apis and api not in apis:
            continue
        recording = record(api, directory, profile=profile)
        print(recording.summary())
        for result in recording.results:
            if result.status != "passed":
                print(f"  {result.status} {result.id}: {result.rule}")
                status = 1
    return status


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    known = sorted({api for api, _, _ in recording_dirs(Path("cassettes"))})
    unknown = [a for a in args if a not in known]
    if unknown:  # --help included: a name that matched nothing would silently record nothing
        print(f"usage: python -m optout_conformance.cassettes.regenerate [{' '.join(known)}] "
              f"(unknown: {' '.join(unknown)})", file=sys.stderr)
        return 2
    return regenerate(Path("cassettes"), args or None)


if __name__ == "__main__":
    raise SystemExit(main())
