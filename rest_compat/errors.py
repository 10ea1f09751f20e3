"""The REST door's one error shape: the envelope with the status as text, the message and no
ticket details; or, when a write reached a ticket before the error, ``ticketDetails`` holding that
ticket's ``{"ticketNumber", "sysId"}`` so the caller can fetch it rather than write again.
Every error a REST request meets is rendered here: the middleware calls
:func:`error_response` for a ``GatewayError`` raised by a handler, the authentication, the size
limit or aiohttp itself (no such path, wrong method), and for an unexpected exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from connectors.errors import GatewayError
from connectors.model import WrittenTicket
from resolvers.write_report import written_ids
from rest_compat.envelope import envelope


class UnsupportedMediaType(GatewayError, status=415, code="BAD_USER_INPUT"):
    """A REST body that is not JSON (a form, as curl sends by default): nothing was read."""


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    written: WrittenTicket | None = None,
) -> web.Response:
    """The error as the REST door answers it; ``code`` is not part of the envelope."""
    return json_response(status, envelope(status, message, written_ids(written)), headers)


def json_response(
    status: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(payload),
        content_type="application/json",
        headers=headers,
    )
