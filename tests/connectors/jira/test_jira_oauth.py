"""OAuth 2.0 (bearer) calls: one accessible-resources lookup per site, then every call through
Atlassian's API gateway at ``{api_url}/ex/jira/{cloudId}``; basic calls stay on the site.

pytest-httpx fails a test on any request no response was added for (or any response added and
not requested), so each test also proves which calls are made, and how many.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from connectors.connection import AuthType
from connectors.errors import ItsmError
from connectors.fields import TicketField
from connectors.http import Resilience, ResilienceObserver, ResiliencePolicy, Target
from connectors.jira import JiraConnectorFactory
from tests.connectors.jira.conftest import OAUTH_TOKEN, SITE, connection

F = TicketField
API_URL = "https://api.atlassian.com"
RESOURCES = f"{API_URL}/oauth/token/accessible-resources"
CLOUD_ID = "1324a887-45db-1bf4-1e99-ef0ff456d421"
GATEWAY = f"{API_URL}/ex/jira/{CLOUD_ID}"
OTHER_SITE = "https://globex.atlassian.net"


def site(url: str, cloud_id: str = CLOUD_ID) -> dict[str, Any]:
    """An entry of the accessible-resources answer, shaped as Atlassian's docs show it."""
    return {
        "id": cloud_id,
        "url": url,
        "name": url.removeprefix("https://").split(".")[0],
        "scopes": ["read:jira-work", "write:jira-work"],
        "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png",
    }


def issue(key: str = "DESK-1") -> dict[str, Any]:
    project = {"id": "10000", "key": "DESK", "projectTypeKey": "service_desk"}
    return {"id": "10001", "key": key, "fields": {"project": project}}


async def fetch(connector, key: str = "DESK-1", fields=frozenset({F.TICKET_NUMBER})) -> Any:
    return await connector.fetch(key, set(fields), UTC)


async def test_bearer_looks_the_site_up_then_calls_the_api_gateway(httpx_mock, factory) -> None:
    httpx_mock.add_response(url=RESOURCES, json=[site(OTHER_SITE, "other-id"), site(SITE)])
    httpx_mock.add_response(
        url=f"{GATEWAY}/rest/api/3/issue/DESK-1", match_params={"fields": "project"}, json=issue()
    )

    ticket = await fetch(factory.open(connection(AuthType.BEARER)))

    assert ticket.values == {F.TICKET_NUMBER: "DESK-1"}
    lookup, call = httpx_mock.get_requests()
    assert lookup.method == "GET"
    for request in (lookup, call):
        assert request.headers["Authorization"] == f"Bearer {OAUTH_TOKEN}"
        assert request.headers["Accept"] == "application/json"


async def test_one_lookup_serves_every_call_and_later_requests(httpx_mock, factory) -> None:
    httpx_mock.add_response(url=RESOURCES, json=[site(SITE)])
    httpx_mock.add_response(
        url=f"{GATEWAY}/rest/api/3/issue/DESK-1",
        match_params={"fields": "project"},
        json=issue(),
        is_reusable=True,
    )
    httpx_mock.add_response(
        url=f"{GATEWAY}/rest/api/3/issue/DESK-1/comment",
        match_params={"startAt": "0", "maxResults": "100", "orderBy": "created"},
        json={"startAt": 0, "maxResults": 100, "total": 0, "comments": []},
        is_reusable=True,
    )
    journal = {F.TICKET_NUMBER, F.COMMENTS}

    # Two calls at once within a request, then a second request (a new connector).
    await fetch(factory.open(connection(AuthType.BEARER)), fields=journal)
    await fetch(factory.open(connection(AuthType.BEARER)), fields=journal)

    lookups = [r for r in httpx_mock.get_requests() if r.url == RESOURCES]
    assert len(lookups) == 1
    assert len(httpx_mock.get_requests()) == 5


async def test_basic_still_calls_the_site_directly(httpx_mock, factory) -> None:
    httpx_mock.add_response(
        url=f"{SITE}/rest/api/3/issue/DESK-1", match_params={"fields": "project"}, json=issue()
    )

    await fetch(factory.open(connection(AuthType.BASIC)))

    assert [r.url.host for r in httpx_mock.get_requests()] == ["acme.atlassian.net"]


async def test_a_site_the_token_does_not_grant_is_refused_naming_the_granted_ones(
    httpx_mock, factory
) -> None:
    httpx_mock.add_response(
        url=RESOURCES, json=[site(OTHER_SITE), site("https://initech.atlassian.net", "x")]
    )

    with pytest.raises(ItsmError) as error:
        await fetch(factory.open(connection(AuthType.BEARER)))

    assert error.value.status == 502
    assert error.value.message.startswith(
        f"the OAuth token does not grant access to {SITE}; it grants "
        f"{OTHER_SITE}, https://initech.atlassian.net"
    )
    assert OAUTH_TOKEN not in error.value.message


async def test_a_refused_token_is_a_502_without_the_token(httpx_mock, factory) -> None:
    httpx_mock.add_response(
        url=RESOURCES, status_code=401, json={"code": 401, "message": f"Unauthorized {OAUTH_TOKEN}"}
    )

    with pytest.raises(ItsmError) as error:
        await fetch(factory.open(connection(AuthType.BEARER)))

    assert error.value.status == 502
    assert "rejected the gateway's credentials (401: Unauthorized ***)" in error.value.message
    assert OAUTH_TOKEN not in error.value.message


async def test_a_lookup_that_is_not_a_list_is_an_error(httpx_mock, factory) -> None:
    httpx_mock.add_response(url=RESOURCES, json={"sites": []})

    with pytest.raises(ItsmError, match="something other than a list of sites"):
        await fetch(factory.open(connection(AuthType.BEARER)))


async def test_the_api_url_is_the_factorys(httpx_mock, http) -> None:
    api_url = "https://atlassian-gateway.internal.example/"
    httpx_mock.add_response(url=f"{api_url}oauth/token/accessible-resources", json=[site(SITE)])
    httpx_mock.add_response(
        url=f"{api_url}ex/jira/{CLOUD_ID}/rest/api/3/issue/DESK-1",
        match_params={"fields": "project"},
        json=issue(),
    )

    factory = JiraConnectorFactory(http, api_url=api_url)
    await fetch(factory.open(connection(AuthType.BEARER)))


async def test_the_cloud_id_cache_is_bounded(httpx_mock, http) -> None:
    sites = [SITE, OTHER_SITE]
    httpx_mock.add_response(
        url=RESOURCES, json=[site(SITE), site(OTHER_SITE, "other-id")], is_reusable=True
    )
    for cloud_id in (CLOUD_ID, "other-id"):
        httpx_mock.add_response(
            url=f"{API_URL}/ex/jira/{cloud_id}/rest/api/3/issue/DESK-1",
            match_params={"fields": "project"},
            json=issue(),
            is_reusable=True,
        )
    factory = JiraConnectorFactory(http, cloud_id_limit=1)

    for url in [*sites, SITE]:  # the second site pushes the first out: it is looked up again
        await fetch(factory.open(connection(AuthType.BEARER, site=url)))

    lookups = [r for r in httpx_mock.get_requests() if r.url == RESOURCES]
    assert len(lookups) == 3


class Recorder(ResilienceObserver):
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def itsm_call(self, target: Target, operation: str, outcome: str, seconds: float) -> None:
        self.calls.append((target.host, operation, outcome))


async def test_the_lookup_goes_through_resilience(httpx_mock, http) -> None:
    recorder = Recorder()
    resilience = Resilience(ResiliencePolicy(), observer=recorder)
    httpx_mock.add_response(url=RESOURCES, json=[site(SITE)])
    httpx_mock.add_response(
        url=f"{GATEWAY}/rest/api/3/issue/DESK-1", match_params={"fields": "project"}, json=issue()
    )

    factory = JiraConnectorFactory(http, resilience=resilience)
    await fetch(factory.open(connection(AuthType.BEARER)))

    assert [call[:2] for call in recorder.calls] == [
        ("api.atlassian.com", "oauth_resources"),
        ("acme.atlassian.net", "read_ticket"),
    ]
