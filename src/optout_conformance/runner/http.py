"""The HTTP client every check uses: timeouts, rate limit, a body cap, an exchange log, curl.

Each request becomes an :class:`Exchange` that the report can show and reproduce with curl.
Credentials never appear in a curl command or a report: they are replaced by the environment
variable a user would set (``$OPTOUT_CONFORMANCE_TOKEN`` ...).
"""

from __future__ import annotations

import json
import re
import shlex
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx

# A hostile target may answer with a huge body; we read at most this much of it.
MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_TIMEOUT = 10.0


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
            return json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"body is not JSON ({exc.msg} at position {exc.pos})") from None
        except RecursionError:  # e.g. [[[[…]]]] nested 100,000 deep: unreadable, not a harness bug
            raise ValueError("body is JSON nested too deeply to be read") from None

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except ValueError:
            return None

    @property
    def secret_forms(self) -> dict[str, str]:
        """Every form a secret can take in a report (raw and percent-encoded) -> its variable."""
        forms: dict[str, str] = {}
        for secret, variable in self.secrets.items():
            if secret:
                for form in (secret, quote_plus(secret), quote(secret, safe="")):
                    forms.setdefault(form, variable)
        return forms

    def redact(self, text: str) -> str:
        for secret, variable in sorted(self.secret_forms.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(secret, variable)
        return text

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
        """One shell word; a word holding a credential is double-quoted with the credential as
        ``${VARIABLE}`` (expanded by the shell) and everything else escaped."""
        secrets = {s: v for s, v in self.secret_forms.items() if s in word}
        if not secrets:
            return shlex.quote(word)
        pattern = "|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True))
        pieces = re.split(f"({pattern})", word)
        out = []
        for piece in pieces:
            if piece in secrets:
                out.append("${" + secrets[piece].lstrip("$") + "}")
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


class RateLimiter:
    """At most ``rate`` requests per second across every thread (None: unlimited)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


class HttpClient:
    """Requests against one API's base URL. Thread-safe; every exchange is logged."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        rate: RateLimiter | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.rate = rate or RateLimiter(None)
        self.secrets = {k: v for k, v in (secrets or {}).items() if k}
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._label = threading.local()

    @contextmanager
    def labelled(self, check_id: str | None) -> Iterator[None]:
        """Tag every exchange this thread sends inside the block with ``check_id``."""
        previous = getattr(self._label, "check_id", None)
        self._label.check_id = check_id
        try:
            yield
        finally:
            self._label.check_id = previous

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, *, params: Mapping[str, str] | None = None,
            headers: Mapping[str, str] | None = None) -> Exchange:
        return self.request("GET", path, params=params, headers=headers)

    def post(self, path: str, *, data: Mapping[str, str] | None = None,
             params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None) -> Exchange:
        return self.request("POST", path, params=params, data=data, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Exchange:
        """Send one request. Transport failures are recorded in ``Exchange.error``, never raised."""
        exchange = Exchange(
            method=method,
            url=self.base_url + path,
            params={k: str(v) for k, v in (params or {}).items()},
            data={k: str(v) for k, v in data.items()} if data is not None else None,
            headers=dict(headers or {}),
            secrets=self.secrets,
            check_id=getattr(self._label, "check_id", None),
        )
        self.rate.wait()
        started = time.perf_counter()
        try:
            with self._client.stream(
                method,
                exchange.url,
                params=exchange.params or None,
                data=exchange.data,
                content=content,
                headers=exchange.headers,
            ) as response:
                exchange.status = response.status_code
                exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        exchange.truncated = True
                        break
                    # httpx's timeout bounds each read, not the whole body: a server trickling
                    # bytes would otherwise hold the request open indefinitely.
                    if time.perf_counter() - started > self.timeout:
                        raise httpx.ReadTimeout("body not complete within the timeout")
                exchange.text = bytes(body[:MAX_BODY_BYTES]).decode(
                    response.encoding or "utf-8", errors="replace"
                )
        except httpx.TimeoutException:
            exchange.error = f"no answer within {self.timeout:g} s (timeout)"
        except httpx.InvalidURL as exc:
            exchange.error = f"invalid URL: {exc}"
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        exchange.elapsed = time.perf_counter() - started
        with self._lock:
            self.exchanges.append(exchange)
        return exchange
