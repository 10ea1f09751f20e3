"""What the middlewares attach to a request, as typed keys."""

from __future__ import annotations

from aiohttp import web

from gateway.auth.principal import Principal

REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)


def request_id_of(request: web.Request) -> str | None:
    return request.get(REQUEST_ID)
