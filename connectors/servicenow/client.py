"""One Table API call: build the request, authenticate, check the answer, map its errors.

Every call sends ``Accept: application/json`` (and ``Content-Type: application/json`` with a
body) plus the app's extra headers (``X-Request-ID``). A 401 is retried once when the
authenticator can fetch a new credential (OAuth); every error message is scrubbed of the
connection's secrets and of the authentication headers actually sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from connectors.errors import GatewayError, ItsmError, TicketNotFound
from connectors.servicenow.answers import (
    Scrubber,
    json_body,
    rate_limited,
    refusal,
    scrubbed,
    transport_error,
)
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
    ) -> None:
        self._http = http
        self._base = f"{instance_url}/api/now/table"
        self.host = host
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
            return self._result(response, not_found)
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
        try:
            return await self._http.request(
                method, f"{self._base}/{path}", params=params, headers=headers, content=content
            )
        except httpx.TransportError as exc:
            raise transport_error(exc, self.host) from None

    def _result(self, response: httpx.Response, not_found: str | None) -> Any:
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


def _header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credential in each auth header (``Basic <b64>``, ``Bearer <token>``, an API key), so a
    401 page echoing the header cannot carry it into a message."""
    return [value.split(" ")[-1] for value in headers.values() if value]
