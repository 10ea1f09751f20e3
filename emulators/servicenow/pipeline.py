"""The middleware every Table API and OAuth request goes through, in the instance's order.

1. record the request (refused ones included; only ``/api/...`` and ``/oauth_token.do`` are
   recorded, never the control API);
2. ``latency_ms``;
3. for Table API paths (``/api/...``): hibernation page, forced 5xx, authentication (401),
   throttling (429), hourly rate limit (429), then a dropped connection: the request has been
   read (and, for a write with ``drop_after_write``, applied) and the connection is aborted
   without a byte of answer. The rate-limit headers go on every answer while a limit is set.
"""

from __future__ import annotations

import asyncio
import re
from http import HTTPStatus

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from emulators.servicenow import responses
from emulators.servicenow.auth import authenticate
from emulators.servicenow.faults import RATE_LIMIT_RULE_ID, next_hour
from emulators.servicenow.keys import RECORD_KEY, STATE_KEY, USER_KEY
from emulators.servicenow.state import EmulatorState, RecordedRequest

OAUTH_PATH = "/oauth_token.do"
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
TABLE_PATH = re.compile(r"^/api/now(?:/v\d+)?/table/(?P<table>[^/]+)(?:/(?P<sys_id>[^/]+))?/?$")


@web.middleware
async def emulate_instance(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    if not (path.startswith("/api/") or path == OAUTH_PATH):
        return await handler(request)  # the control API (and stray paths): never recorded
    state = request.app[STATE_KEY]
    recorded = await _record(request, state)
    request[RECORD_KEY] = recorded
    if state.faults.latency_ms > 0:
        await asyncio.sleep(state.faults.latency_ms / 1000)
    if not path.startswith("/api/"):
        return await handler(request)

    if state.faults.hibernating:
        return responses.hibernating()
    failure = state.faults.take_failure()
    if failure is not None:
        return responses.error_response(failure, HTTPStatus(failure).phrase, None)
    user = authenticate(request.headers, state.config, state.tokens, state.now())
    recorded.account = user
    if user is None:
        return responses.not_authenticated()
    request[USER_KEY] = user
    if state.faults.take_throttle():
        retry_after = state.faults.throttle_retry_after_s
        return responses.error_response(
            429,
            "Rate limit exceeded",
            f"Too many requests from user {user}; retry in {retry_after} s",
            {"Retry-After": str(retry_after)},
        )

    limit = state.faults.hourly_limit
    if limit is None:
        return await _handle_or_drop(request, handler, state)
    now = state.now()
    reset = next_hour(now)
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Reset": str(int(reset.timestamp())),
        "X-RateLimit-Rule": RATE_LIMIT_RULE_ID,
    }
    if state.rate_counter.count(user, now) > limit:
        retry_after = max(1, int((reset - now).total_seconds()))
        return responses.error_response(
            429,
            "Rate limit exceeded",
            f"Maximum of {limit} requests per hour exceeded for user {user}",
            {**headers, "Retry-After": str(retry_after)},
        )
    response = await _handle_or_drop(request, handler, state)
    response.headers.update(headers)
    return response


async def _handle_or_drop(
    request: web.Request, handler: Handler, state: EmulatorState
) -> web.StreamResponse:
    if not state.faults.take_drop():
        return await handler(request)
    await request.read()  # the whole request arrived
    response: web.StreamResponse = web.Response(status=204)
    if request.method in _WRITES and state.faults.drop_after_write:
        response = await handler(request)  # applied: the client will never know
    if request.transport is not None:
        request.transport.abort()  # no answer at all; aiohttp's write of the response goes nowhere
    return response


RECORDED_HEADERS = frozenset({"traceparent", "tracestate", "x-request-id"})


async def _record(request: web.Request, state: EmulatorState) -> RecordedRequest:
    match = TABLE_PATH.match(request.path)
    body = None
    if request.can_read_body and request.content_type != "application/x-www-form-urlencoded":
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            body = None
    recorded = RecordedRequest(
        method=request.method,
        path=request.path,
        table=match["table"] if match else None,
        sys_id=match["sys_id"] if match else None,
        query=dict(request.query),
        json=body,
        headers={k.lower(): v for k, v in request.headers.items() if k.lower() in RECORDED_HEADERS},
    )
    state.requests.append(recorded)
    return recorded
