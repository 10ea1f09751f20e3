"""One Jira REST call: build the request, authenticate, check the answer, map its errors.

Every call sends ``Accept: application/json`` (and ``Content-Type: application/json`` with a
body), the credential and the app's extra headers (``X-Request-ID``). Every error message is
scrubbed of the connection's secrets and of the credential actually sent.

Each HTTP exchange goes through the factory's ``Resilience`` (``connectors.resilience``):
retries, the site's circuit breaker and its concurrency limit, with the call's ``operation``
name for metrics and traces. A write that may have been applied (sent, then no definite answer)
is never sent again; its error says so (``outcome_unknown``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

import httpx
import orjson

from connectors.answers import Scrubber, scrubbed
from connectors.errors import GatewayError, ItsmError, TicketNotFound
from connectors.jira.answers import json_body, rate_limited, refusal
from connectors.resilience import (
    Resilience,
    Target,
    call_or_raise,
    flag_if_applied,
)


def segment(value: str) -> str:
    """A path segment (an issue key or id, a project key), percent-encoded."""
    return url_quote(value, safe="")


class JiraClient:
    """Calls ``{site}/rest/...`` for one connector (one request of the gateway)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        site_url: str,
        host: str,
        headers: Mapping[str, str],
        scrub: Scrubber,
        resilience: Resilience,
    ) -> None:
        self._http = http
        self._base = site_url
        self.host = host
        self._headers = {**headers, "Accept": "application/json"}
        self._scrub = scrub
        self._resilience = resilience
        self._target = Target(key=site_url, name=f"Jira at {host}", host=host, itsm_type="jira")

    async def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, object] | None = None,
        not_found: str | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """The decoded answer, ``None`` for an empty one (204).

        ``not_found`` is the message of the ``TicketNotFound`` a 404 becomes; without it a 404
        is an ``ItsmError`` like any other refusal. ``idempotent`` overrides the method's
        default for retries (a Jira edit that sets fields is safe to send twice).
        """
        try:
            response = await self._send(method, path, params or {}, body, operation, idempotent)
            return self._result(method, response, not_found, idempotent)
        except GatewayError as exc:
            raise scrubbed(exc, self._scrub) from None

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: Mapping[str, object] | None,
        operation: str,
        idempotent: bool | None,
    ) -> httpx.Response:
        headers = dict(self._headers)
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = orjson.dumps(body)
        query = urlencode(params)
        url = f"{self._base}{path}?{query}" if query else f"{self._base}{path}"

        def attempt() -> Awaitable[httpx.Response]:
            return self._http.request(method, url, headers=headers, content=content)

        return await call_or_raise(
            self._resilience,
            self._target,
            method,
            attempt,
            operation=operation,
            idempotent=idempotent,
        )

    def _result(
        self,
        method: str,
        response: httpx.Response,
        not_found: str | None,
        idempotent: bool | None,
    ) -> Any:
        try:
            return self._read(response, not_found)
        except GatewayError as error:
            raise flag_if_applied(error, method, response, idempotent=idempotent) from None

    def _read(self, response: httpx.Response, not_found: str | None) -> Any:
        status = response.status_code
        if status == 429:
            raise rate_limited(response, self.host)
        if status == 401:  # whatever the body is: an HTML page here still means credentials
            try:
                body: object = json_body(response, self.host)
            except ItsmError:
                body = None
            raise refusal(401, body, self.host)
        if response.is_success and not response.content.strip():
            return None  # 204 No Content: edits and transitions
        body = json_body(response, self.host)
        if response.is_success:
            return body
        if status == 404 and not_found is not None:
            raise TicketNotFound(not_found)
        raise refusal(status, body, self.host)
