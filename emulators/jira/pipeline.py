"""The middleware every API request goes through (``/rest/...``, the same under Atlassian's API
gateway root ``/ex/jira/{cloudId}``, and ``/oauth/token/accessible-resources``), in this order:

1. record it (refused ones included; only ``/rest/...`` paths, never the control API);
2. ``latency_ms``; the ``login_page``; a forced 5xx (nothing is done);
3. authentication: a refused credential (or any, with ``reject_credentials``) is 401; no
   credential is the anonymous user, who may read no issue (404) and write nothing (401);
4. ``throttle_next``: 429 with ``Retry-After`` (seconds) and ``X-RateLimit-Reset`` (ISO 8601,
   ``yyyy-MM-ddTHH:mmZ``), as Jira Cloud's rate limiting documents;
5. ``drop_next`` (or ``drop_next_write``, for a write): the request is read (and, for a write
   with ``drop_after_write`` or ``drop_next_write``, applied) and the connection is aborted
   without a byte of answer.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from http import HTTPStatus

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from emulators.jira import responses
from emulators.jira.auth import ANONYMOUS, authenticate
from emulators.jira.config import GATEWAY_ROOT
from emulators.jira.keys import RECORD_KEY, STATE_KEY, USER_KEY
from emulators.jira.state import JiraState, RecordedRequest

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ISSUE_PATH = re.compile(r"^/rest/(?:api/3/issue|servicedeskapi/request)/(?P<issue>[^/]+)(?:/.*)?$")
RECORDED_HEADERS = frozenset({"traceparent", "tracestate", "x-request-id"})


def site_url(request: web.Request) -> str:
    configured = request.app[STATE_KEY].config.base_url
    return configured or f"{request.scheme}://{request.host}"


def base_url(request: web.Request) -> str:
    """The base of ``self`` links: the site, or the site's root under the API gateway when the
    request came that way."""
    under_gateway = request.path.startswith(f"{GATEWAY_ROOT}/")
    return f"{site_url(request)}{GATEWAY_ROOT}" if under_gateway else site_url(request)


def api_path(path: str) -> str:
    """The site's own path of a request (``/rest/...``), with the API gateway's root removed."""
    return path.removeprefix(GATEWAY_ROOT) if path.startswith(f"{GATEWAY_ROOT}/") else path


def _is_api(path: str) -> bool:
    return path.startswith(("/rest/", "/ex/jira/", "/oauth/"))


@web.middleware
async def emulate_site(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api(request.path):
        return await handler(request)  # the control API: never recorded
    state = request.app[STATE_KEY]
    recorded = await _record(request, state)
    request[RECORD_KEY] = recorded
    faults = state.faults
    if faults.latency_ms > 0:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.login_page:
        return responses.login_page()
    failure = faults.take_failure()
    if failure is not None:
        return responses.jira_error(failure, [HTTPStatus(failure).phrase])

    user = authenticate(request.headers, state.config)
    if user is None or (faults.reject_credentials and user is not ANONYMOUS):
        return responses.not_authenticated(base_url(request))
    if user is ANONYMOUS:
        if request.method == "GET" and _ISSUE_PATH.match(api_path(request.path)):
            return responses.issue_not_found()
        return responses.not_authenticated(base_url(request))
    recorded.account = user.account_id
    request[USER_KEY] = user

    if faults.take_throttle():
        wait = faults.throttle_retry_after_s
        reset = (state.now() + timedelta(seconds=wait)).strftime("%Y-%m-%dT%H:%MZ")
        return responses.jira_error(
            429,
            ["Rate limit exceeded."],
            # Atlassian's "Rate limiting" page: Retry-After and X-RateLimit-Reset with a 429, and
            # the X-RateLimit-* and RateLimit-Reason headers beside them.
            headers={
                "Retry-After": str(wait),
                "X-RateLimit-Reset": reset,
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-NearLimit": "true",
                "RateLimit-Reason": "jira-burst-based",
            },
        )
    write = request.method in _WRITES
    lose_write = write and faults.take_write_drop()
    if not lose_write and not faults.take_drop():
        return await handler(request)
    await request.read()  # the whole request arrived
    response: web.StreamResponse = web.Response(status=204)
    if write and (lose_write or faults.drop_after_write):
        response = await handler(request)  # applied: the client will never know
    if request.transport is not None:
        request.transport.abort()
    return response


async def _record(request: web.Request, state: JiraState) -> RecordedRequest:
    body = None
    if request.can_read_body:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            body = None
    path = api_path(request.path)
    api = (
        "platform"
        if path.startswith("/rest/api/3/")
        else "servicedesk"
        if path.startswith("/rest/servicedeskapi/")
        else "other"
    )
    match = _ISSUE_PATH.match(path)
    query = {key: ",".join(request.query.getall(key)) for key in request.query}
    recorded = RecordedRequest(
        method=request.method,
        path=request.path,
        api=api,
        issue=match["issue"] if match else None,
        query=query,
        json=body,
        headers={k.lower(): v for k, v in request.headers.items() if k.lower() in RECORDED_HEADERS},
    )
    state.requests.append(recorded)
    return recorded
