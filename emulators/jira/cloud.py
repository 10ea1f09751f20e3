"""Atlassian's API gateway, the part OAuth 2.0 (3LO) clients use
(https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/):

- ``GET /oauth/token/accessible-resources`` (Bearer): the sites the token may reach, as
  ``[{"id", "url", "name", "scopes", "avatarUrl"}]``; here the one emulated site, whose ``url``
  is the emulator itself and whose ``id`` is ``CLOUD_ID``;
- the site's API under ``/ex/jira/{cloudId}`` (mounted by ``app``); any other cloudId is 404.

The gateway's own errors are ``{"code": ..., "message": ...}``.
"""

from __future__ import annotations

from aiohttp import web

from emulators.jira import responses
from emulators.jira.config import CLOUD_ID
from emulators.jira.pipeline import site_url

ACCESSIBLE_RESOURCES = "/oauth/token/accessible-resources"
SCOPES = ("read:jira-work", "write:jira-work", "read:servicedesk-request")
AVATAR_URL = "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/site.png"


def add_routes(app: web.Application) -> None:
    app.router.add_get(ACCESSIBLE_RESOURCES, accessible_resources)


def add_fallback(app: web.Application) -> None:
    """After every mounted route: a cloudId that is not the site's."""
    app.router.add_route("*", "/ex/jira/{cloud_id}/{tail:.*}", no_such_site)


async def accessible_resources(request: web.Request) -> web.Response:
    # The pipeline has authenticated the caller; this operation takes OAuth tokens only.
    scheme = request.headers.get("Authorization", "").strip().partition(" ")[0]
    if scheme.lower() != "bearer":
        return gateway_error(401, "Unauthorized")
    site = {
        "id": CLOUD_ID,
        "url": site_url(request),
        "name": "acme",
        "scopes": list(SCOPES),
        "avatarUrl": AVATAR_URL,
    }
    return responses.json_response([site])


async def no_such_site(request: web.Request) -> web.Response:
    return gateway_error(404, "Not Found")


def gateway_error(status: int, message: str) -> web.Response:
    return responses.json_response({"code": status, "message": message}, status)
