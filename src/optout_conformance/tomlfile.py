"""Reading a TOML configuration file with the project's clean errors (one place for both readers:
the run's settings in ``config.py`` and the reference server's in ``reference/config.py``)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from optout_conformance.errors import ConfigError


def read_toml(path: str | Path) -> dict[str, Any]:
    """The parsed file; a missing, unreadable or malformed file is a ConfigError (exit 2)."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {file}") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {file}: {exc}") from None
