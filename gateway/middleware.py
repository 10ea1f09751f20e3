"""Cross-cutting work for every request: request id, access log, authentication and the one place
where errors become answers: a ``GatewayError`` from anywhere (a handler, the authentication, the
size limit), aiohttp's own refusals, and unexpected exceptions, logged once and masked. Each is
rendered by the door the path belongs to (``rest_compat.errors``, ``graph.errors``; the others
by ``gateway.errors``); this module spells no error shape itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager

from aiohttp import web
from opentelemetry import trace

from connectors.errors import GatewayError, RateLimited, refusal_code
from gateway.access import caller_of
from gateway.auth.authenticator import OFFLINE_TOKEN_HEADER, Authenticator
from gateway.caller_rates import CallerRates, retry_after
from gateway.errors import BodyTooSlow, ErrorRenderer, PayloadTooLarge, error_response
from gateway.observability.logs import request_id_var
from gateway.observability.metrics import Metrics
from gateway.observability.tracing import incoming_context, records
from gateway.request_keys import PRINCIPAL, REQUEST_ID
from graph.errors import error_response as graphql_error_response
from resolvers.trail import Trail, current_trail, start_trail
from rest_compat.errors import error_response as rest_error_response

log = logging.getLogger("itsm_gateway.access")
errors_log = logging.getLogger("itsm_gateway.errors")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_REQUEST_ID = re.compile(r"[A-Za-z0-9_.:/+=-]{1,128}")
REQUEST_ID_HEADER = "X-Request-ID"


def _is_rest(path: str) -> bool:
    return path.startswith("/itsm/")


def _is_graphql(path: str) -> bool:
    return path == "/graphql"


def _error_renderer(path: str) -> ErrorRenderer:
    """The renderer of the door the request came through; the other paths have the gateway's."""
    if _is_rest(path):
        return rest_error_response
    if _is_graphql(path):
        return graphql_error_response
    return error_response


def door_of(path: str) -> str:
    """Which door a path belongs to, as a metrics label and a log field."""
    if _is_rest(path):
        return "rest"
    if path == "/graphql" or path.startswith("/graphql/"):
        return "graphql"
    return _OTHER_DOORS.get(path, "other")


# Makes non-recording spans that carry a caller's trace context when tracing is off.
_UNTRACED = trace.NoOpTracer()
_OTHER_DOORS = {
    "/healthz": "health",
    "/readyz": "health",
    "/metrics": "metrics",
    "/openapi.json": "openapi",
}


def request_context(
    metrics: Metrics, tracer: trace.Tracer
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Per request: its id, its trail (``resolvers.trail``), its span, then one access line and
    the request metrics when it is answered."""

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        # 128 random bits as hex, as uuid4().hex but without building a UUID object.
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else os.urandom(16).hex()
        request[REQUEST_ID] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        door = door_of(request.path)
        route = request.match_info.route.resource
        name = f"{request.method} {route.canonical if route is not None else 'unmatched'}"
        try:
            with (
                start_trail(door) as trail,
                _server_span(tracer, request, door, name) as span,
            ):
                span.set_attribute("itsm_gateway.request_id", request_id)
                response = await _answer(request, handler, request_id)
                response.headers[REQUEST_ID_HEADER] = request_id
                span.set_attribute("http.response.status_code", response.status)
                if trail.operation != "-":
                    span.set_attribute("itsm_gateway.operation", trail.operation)
            seconds = time.perf_counter() - started
            metrics.request(door, trail.operation, response.status, seconds)
            for operation, _ in trail.untaken:
                metrics.write_not_taken(trail.itsm_type or "-", operation)
            _log_request(request, response.status, seconds, trail)
            return response
        finally:
            request_id_var.reset(token)

    return observe


def _server_span(
    tracer: trace.Tracer, request: web.Request, door: str, name: str
) -> AbstractContextManager[trace.Span]:
    """The request's span; with tracing off, only the caller's trace context, when it sent one,
    so that its ``traceparent`` reaches the ITSM. Probes and scrapes are never traced."""
    if door in ("health", "metrics"):
        return contextlib.nullcontext(trace.INVALID_SPAN)
    if not records(tracer):
        if "traceparent" not in request.headers:
            return contextlib.nullcontext(trace.INVALID_SPAN)
        tracer = _UNTRACED  # a non-recording span carrying the caller's context
    return tracer.start_as_current_span(
        name,
        context=incoming_context(request.headers),
        kind=trace.SpanKind.SERVER,
        attributes={"http.request.method": request.method, "http.route": name},
    )


def _log_request(request: web.Request, status: int, seconds: float, trail: Trail) -> None:
    principal = request.get(PRINCIPAL)
    extra: dict[str, object] = {
        "door": trail.door,
        "operation": trail.operation,
        "status": status,
        "latency_ms": round(seconds * 1000, 2),
        "user": principal.username if principal else None,
        "client": principal.client_id if principal else None,
        "itsm_host": trail.itsm_host,
        "itsm_calls": trail.itsm_calls,
    }
    if trail.tickets:
        extra["ticket"] = trail.tickets[0] if len(trail.tickets) == 1 else trail.tickets
    if trail.untaken:
        # Which fields did not take, by name only: their values may be anything.
        extra["untaken"] = [name for _, names in trail.untaken for name in names]
    log.info("%s %s", request.method, request.path, extra=extra)


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
        trail = current_trail()
        if trail is not None and error.written is not None:
            trail.note_ticket(error.written.number)  # the log line names the ticket it reached
        return _error_renderer(request.path)(
            error.status, error.code, error.message, error.headers, written=error.written
        )
    except web.HTTPException as error:
        if error.status < 400:
            raise
        # aiohttp's own refusals (no such path, wrong method) in the shape of the door asked.
        allow = error.headers.get("Allow")
        return _error_renderer(request.path)(
            error.status,
            refusal_code(error.status),
            f"{error.reason}: {request.method} {request.path}",
            {"Allow": allow} if allow else None,
        )
    except Exception:
        errors_log.exception("unexpected error serving %s %s", request.method, request.path)
        message = f"Internal error; quote request id {request_id} to the operators"
        return _error_renderer(request.path)(500, "INTERNAL", message)


def needs_credentials(request: web.Request) -> bool:
    """Both doors need a token; GraphiQL's page (a GET without a query) does not."""
    if _is_rest(request.path):
        return True
    if _is_graphql(request.path):
        return request.method != "GET" or "query" in request.query
    return False


def authentication(
    authenticator: Authenticator,
    *,
    rates: CallerRates | None = None,
    body_timeout: float | None = None,
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Every request to a door: its credential (401 without a usable one), then its caller's
    rate (``rates``; 429 with ``Retry-After`` past it), then its body, read within
    ``body_timeout`` seconds (408 past it) so that a slow sender holds no handler."""

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if needs_credentials(request):
            principal = await authenticator.authenticate(
                request.headers.get("Authorization"), request.headers.get(OFFLINE_TOKEN_HEADER)
            )
            request[PRINCIPAL] = principal
            if rates is not None:
                wait = await rates.admit(caller_of(principal))
                if wait is not None:
                    seconds = retry_after(wait)
                    raise RateLimited(
                        f"too many requests from this caller: at most {rates.per_minute} a "
                        f"minute (ITSM_GATEWAY_CALLER_REQUESTS_PER_MINUTE); retry in {seconds} s",
                        retry_after=seconds,
                    )
            if body_timeout is not None and request.body_exists:
                try:
                    async with asyncio.timeout(body_timeout):
                        await request.read()  # kept by aiohttp: the handler reads it again
                except TimeoutError:
                    raise BodyTooSlow(
                        f"the request body did not arrive within {body_timeout:g} s "
                        "(ITSM_GATEWAY_HTTP_BODY_TIMEOUT_SECONDS)"
                    ) from None
        return await handler(request)

    return authenticate
