"""The reference server's ASGI application: one Starlette app serving the chosen APIs.

Faulty variants (``faults/``) pass their service subclasses; the validating proxy and the
``serve`` command use the defaults. Bad input never produces a 500: each service answers it in
its own API's style, and the catch-all handler below exists only as a last line of defence.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute

from optout_conformance.core.apis import API_CHOICES, APIS
from optout_conformance.core.errors import BadChoice
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.seed import seed_if_empty
from optout_conformance.reference.store import Store

ALL_APIS: tuple[str, ...] = tuple(APIS)
logger = logging.getLogger(__name__)


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client disconnected before its body arrived: nobody is left to answer, nothing to log
    beyond a debug line (uvicorn drops the reply of a disconnected request)."""
    logger.debug("client disconnected during %s %s", request.method, request.url.path)
    return Response(status_code=400)


async def internal_error(request: Request, exc: Exception) -> Response:
    """Last line of defence: an unexpected exception becomes a short error, never a traceback.

    The self-tests show no request reaches it; it is logged so that one would be noticed.
    """
    logger.error("unexpected error on %s %s: %r", request.method, request.url.path, exc)
    for definition in APIS.values():
        text = getattr(definition, "internal_error_text", "")
        if text and request.url.path.startswith(definition.base_path + "/"):
            return PlainTextResponse(text, status_code=500)
    return JSONResponse({"success": False, "error": "Internal server error"}, status_code=500)


def create_app(
    config: ReferenceConfig,
    *,
    apis: Collection[str] = ALL_APIS,
    store: Store | None = None,
    **service_classes: type,
) -> Starlette:
    """A Starlette app serving ``apis`` over one store; each API's service is its definition's
    reference service unless ``service_classes`` gives one (API name -> class, e.g. a fault's).

    Without ``store`` one is opened on ``config.db``. An empty store is seeded with
    ``config.seed_records`` records; a store that has records keeps them as they are. The app's
    ``state`` carries ``config``, ``store`` and ``services`` (name -> service instance).
    """
    unknown = [name for name in apis if name not in APIS]
    if unknown:
        raise BadChoice("--api", unknown[0], API_CHOICES)
    store = store if store is not None else Store(config.db)
    seed_if_empty(store, config)
    unknown = [name for name in service_classes if name not in APIS]
    if unknown:
        raise BadChoice("service class for API", unknown[0], tuple(APIS))
    services: dict[str, Any] = {
        name: service_classes.get(name, definition.service_class())(config, store)
        for name, definition in APIS.items() if name in apis
    }
    routes: list[BaseRoute] = []
    for service in services.values():
        routes.extend(service.routes())
    handlers = {ClientDisconnect: client_gone, Exception: internal_error}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.config = config
    app.state.store = store
    app.state.services = services
    return app
