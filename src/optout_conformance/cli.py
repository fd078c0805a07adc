"""The ``optout-conformance`` command line (placeholder until the runner lands)."""

from __future__ import annotations

import sys


def main() -> None:
    print("optout-conformance: commands are being built", file=sys.stderr)
    sys.exit(2)
