"""The reference Fourth service: ``GET /fourth/status.json?phone=&api_key=``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# Numbers the reference holds as opted out.
OPTED_OUT = frozenset({"2065550100", "2065550101"})


class FourthService:
    def __init__(self, config: Any, store: Any) -> None:
        self.config = config
        self.store = store

    def routes(self) -> list[Route]:
        return [Route("/fourth/status.json", self.handle, methods=["GET"])]

    def key_is_valid(self, key: str | None) -> bool:
        return key == self.config.token

    async def handle(self, request: Request) -> Response:
        if not self.key_is_valid(request.query_params.get("api_key")):
            return JSONResponse({"error": "invalid api_key"}, status_code=401)
        phone = request.query_params.get("phone", "")
        if not phone.isdigit():
            return JSONResponse({"error": "phone must be digits only"}, status_code=400)
        return JSONResponse({"phone": phone, "opted_out": phone in OPTED_OUT})
