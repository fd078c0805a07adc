"""The console script: imports the command line, turning an API that fails to load into one line.

Importing ``optout_conformance.cli`` discovers the APIs (entry points), so an API plugin that is
broken fails at import time, before click can report anything: this wrapper prints the error's
one line (``error: API entry point 'x' ... failed to load: ...``) and exits 2, never a traceback.
"""

from __future__ import annotations

import sys

from optout_conformance.core.errors import OptoutConformanceError


def main() -> None:
    try:
        # deferred: the import is what can fail (a broken API plugin), so it runs inside the try
        from optout_conformance.cli import main as cli_main
    except OptoutConformanceError as error:
        print(error.render(), file=sys.stderr)
        sys.exit(error.exit_code)
    cli_main()
