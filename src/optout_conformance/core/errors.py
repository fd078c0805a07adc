"""Every error the tool reports to a user, ordered by when in a run it can happen.

Each exception carries the process exit code it maps to and a hint, in the manner of click's
exceptions: the CLI prints ``error: <message>`` and, when there is one, ``hint: <hint>``, never a
traceback. Exit codes are part of the public interface: 0 conformant, 1 violations, 2 usage error
or unreachable target.
"""

from __future__ import annotations

from collections.abc import Iterable

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2


class OptoutConformanceError(Exception):
    """Base of every error that should reach the user as one clean message."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class UsageError(OptoutConformanceError):
    """A bad option, argument or configuration value (exit 2)."""


class BadChoice(UsageError):
    """An option value outside its valid choices; names the value and every valid choice."""

    def __init__(self, option: str, value: object, choices: Iterable[str]) -> None:
        self.option = option
        self.value = value
        self.choices = list(choices)
        super().__init__(
            f"invalid value for {option}: {value!r}",
            hint=f"valid choices: {', '.join(self.choices)}",
        )


class ConfigError(UsageError):
    """A configuration file that is missing, unreadable or malformed (exit 2)."""


class SpecError(OptoutConformanceError):
    """A spec, overlay or registry file that cannot be loaded or is invalid (exit 2)."""


class TargetUnreachable(OptoutConformanceError):
    """The target did not answer at all: refused, unresolvable or timed out (exit 2, one line)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"target unreachable: {url} ({reason})",
            hint="check --target: it is the API's base URL, e.g. http://127.0.0.1:8000/v1",
        )
        self.url = url
        self.reason = reason


class CassetteError(OptoutConformanceError):
    """A cassette file that cannot be read or is not a vcrpy cassette (exit 2)."""
