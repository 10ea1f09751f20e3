"""Where OAuth 2.0 (3LO) calls go: Atlassian's API gateway, addressed by the site's cloudId.

An OAuth 2.0 access token is not accepted at ``https://{site}.atlassian.net``: the calls go to
``{api_url}/ex/jira/{cloudId}/rest/...``, and the cloudId of a site comes from
``GET {api_url}/oauth/token/accessible-resources``, which lists the sites the token may reach as
``[{"id", "url", "name", "scopes", "avatarUrl"}]``
(https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/).

A site's cloudId never changes, so ``CloudIds`` keeps it per site URL for the factory's life.
A token that does not grant a site whose id is already known is then refused by the API gateway
itself (401/403) instead of by the lookup.
"""

from __future__ import annotations

from collections import OrderedDict

from connectors.errors import ItsmError

ACCESSIBLE_RESOURCES = "/oauth/token/accessible-resources"
DEFAULT_API_URL = "https://api.atlassian.com"


class CloudIds:
    """Site URL -> cloudId, at most ``limit`` sites (the least recently used leaves first)."""

    def __init__(self, limit: int = 1024) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._limit = limit
        self._ids: OrderedDict[str, str] = OrderedDict()

    def get(self, site_url: str) -> str | None:
        cloud_id = self._ids.get(_site_key(site_url))
        if cloud_id is not None:
            self._ids.move_to_end(_site_key(site_url))
        return cloud_id

    def put(self, site_url: str, cloud_id: str) -> None:
        self._ids[_site_key(site_url)] = cloud_id
        self._ids.move_to_end(_site_key(site_url))
        while len(self._ids) > self._limit:
            self._ids.popitem(last=False)

    def __len__(self) -> int:
        return len(self._ids)


def cloud_id_of(resources: object, site_url: str, api_host: str) -> str:
    """The ``id`` of the entry whose ``url`` is ``site_url``; ``ItsmError`` naming the sites the
    token does grant when none is, or when the answer is not the documented list."""
    if not isinstance(resources, list):
        raise ItsmError(
            f"Atlassian's API at {api_host} answered the accessible-resources lookup with "
            "something other than a list of sites"
        )
    granted: list[str] = []
    for entry in resources:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            continue
        granted.append(entry["url"])
        cloud_id = entry.get("id")
        if _site_key(entry["url"]) == _site_key(site_url) and isinstance(cloud_id, str):
            return cloud_id
    grants = ", ".join(sorted(granted)[:10]) or "no site"
    raise ItsmError(
        f"the OAuth token does not grant access to {site_url}; it grants {grants} (check "
        "the connection's instanceUrl, or the site the user chose when authorising the app)"
    )


def _site_key(url: str) -> str:
    return url.strip().rstrip("/").lower()
