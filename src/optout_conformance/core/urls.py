"""The one URL parser: the writes guard, the reachability probe and every connection use it.

A target URL is parsed once into a :class:`TargetUrl` (scheme, host, port, path). The loopback
decision is made on that host, and the connection is opened to that same host: the HTTP client
builds its request URL from these parts, never from the text again. Where parsers disagree
(``http://prod.example\\@127.0.0.1/v1`` is ``127.0.0.1`` to ``urlsplit`` and ``prod.example`` to
urllib3) nothing is guessed: such a URL is refused.

Refused (:class:`UrlError`, a usage error): anything but ``http``/``https``; userinfo
(``user:pass@``); backslashes; control characters or whitespace; a bad IPv6 literal
(``http://[::1/v1``); a zone id; a non-ASCII or otherwise unusual host; a numeric host that is not
a dotted-quad IPv4 address (``127.1``, ``0x7f.0.0.1``: resolvers read them differently); a port
outside 1-65535; a query string or fragment in a base URL.

Loopback means a literal loopback address (127.0.0.0/8, ``::1``) or exactly ``localhost``;
nothing by suffix (``api.localhost`` may resolve anywhere).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

SCHEMES = {"http": 80, "https": 443}
# A DNS name: labels of letters, digits and hyphens, separated by dots.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
# Characters a path may hold as given (RFC 3986 pchar, "/" and percent escapes).
_PATH = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class UrlError(ValueError):
    """A URL the suite will not connect to; the message says why in one line."""


@dataclass(frozen=True)
class TargetUrl:
    """A parsed http(s) URL: the parts a connection is opened to."""

    scheme: str
    host: str  # lowercase; an IPv6 address without brackets
    port: int | None
    path: str  # "" or starting with "/", without a trailing "/"

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else SCHEMES[self.scheme]

    @property
    def origin(self) -> tuple[str, str, int]:
        """(scheme, host, port): requests carrying credentials go only to this origin."""
        return (self.scheme, self.host, self.effective_port)

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        return is_loopback_host(self.host)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.path}"

    def join(self, path: str) -> TargetUrl:
        """This URL with ``path`` appended (``path`` is "" or starts with "/")."""
        if path and not path.startswith("/"):
            raise UrlError(f"a request path must start with '/': {path!r}")
        _check_path(path, path)
        return TargetUrl(self.scheme, self.host, self.port, self.path + path)


def is_loopback_host(host: str) -> bool:
    """A literal loopback address (127.0.0.0/8, ::1) or exactly ``localhost``."""
    host = host.lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback(url: str) -> bool:
    """Whether ``url`` parses (:func:`parse_url`) to a loopback host; False for any refused URL."""
    try:
        return parse_url(url).loopback
    except UrlError:
        return False


def parse_url(text: str, *, allow_query: bool = False) -> TargetUrl:
    """Parse an http(s) URL or raise :class:`UrlError` naming what is wrong with it."""
    if not isinstance(text, str):
        raise UrlError(f"not a URL: {text!r}")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in text):
        raise UrlError(f"control characters or whitespace in URL {text!r}")
    if "\\" in text:
        raise UrlError(f"backslash in URL {text!r}")
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise UrlError(f"not an http(s) URL: {text!r}")
    scheme = scheme.lower()
    if "#" in rest:
        raise UrlError(f"fragment in URL {text!r}")
    authority_end = len(rest)
    for stop in "/?":
        index = rest.find(stop)
        if index != -1:
            authority_end = min(authority_end, index)
    authority, remainder = rest[:authority_end], rest[authority_end:]
    path, qmark, _query = remainder.partition("?")
    if qmark and not allow_query:
        raise UrlError(f"query string in a base URL: {text!r}")
    if "@" in authority:
        # The URL is not repeated: its userinfo may be a password.
        raise UrlError("credentials (user@) in a target URL are refused: give them with --token, "
                       "--password or the environment")
    host, port = _split_authority(authority, text)
    _check_path(path, text)
    return TargetUrl(scheme, host, port, path.rstrip("/"))


def _split_authority(authority: str, text: str) -> tuple[str, int | None]:
    if not authority:
        raise UrlError(f"no host in URL {text!r}")
    if authority.startswith("["):
        end = authority.find("]")
        if end == -1:
            raise UrlError(f"bad IPv6 address in URL {text!r} (no closing ']')")
        literal, after = authority[1:end], authority[end + 1:]
        if "%" in literal:
            raise UrlError(f"IPv6 zone id in URL {text!r}")
        try:
            address = ipaddress.IPv6Address(literal)
        except ValueError:
            raise UrlError(f"bad IPv6 address in URL {text!r}") from None
        host = address.compressed
        if after and not after.startswith(":"):
            raise UrlError(f"bad IPv6 address in URL {text!r}")
        port_text = after[1:] if after else None
    else:
        if "[" in authority or "]" in authority:
            raise UrlError(f"bad IPv6 address in URL {text!r}")
        host, colon, port_text_ = authority.partition(":")
        port_text = port_text_ if colon else None
        host = host.lower()
        _check_host(host, text)
    port: int | None = None
    if port_text is not None:
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise UrlError(f"bad port in URL {text!r}")
        port = int(port_text)
    return host, port


def _check_host(host: str, text: str) -> None:
    if not host:
        raise UrlError(f"no host in URL {text!r}")
    if not host.isascii() or not _NAME.match(host.rstrip(".")):
        raise UrlError(f"unusual host name in URL {text!r}")
    labels = host.rstrip(".").split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise UrlError(f"numeric host {host!r} is not a dotted-quad IPv4 address: {text!r}") from None


def _check_path(path: str, text: str) -> None:
    if not _PATH.match(path):
        raise UrlError(f"unusual characters in the path of URL {text!r}")
    if re.search(r"%(?![0-9A-Fa-f]{2})", path):
        raise UrlError(f"bad percent escape in URL {text!r}")
