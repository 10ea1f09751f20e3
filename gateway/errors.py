"""Errors only the gateway raises, and the error shape of what is neither door.

The port's errors (:mod:`connectors.errors`) are raised by connectors and use cases; these are
raised before a use case runs, by the serving core alone:

    GatewayError (connectors.errors)
     ├── Unauthenticated   401 UNAUTHENTICATED  no usable credential (auth/, access policy);
     │                                          WWW-Authenticate: Bearer error="invalid_token"
     ├── PayloadTooLarge   413 BAD_USER_INPUT   a body over ``client_max_size`` (the middleware)
     └── BodyTooSlow       408 BAD_USER_INPUT   a body not sent within its read timeout

A refusal for missing roles is ``connectors.errors.Forbidden``: a use case raises it too (a
connection profile kept for some roles), and use cases may not import the gateway.

Each door renders every error in its own shape, in one place: the REST envelope in
:mod:`rest_compat.errors`, GraphQL's ``errors`` list in :mod:`graph.errors`. The middleware picks
the renderer of the door a path belongs to (:data:`ErrorRenderer`); the other paths (health,
metrics, GraphiQL's files) answer in the shape of :func:`error_response` below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import orjson
from aiohttp import web

from connectors.errors import GatewayError
from connectors.model import WrittenTicket


class Unauthenticated(GatewayError, status=401, code="UNAUTHENTICATED"):
    """No credential, or one that is not valid (expired, wrong issuer or audience ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class PayloadTooLarge(GatewayError, status=413, code="BAD_USER_INPUT"):
    """The body is larger than the web server accepts; nothing of it was read as a contract."""


class BodyTooSlow(GatewayError, status=408, code="BAD_USER_INPUT"):
    """The request's body did not arrive within ``ITSM_GATEWAY_HTTP_BODY_TIMEOUT_SECONDS``."""


class ErrorRenderer(Protocol):
    """What each door gives the middleware: an error as that door answers it. ``code`` is the
    ``extensions.code`` of GraphQL; a shape without codes (the REST envelope) leaves it out.
    ``written`` is the ticket a write reached before the error (``GatewayError.written``): each
    door answers its number and sysId in its own place."""

    def __call__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        *,
        written: WrittenTicket | None = None,
    ) -> web.Response: ...


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    written: WrittenTicket | None = None,
) -> web.Response:
    """``{"error": {"code", "message"}}``: the shape of the paths that are no door (which write
    no ticket, so ``written`` is never given here)."""
    return web.Response(
        status=status,
        body=orjson.dumps({"error": {"code": code, "message": message}}),
        content_type="application/json",
        headers=headers,
    )
