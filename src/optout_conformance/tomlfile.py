"""Reading a TOML configuration file with the project's clean errors, and checking the type and
range of its values (one place for both readers: the run's settings in ``config.py`` and the
reference server's in ``reference/config.py``)."""

from __future__ import annotations

import math
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
    """The type and range of one configuration value (the one place they are checked; the
    settings table's ``settings.ValueType`` adds how the same type reads environment text and
    becomes a click option)."""

    kind: str  # "str" | "code" (string or integer) | "bool" | "int" | "number"
    minimum: float | None = None
    maximum: float | None = None
    exclusive: bool = False  # minimum excluded (> instead of >=)

    def describe(self) -> str:
        kind = {"str": "a string", "code": "a string or an integer", "bool": "true or false",
                "int": "an integer", "number": "a number"}[self.kind]
        if self.minimum is not None and self.maximum is not None:
            return f"{kind} from {_num(self.minimum)} to {_num(self.maximum)}"
        if self.minimum is not None:
            return f"{kind} {'>' if self.exclusive else '>='} {_num(self.minimum)}"
        return kind

    def accepts(self, value: Any) -> bool:
        """Whether a config file's (TOML) value has this type and lies within the bounds."""
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
        if self.kind == "number" and not (isinstance(value, int | float) and math.isfinite(value)):
            return False
        if self.minimum is not None and (value <= self.minimum if self.exclusive else value < self.minimum):
            return False
        return self.maximum is None or value <= self.maximum


def _num(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def check_value(where: str, key: str, value: Any, rule: ValueRule) -> Any:
    """``value`` when ``rule`` accepts it; otherwise a ConfigError naming the key and what it must be."""
    if not rule.accepts(value):
        raise ConfigError(f"{where}: {key} must be {rule.describe()}, got {value!r}")
    return value
