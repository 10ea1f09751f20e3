"""Cross-cutting work for every request: request id, access log, authentication and the one place
where unexpected exceptions are caught, logged once and masked.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from connectors.errors import GatewayError, PayloadTooLarge
from gateway.auth.authenticator import OFFLINE_TOKEN_HEADER, Authenticator
from gateway.logs import request_id_var
from gateway.request_keys import PRINCIPAL, REQUEST_ID

log = logging.getLogger("itsm_gateway.access")
errors_log = logging.getLogger("itsm_gateway.errors")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_REQUEST_ID = re.compile(r"[A-Za-z0-9_.:/+=-]{1,128}")
REQUEST_ID_HEADER = "X-Request-ID"


def _is_rest(path: str) -> bool:
    return path.startswith("/itsm/")


def _is_graphql(path: str) -> bool:
    return path == "/graphql"


def error_body(path: str, status: int, code: str, message: str) -> bytes:
    """The error in the shape of the door the request came through."""
    if _is_rest(path):
        payload: object = {"statusCode": str(status), "statusMessage": message, "ticketDetails": {}}
    elif _is_graphql(path):
        payload = {
            "errors": [{"message": message, "extensions": {"code": code, "statusCode": status}}]
        }
    else:
        payload = {"error": {"code": code, "message": message}}
    return orjson.dumps(payload)


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    token = request_id_var.set(request_id)
    started = time.perf_counter()
    try:
        response = await _answer(request, handler, request_id)
        response.headers[REQUEST_ID_HEADER] = request_id
        principal = request.get(PRINCIPAL)
        log.info(
            "%s %s",
            request.method,
            request.path,
            extra={
                "status": response.status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                "user": principal.username if principal else None,
                "client": principal.client_id if principal else None,
            },
        )
        return response
    finally:
        request_id_var.reset(token)


async def _answer(request: web.Request, handler: Handler, request_id: str) -> web.StreamResponse:
    try:
        try:
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            # Both doors read bodies through aiohttp, which enforces client_max_size.
            raise PayloadTooLarge(
                f"the request body is larger than the {request.client_max_size} bytes this "
                "gateway accepts; send a smaller body"
            ) from None
    except GatewayError as error:
        return web.Response(
            status=error.status,
            body=error_body(request.path, error.status, error.code, error.message),
            content_type="application/json",
            headers=error.headers,
        )
    except web.HTTPException as error:
        if error.status < 400:
            raise
        # aiohttp's own refusals (no such path, wrong method) in the shape of the door asked.
        code = "NOT_FOUND" if error.status == 404 else "BAD_USER_INPUT"
        message = f"{error.reason}: {request.method} {request.path}"
        allow = error.headers.get("Allow")
        return web.Response(
            status=error.status,
            body=error_body(request.path, error.status, code, message),
            content_type="application/json",
            headers={"Allow": allow} if allow else None,
        )
    except Exception:
        errors_log.exception("unexpected error serving %s %s", request.method, request.path)
        message = f"Internal error; quote request id {request_id} to the operators"
        return web.Response(
            status=500,
            body=error_body(request.path, 500, "INTERNAL", message),
            content_type="application/json",
        )


def needs_credentials(request: web.Request) -> bool:
    """Both doors need a token; GraphiQL's page (a GET without a query) does not."""
    if _is_rest(request.path):
        return True
    if _is_graphql(request.path):
        return request.method != "GET" or "query" in request.query
    return False


def authentication(authenticator: Authenticator) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if needs_credentials(request):
            request[PRINCIPAL] = await authenticator.authenticate(
                request.headers.get("Authorization"), request.headers.get(OFFLINE_TOKEN_HEADER)
            )
        return await handler(request)

    return authenticate
