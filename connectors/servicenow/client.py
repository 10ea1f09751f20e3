"""One Table API call: build the request, authenticate, check the answer, map its errors.

Every call sends ``Accept: application/json`` (and ``Content-Type: application/json`` with a
body) plus the app's extra headers (``X-Request-ID``). A 401 is retried once when the
authenticator can fetch a new credential (OAuth); every error message is scrubbed of the
connection's secrets and of the authentication headers actually sent.

Each HTTP exchange goes through the factory's ``Resilience`` (``connectors.resilience``): retries,
the instance's circuit breaker and its concurrency limit. A write that may have been applied
(sent, then no definite answer) is never sent again; its error says so (``outcome_unknown``).
The credential is fetched before a concurrency slot is taken, so a Table API call never holds a
slot while it waits for the OAuth token fetch, which needs one too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from connectors.answers import Scrubber, scrubbed
from connectors.errors import GatewayError, ItsmError, TicketNotFound
from connectors.resilience import (
    Resilience,
    Target,
    call_or_raise,
    flag_if_applied,
)
from connectors.servicenow.answers import json_body, rate_limited, refusal
from connectors.servicenow.auth import Authenticator


class TableClient:
    """Calls ``{instance}/api/now/table/...`` for one connector (one request of the gateway)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        instance_url: str,
        host: str,
        auth: Authenticator,
        scrub: Scrubber,
        headers: Mapping[str, str],
        resilience: Resilience,
    ) -> None:
        self._http = http
        self._base = f"{instance_url}/api/now/table"
        self.host = host
        self._resilience = resilience
        self._target = Target(key=instance_url, name=f"ServiceNow at {host}", host=host)
        self._auth = auth
        self._scrub = scrub
        self._headers = dict(headers)

    async def call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        *,
        body: Mapping[str, object] | None = None,
        not_found: str | None = None,
    ) -> Any:
        """The ``result`` of the answer (a list for queries, an object for one record).

        ``not_found`` is the message of the ``TicketNotFound`` a 404 becomes; without it a 404 is
        an ``ItsmError`` like any other refusal.
        """
        auth: dict[str, str] = {}
        try:
            auth = await self._auth.headers()
            response = await self._send(method, path, params, body, auth)
            if response.status_code == 401 and self._auth.forget(auth):
                # Nothing was written on a 401, so even a POST is safe to send again.
                auth = await self._auth.headers()
                response = await self._send(method, path, params, body, auth)
            return self._result(method, response, not_found)
        except GatewayError as exc:
            raise scrubbed(exc, self._scrub.with_secrets(_header_secrets(auth))) from None

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: Mapping[str, object] | None,
        auth: Mapping[str, str],
    ) -> httpx.Response:
        headers = {**self._headers, **auth, "Accept": "application/json"}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = orjson.dumps(body)
        # The query is encoded here exactly as httpx would (``+`` for spaces), so that httpx
        # parses one URL rather than a URL and then the URL merged with its parameters.
        query = urlencode(params)
        url = f"{self._base}/{path}?{query}" if query else f"{self._base}/{path}"

        def attempt() -> Awaitable[httpx.Response]:
            return self._http.request(method, url, headers=headers, content=content)

        return await call_or_raise(
            self._resilience, self._target, method, attempt, operation=operation_of(method, path)
        )

    def _result(self, method: str, response: httpx.Response, not_found: str | None) -> Any:
        try:
            return self._read(response, not_found)
        except GatewayError as error:
            raise flag_if_applied(error, method, response) from None

    def _read(self, response: httpx.Response, not_found: str | None) -> Any:
        status = response.status_code
        if status == 429:
            raise rate_limited(response, self.host)
        if status == 401:  # whatever the body is: a login page here still means credentials
            try:
                body: object = json_body(response, self.host)
            except ItsmError:
                body = None
            raise refusal(401, body, self.host)
        body = json_body(response, self.host)
        if response.is_success:
            result = body.get("result") if isinstance(body, dict) else None
            if not isinstance(result, list | dict):
                raise ItsmError(f"ServiceNow at {self.host} answered {status} without a result")
            return result
        if status == 404 and not_found is not None:
            raise TicketNotFound(not_found)
        raise refusal(status, body, self.host)


# The tables the gateway reads besides the ticket's own (which a connection may choose).
_TABLE_KINDS = {"sys_journal_field": "journal", "task_sla": "sla"}
_VERBS = {"GET": "read", "POST": "create", "PATCH": "update", "PUT": "update"}


def operation_of(method: str, path: str) -> str:
    """A call's name for metrics and traces, from a small fixed vocabulary (never the table a
    caller chose): ``read_ticket``, ``update_ticket``, ``read_journal``, ``read_sla``..."""
    kind = _TABLE_KINDS.get(path.partition("/")[0], "ticket")
    return f"{_VERBS.get(method.upper(), 'call')}_{kind}"


def _header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credential in each auth header (``Basic <b64>``, ``Bearer <token>``, an API key), so a
    401 page echoing the header cannot carry it into a message."""
    return [value.split(" ")[-1] for value in headers.values() if value]
