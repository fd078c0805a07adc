"""Credential redaction: every whole occurrence of a secret, in any encoded form, replaced by a
label. The one implementation, used by the transport's exchange log and the cassette scrubber."""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Mapping

_WORD = "A-Za-z0-9"
# Not preceded by a letter or digit, unless that is the end of a %XX or JSON \x escape.
_BEFORE = rf"(?:(?<![{_WORD}])|(?<=%[0-9A-Fa-f]{{2}})|(?<=\\[nrtbfu]))"
_AFTER = rf"(?![{_WORD}])"


def _char_options(char: str) -> list[str]:
    encoded = "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
    return [re.escape(char), f"(?i:{re.escape(encoded)})"] + ([r"\+"] if char == " " else [])


def base64_cores(secret: str) -> set[str]:
    """The base64 characters fixed by the secret alone, at each of the three byte alignments
    (standard and URL-safe alphabets), as found inside a longer base64 text (``Basic`` credentials)."""
    raw = secret.encode("utf-8")
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii").rstrip("=")
        start = -(-8 * offset // 6)
        end = 8 * (offset + len(raw)) // 6
        core = encoded[start:end]
        if len(core) >= 8:
            cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores


def _textual(secret: str) -> str:
    """The secret in any mix of raw and percent-encoded characters, or JSON-escaped."""
    whole = "".join("(?:" + "|".join(_char_options(char)) + ")" for char in secret)
    spellings = [whole]
    for ensure_ascii in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ensure_ascii)[1:-1]
        for variant in (escaped, escaped.replace("/", "\\/")):
            if variant != secret and re.escape(variant) not in spellings:
                spellings.append(re.escape(variant))
    return "(?:" + "|".join(spellings) + ")"


def secret_pattern(secret: str, *, whole_tokens: bool) -> str:
    textual = _textual(secret)
    if whole_tokens:
        textual = _BEFORE + textual + _AFTER
    return "|".join([textual, *(re.escape(core) for core in sorted(base64_cores(secret)))])


@functools.lru_cache(maxsize=64)
def _whole_token_pattern(secret: str) -> re.Pattern[str]:
    return re.compile(secret_pattern(secret, whole_tokens=True))


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with each secret (whole tokens, in any encoded form :class:`Scrubber` knows)
    replaced by its own label, e.g. ``{"s3cr3t-token": "${OPTOUT_CONFORMANCE_TOKEN}"}``: for
    reports that name the variable a reader must set, not just ``REDACTED``."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        label = secrets[secret].replace("\\", "\\\\")  # a literal replacement, not a template
        text = _whole_token_pattern(secret).sub(label, text)
    return text
