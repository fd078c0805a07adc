"""The neutral record of one request and its reply, and the bounded JSON reader every layer uses.

:class:`Exchange` is what the transport (:mod:`optout_conformance.core.http`) logs for each
request it sends: the report shows it and reproduces it with curl, with credentials replaced by
the environment variable a user would set. :class:`Interaction` is the same request and reply
without the transport's bookkeeping, as the judgement rules read it, whether it came from a live
exchange or a recorded cassette.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any
from urllib.parse import urlencode, urlsplit

from optout_conformance.core.redact import redact

# A hostile target may answer with a huge body; we read at most this much of it.
MAX_BODY_BYTES = 2 * 1024 * 1024
# Of a reply larger than MAX_BODY_BYTES (unusable as JSON anyway) the exchange log keeps only the
# start, so a run against a target answering 50 MB to every request stays small.
KEPT_OF_TRUNCATED = 64 * 1024
# Deeper JSON is not parsed: every documented reply nests 4 levels at most.
MAX_JSON_DEPTH = 64

_JSON_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = str.maketrans({"[": "+", "{": "+", "]": "-", "}": "-"})


class JsonTooDeep(ValueError):
    """JSON nested deeper than the limit: refused before parsing (the stdlib parser recurses)."""


def json_depth(text: str) -> int:
    """How deep the brackets of ``text`` nest, outside strings (a linear scan, no recursion)."""
    skeleton = _NOT_BRACKETS.sub("", _JSON_STRINGS.sub("", text)).translate(_DEPTH_STEP)
    return max(accumulate(1 if step == "+" else -1 for step in skeleton), default=0)


def _value_depth(value: Any, limit: int) -> int:
    """How deep a parsed value nests (an explicit stack, no recursion); stops past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def may_nest_deeper(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` holds enough brackets to nest deeper than ``max_depth`` (a cheap count;
    False means no depth check is needed)."""
    if isinstance(text, str):
        return text.count("[") + text.count("{") > max_depth
    return text.count(b"[") + text.count(b"{") > max_depth


def parse_json_bounded(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses JSON nested deeper than ``max_depth`` with :class:`JsonTooDeep`
    (a ValueError) instead of recursing into a ``RecursionError``; other bad JSON raises
    ``json.JSONDecodeError`` as ``json.loads`` does. Every module that parses JSON a target, a
    cassette or a client sent should parse it here.

    The C parser goes first (it guards its own recursion with a ``RecursionError``), then the parsed
    value's depth is measured without recursion: about half the cost of scanning the text before
    parsing, on every reply of a run. Only a refusal scans the text, for the exact depth it names."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    try:
        value = json.loads(text)
    except RecursionError:
        value, too_deep = None, True
    else:
        too_deep = may_nest_deeper(text, max_depth) and _value_depth(value, max_depth) > max_depth
    if too_deep:
        raise JsonTooDeep(f"JSON nested {json_depth(text)} levels deep (at most {max_depth} are read)")
    return value


@dataclass(frozen=True)
class Interaction:
    """One request and its reply, as a judgement rule reads them: no transport bookkeeping, no
    credentials to redact, the same whether it came from a live :class:`Exchange`
    (:meth:`Exchange.interaction`) or a recorded cassette
    (``cassettes.interactions.Interaction.interaction``). ``status`` is 0 when no reply came."""

    method: str
    url: str
    status: int
    content_type: str  # the reply's, lowercase, without parameters
    text: str  # the reply's body
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str = ""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def json(self) -> Any:
        """The reply's body parsed as JSON (depth-limited), or None when it is not JSON."""
        try:
            return parse_json_bounded(self.text)
        except ValueError:
            return None


@dataclass
class Exchange:
    """One request and what came back (or the transport error that came instead)."""

    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    truncated: bool = False
    elapsed: float = 0.0
    error: str | None = None
    # The check that sent the request (None: fingerprint probes or code outside a check).
    check_id: str | None = None
    secrets: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError with a short reason when it is not JSON."""
        if self.truncated:
            raise ValueError(f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            return parse_json_bounded(self.text)
        except JsonTooDeep as exc:
            raise ValueError(f"body is not JSON the suite reads ({exc})") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"body is not JSON ({exc.msg} at position {exc.pos})") from None
        except RecursionError:  # e.g. [[[[…]]]] nested 100,000 deep: unreadable, not a harness bug
            raise ValueError("body is JSON nested too deeply to be read") from None

    def interaction(self) -> Interaction:
        """The request and reply as a judgement rule reads them."""
        return Interaction(
            method=self.method.upper(),
            url=self.full_url(),
            status=self.status or 0,
            content_type=self.content_type,
            text=self.text,
            request_headers=dict(self.headers),
            request_body=urlencode(self.data) if self.data is not None else "",
        )

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except ValueError:
            return None

    def redact(self, text: str) -> str:
        """``text`` with every whole occurrence of a credential (raw, percent-encoded, JSON-escaped
        or inside base64) replaced by its variable; a credential inside a longer word is left alone
        (a short token must not rewrite ordinary words). The one implementation:
        :func:`optout_conformance.cassettes.scrub.redact`."""
        return redact(text, self.secrets)

    def full_url(self) -> str:
        return self.url + (("?" + urlencode(self.params)) if self.params else "")

    def curl(self) -> str:
        """A curl command reproducing the request; credentials appear as $VARIABLES."""
        parts = ["curl", "-sS", "-X", self.method]
        for name, value in self.headers.items():
            parts += ["-H", f"{name}: {value}"]
        if self.data is not None:
            for name, value in self.data.items():
                parts += ["--data-urlencode", f"{name}={value}"]
        parts.append(self.full_url())
        return " ".join(self._shell_word(p) for p in parts)

    def _shell_word(self, word: str) -> str:
        """One shell word; a word holding a credential (as a whole token, in any form
        :meth:`redact` knows) is double-quoted with the credential as ``${VARIABLE}`` (expanded by
        the shell) and everything else escaped."""
        variables = sorted({v for v in self.secrets.values()})
        marked = redact(word, {s: f"\0{variables.index(v)}\0" for s, v in self.secrets.items()})
        if marked == word:
            return shlex.quote(word)
        out = []
        for number, piece in enumerate(marked.split("\0")):
            if number % 2:
                out.append("${" + variables[int(piece)].lstrip("$").strip("{}") + "}")
            else:
                out.append(re.sub(r'([\\"$`])', r"\\\1", piece))
        return '"' + "".join(out) + '"'

    def summary(self, limit: int = 300) -> str:
        """One line for a report: status, content type and the start of the body."""
        if self.error:
            return f"{self.method} {self.redact(self.full_url())} -> {self.error}"
        body = self.redact(self.text[:limit]).replace("\n", "\\n")
        more = "…" if len(self.text) > limit or self.truncated else ""
        return f"HTTP {self.status} {self.content_type or '(no content type)'}: {body}{more}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.redact(self.full_url()),
            "data": {k: self.redact(v) for k, v in (self.data or {}).items()} or None,
            "headers": {k: self.redact(v) for k, v in self.headers.items()},
            "status": self.status,
            "content_type": self.content_type,
            "body": self.redact(self.text[:2000]),
            "elapsed": round(self.elapsed, 4),
            "error": self.error,
            "check_id": self.check_id,
            "curl": self.curl(),
        }
