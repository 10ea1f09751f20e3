"""Jira's REST client, on the connectors' HTTP spine (``connectors.http.client``): Jira's quirks
only.

A 2xx with an empty body (204 No Content: edits and transitions) means done, and reads as
``None``. With ``api_url`` (OAuth 2.0 bearer tokens) the calls go to Atlassian's API gateway,
``{api_url}/ex/jira/{cloudId}``, after one ``accessible-resources`` lookup (``cloud``) the
factory's ``CloudIds`` remembers; otherwise straight to the site.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote as url_quote

import httpx

from connectors.http import (
    Target,
    VendorClient,
    host_of,
)
from connectors.jira.answers import ANSWERS
from connectors.jira.cloud import ACCESSIBLE_RESOURCES, CloudIds, cloud_id_of


def segment(value: str) -> str:
    """A path segment (an issue key or id, a project key), percent-encoded."""
    return url_quote(value, safe="")


class JiraClient(VendorClient[Any]):
    """Calls ``{site}/rest/...`` (or ``{api_url}/ex/jira/{cloudId}/rest/...``) for one
    connector (one request of the gateway)."""

    vendor = "Jira"
    itsm_type = "jira"
    api_path = ""  # the paths start at the site: /rest/api/3/..., /rest/servicedeskapi/...
    answers = ANSWERS
    # Set by ``through_api`` only.
    _api_url: str
    _cloud_ids: CloudIds
    _lookup_lock: asyncio.Lock

    def through_api(self, api_url: str, cloud_ids: CloudIds) -> JiraClient:
        """Send the calls to Atlassian's API gateway at ``api_url`` (OAuth 2.0 bearer tokens),
        for the site's cloudId, which ``cloud_ids`` remembers once looked up."""
        self._api_url = api_url
        self._cloud_ids = cloud_ids
        # The calls of one fetch run together: the first looks the cloudId up, the others wait.
        self._lookup_lock = asyncio.Lock()
        self._base = None  # look_up_base
        return self

    async def look_up_base(self) -> str:
        """Atlassian's API gateway for the site's cloudId."""
        site, api_url = self._instance, self._api_url
        cloud_id = self._cloud_ids.get(site)
        if cloud_id is None:
            async with self._lookup_lock:
                cloud_id = self._cloud_ids.get(site)
                if cloud_id is None:
                    cloud_id = await self._look_up_cloud_id(api_url)
                    self._cloud_ids.put(site, cloud_id)
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
        body = self.read(response, None, f"Jira at {api_host}")
        return cloud_id_of(body, self._instance, api_host)

    def success(self, response: httpx.Response, name: str) -> Any:
        if not response.content.strip():
            return None  # 204 No Content: edits and transitions
        return self.answers.json_body(response, name)
