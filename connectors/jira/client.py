"""One Jira REST call: build the request, authenticate, check the answer, map its errors.

Every call sends ``Accept: application/json`` (and ``Content-Type: application/json`` with a
body), the credential and the app's extra headers (``X-Request-ID``). Every error message is
scrubbed of the connection's secrets and of the credential actually sent.

Each HTTP exchange goes through the factory's ``Resilience`` (``connectors.resilience``):
retries, the site's circuit breaker and its concurrency limit, with the call's ``operation``
name for metrics and traces. A write that may have been applied (sent, then no definite answer)
is never sent again; its error says so (``outcome_unknown``).

With ``api_url`` (OAuth 2.0 bearer tokens) the calls go to Atlassian's API gateway,
``{api_url}/ex/jira/{cloudId}``, after one ``accessible-resources`` lookup (``cloud``) the
factory's ``CloudIds`` remembers; otherwise straight to the site.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

import httpx
import orjson

from connectors.answers import Scrubber, host_of, scrubbed
from connectors.errors import GatewayError, ItsmError, TicketNotFound
from connectors.jira.answers import json_body, rate_limited, refusal
from connectors.jira.cloud import ACCESSIBLE_RESOURCES, CloudIds, cloud_id_of
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
    """Calls ``{site}/rest/...`` (or ``{api_url}/ex/jira/{cloudId}/rest/...``) for one
    connector (one request of the gateway)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        site_url: str,
        host: str,
        headers: Mapping[str, str],
        scrub: Scrubber,
        resilience: Resilience,
        api_url: str | None = None,
        cloud_ids: CloudIds | None = None,
    ) -> None:
        self._http = http
        self._site = site_url
        self.host = host
        self._api_url = api_url
        self._cloud_ids = cloud_ids if cloud_ids is not None else CloudIds()
        # The calls of one fetch run together: the first looks the cloudId up, the others wait.
        self._lookup_lock = asyncio.Lock()
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
            base = await self._base()
            response = await self._send(
                method, f"{base}{path}", params or {}, body, operation, idempotent
            )
            return self._result(method, response, not_found, idempotent)
        except GatewayError as exc:
            raise scrubbed(exc, self._scrub) from None

    async def _base(self) -> str:
        """The site itself, or Atlassian's API gateway for the site's cloudId."""
        if self._api_url is None:
            return self._site
        cloud_id = self._cloud_ids.get(self._site)
        if cloud_id is None:
            async with self._lookup_lock:
                cloud_id = self._cloud_ids.get(self._site)
                if cloud_id is None:
                    cloud_id = await self._look_up_cloud_id(self._api_url)
                    self._cloud_ids.put(self._site, cloud_id)
        return f"{self._api_url}/ex/jira/{segment(cloud_id)}"

    async def _look_up_cloud_id(self, api_url: str) -> str:
        """``GET /oauth/token/accessible-resources`` with the token: the sites it grants."""
        api_host = host_of(api_url)
        target = Target(
            key=api_url, name=f"Atlassian's API at {api_host}", host=api_host, itsm_type="jira"
        )
        url = f"{api_url}{ACCESSIBLE_RESOURCES}"
        headers = dict(self._headers)

        def attempt() -> Awaitable[httpx.Response]:
            return self._http.request("GET", url, headers=headers)

        response = await call_or_raise(
            self._resilience, target, "GET", attempt, operation="oauth_resources"
        )
        return cloud_id_of(self._read(response, None, api_host), self._site, api_host)

    async def _send(
        self,
        method: str,
        url: str,
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
        if query:
            url = f"{url}?{query}"

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
            return self._read(response, not_found, self.host)
        except GatewayError as error:
            raise flag_if_applied(error, method, response, idempotent=idempotent) from None

    @staticmethod
    def _read(response: httpx.Response, not_found: str | None, host: str) -> Any:
        status = response.status_code
        if status == 429:
            raise rate_limited(response, host)
        if status == 401:  # whatever the body is: an HTML page here still means credentials
            try:
                body: object = json_body(response, host)
            except ItsmError:
                body = None
            raise refusal(401, body, host)
        if response.is_success and not response.content.strip():
            return None  # 204 No Content: edits and transitions
        body = json_body(response, host)
        if response.is_success:
            return body
        if status == 404 and not_found is not None:
            raise TicketNotFound(not_found)
        raise refusal(status, body, host)
