"""Reading a TOML configuration file with the project's clean errors, and checking the type and
range of its values (one place for both readers: the run's settings in ``config.py`` and the
reference server's in ``reference/config.py``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optout_conformance.core.errors import ConfigError


def read_toml(path: str | Path) -> dict[str, Any]:
    """The parsed file; a missing, unreadable or malformed file is a ConfigError (exit 2)."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {file}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read config file {file}: not UTF-8 text (byte {exc.start})") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {file}: {exc}") from None


@dataclass(frozen=True)
class ValueRule:
    """The type and range of one configuration value (the one place they are checked)."""

    kind: str  # "str" | "code" (string or integer) | "bool" | "int" | "number"
    minimum: float | None = None
    exclusive: bool = False  # minimum excluded (> instead of >=)

    def describe(self) -> str:
        kind = {"str": "a string", "code": "a string or an integer", "bool": "true or false",
                "int": "an integer", "number": "a number"}[self.kind]
        if self.minimum is None:
            return kind
        bound = int(self.minimum) if float(self.minimum).is_integer() else self.minimum
        return f"{kind} {'>' if self.exclusive else '>='} {bound}"

    def accepts(self, value: Any) -> bool:
        if self.kind == "str":
            return isinstance(value, str)
        if self.kind == "code":
            return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        if self.kind == "bool":
            return isinstance(value, bool)
        if isinstance(value, bool):  # TOML booleans are not numbers
            return False
        if self.kind == "int" and not isinstance(value, int):
            return False
        if self.kind == "number" and not isinstance(value, int | float):
            return False
        if self.minimum is None:
            return True
        return value > self.minimum if self.exclusive else value >= self.minimum


def check_value(where: str, key: str, value: Any, rule: ValueRule) -> Any:
    """``value`` when ``rule`` accepts it; otherwise a ConfigError naming the key and what it must be."""
    if not rule.accepts(value):
        raise ConfigError(f"{where}: {key} must be {rule.describe()}, got {value!r}")
    return value
