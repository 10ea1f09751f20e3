"""One Jira REST call, on the connectors' HTTP spine (``connectors.http.client``): Jira's quirks
only.

A 2xx with an empty body (204 No Content: edits and transitions) means done, and reads as
``None``. With ``api_url`` (OAuth 2.0 bearer tokens) the calls go to Atlassian's API gateway,
``{api_url}/ex/jira/{cloudId}``, after one ``accessible-resources`` lookup (``cloud``) the
factory's ``CloudIds`` remembers; otherwise straight to the site.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any
from urllib.parse import quote as url_quote

import httpx

from connectors.errors import GatewayError
from connectors.http import (
    Resilience,
    Scrubber,
    Target,
    VendorClient,
    host_of,
    scrubbed,
    with_query,
)
from connectors.jira.answers import ANSWERS
from connectors.jira.cloud import ACCESSIBLE_RESOURCES, CloudIds, cloud_id_of


def segment(value: str) -> str:
    """A path segment (an issue key or id, a project key), percent-encoded."""
    return url_quote(value, safe="")


class JiraClient(VendorClient[Any]):
    """Calls ``{site}/rest/...`` (or ``{api_url}/ex/jira/{cloudId}/rest/...``) for one
    connector (one request of the gateway)."""

    answers = ANSWERS

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
        super().__init__(
            http,
            target=Target(key=site_url, name=f"Jira at {host}", host=host, itsm_type="jira"),
            headers=headers,
            scrub=scrub,
            resilience=resilience,
        )
        self._site = site_url
        self._api_url = api_url
        self._cloud_ids = cloud_ids if cloud_ids is not None else CloudIds()
        # The calls of one fetch run together: the first looks the cloudId up, the others wait.
        self._lookup_lock = asyncio.Lock()

    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, object] | None = None,
        not_found: str | None = None,
        idempotent: bool | None = None,
    ) -> Awaitable[Any]:
        """The decoded answer, ``None`` for an empty one (204) (``VendorClient.exchange``).

        ``idempotent`` overrides the method's default for retries (a Jira edit that sets fields
        is safe to send twice). Straight to the site, a plain method returning the exchange, so
        that a call costs no extra coroutine.
        """
        if self._api_url is None:
            return self.exchange(
                method,
                with_query(self._site + path, params),
                operation=operation,
                body=body,
                not_found=not_found,
                idempotent=idempotent,
            )
        return self._call_through_api(
            self._api_url, method, path, operation, params, body, not_found, idempotent
        )

    async def _call_through_api(
        self,
        api_url: str,
        method: str,
        path: str,
        operation: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, object] | None,
        not_found: str | None,
        idempotent: bool | None,
    ) -> Any:
        try:
            base = await self._api_base(api_url)
        except GatewayError as exc:
            raise scrubbed(exc, self._scrub) from None
        return await self.exchange(
            method,
            with_query(base + path, params),
            operation=operation,
            body=body,
            not_found=not_found,
            idempotent=idempotent,
        )

    async def _api_base(self, api_url: str) -> str:
        """Atlassian's API gateway (``api_url``) for the site's cloudId."""
        cloud_id = self._cloud_ids.get(self._site)
        if cloud_id is None:
            async with self._lookup_lock:
                cloud_id = self._cloud_ids.get(self._site)
                if cloud_id is None:
                    cloud_id = await self._look_up_cloud_id(api_url)
                    self._cloud_ids.put(self._site, cloud_id)
        return f"{api_url}/ex/jira/{segment(cloud_id)}"

    async def _look_up_cloud_id(self, api_url: str) -> str:
        """``GET /oauth/token/accessible-resources`` with the token: the sites it grants."""
        api_host = host_of(api_url)
        target = Target(
            key=api_url, name=f"Atlassian's API at {api_host}", host=api_host, itsm_type="jira"
        )
        response = await self.send(
            "GET",
            f"{api_url}{ACCESSIBLE_RESOURCES}",
            None,
            operation="oauth_resources",
            target=target,
        )
        return cloud_id_of(self.read(response, None, f"Jira at {api_host}"), self._site, api_host)

    def success(self, response: httpx.Response, name: str) -> Any:
        if not response.content.strip():
            return None  # 204 No Content: edits and transitions
        return self.answers.json_body(response, name)
