"""Where a run sends its requests: the embedded reference server, or URLs the user gave.

No target -> the reference server is started on 127.0.0.1 (real HTTP, an ephemeral port, a fresh
temporary database seeded with :data:`EMBEDDED_SEED_RECORDS` records, enough to fill a page at every
documented bound) for the duration of the run. A given URL is first
checked to answer at all within :data:`REACHABILITY_TIMEOUT` seconds (any HTTP status counts);
refused, unresolvable or silent -> :class:`TargetUnreachable` (exit 2).

Write safety: write checks run by default only on the embedded server and on loopback targets
(127.0.0.0/8, ::1, exactly ``localhost``; nothing by suffix); anywhere else they need
``--allow-writes``. The loopback decision and every connection use the same parse of the URL
(``core/urls.py``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any

from optout_conformance.config import Settings
from optout_conformance.core import urls
from optout_conformance.core.apis import APIS
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.errors import TargetUnreachable
from optout_conformance.core.http import HttpClient
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer

REACHABILITY_TIMEOUT = 5.0
# Seeded records of the embedded server: enough that every documented bound is exercised, not
# just accepted: a Convoso page at the maximum limit (1000, 000) is filled with room to spare, so is
# one at 001's default of 100 many times over, and Avaamo (min(n, 5000) entries, 2/3 of them
# opt-outs, spread over 3 senders) fills per_page 100 pages with or without a filter. Seeding
# 1200 records takes a few tens of milliseconds.
EMBEDDED_SEED_RECORDS = 1200


def is_loopback(url: str) -> bool:
    """True when the URL's host is a literal loopback address (127.0.0.0/8, ::1) or exactly
    ``localhost`` (``api.localhost`` is not: it may resolve anywhere). The decision is made on
    ``core/urls.py``'s parse, the same one the connection is opened to; a URL it refuses is not
    loopback."""
    return urls.is_loopback(url)


def check_reachable(url: str, timeout: float = REACHABILITY_TIMEOUT) -> None:
    """Raise TargetUnreachable unless something answers HTTP at ``url`` within ``timeout`` s.

    Decided within ``timeout`` whatever the target does: the probe goes through the run's
    transport (one deadline over connect, headers and body, redirects not followed, at most
    ``MAX_BODY_BYTES`` read), so a target that accepts and never answers, or trickles its reply,
    is unreachable after ``timeout`` seconds. Any HTTP status counts as an answer.
    """
    try:
        client = HttpClient(url, timeout=timeout)
    except urls.UrlError as exc:
        raise TargetUnreachable(url, str(exc)) from None
    with client:
        exchange = client.request("GET", "")
    if exchange.error is None:
        return
    if "timeout" in exchange.error:
        raise TargetUnreachable(url, f"no complete answer within {timeout:g} s")
    raise TargetUnreachable(url, _connect_reason(exchange.error))


def _connect_reason(text: str) -> str:
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "host name not resolvable"
    if "temporary failure in name resolution" in lowered:
        return "host name not resolvable"
    return text or "connection failed"


def embedded_credentials() -> Credentials:
    """The reference server's default credentials (docs/architecture.md)."""
    config = ReferenceConfig()
    return Credentials(
        token=config.token,
        realm=config.realm,
        password=config.password,
        sender_code=config.sender_codes[0],
    )


def server_profile(run_profile: str) -> str:
    """The reference server's profile for a run profile: official stays official, else community."""
    return "official" if run_profile == "official" else "community"


ServerFactory = Callable[[str], AbstractContextManager[Any]]


@contextmanager
def embedded_server(run_profile: str) -> Iterator[Any]:
    """The reference server on 127.0.0.1 with a fresh temporary database; yields the server."""
    with tempfile.TemporaryDirectory(prefix="optout-conformance-") as directory:
        config = ReferenceConfig(
            profile=server_profile(run_profile),
            seed_records=EMBEDDED_SEED_RECORDS,
            db=str(Path(directory) / "reference.sqlite3"),
        )
        with EmbeddedServer(create_app(config), host="127.0.0.1", port=0) as server:
            yield server


@contextmanager
def open_targets(
    settings: Settings,
    *,
    server_factory: ServerFactory = embedded_server,
    reachability_timeout: float = REACHABILITY_TIMEOUT,
) -> Iterator[tuple[list[Target], Credentials]]:
    """The run's targets (one per API, in order) and the credentials to use with them.

    APIs without a URL share one embedded server, started here and stopped on exit. Given URLs
    are checked for reachability first, so an unreachable target fails before any check runs.
    """
    for api in settings.apis:
        if api in settings.targets:
            check_reachable(settings.targets[api], reachability_timeout)
    with ExitStack() as stack:
        targets: list[Target] = []
        credentials = settings.credentials
        server = None
        for api in settings.apis:
            url = settings.targets.get(api)
            if url is not None:
                targets.append(Target(api=api, base_url=url, loopback=is_loopback(url)))
                continue
            if server is None:
                server = stack.enter_context(server_factory(settings.profile))
                # The server is ours: its own credentials, not ones meant for a user's target
                # (settings never mix embedded and given targets, see config.resolve_settings).
                credentials = embedded_credentials()
            base = server.url(api) if hasattr(server, "url") else server.base_url + APIS[api].base_path
            targets.append(Target(api=api, base_url=base, embedded=True, loopback=True))
        yield targets, credentials

