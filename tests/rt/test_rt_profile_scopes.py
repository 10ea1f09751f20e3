"""Issue 13, item 1, on a real RT 5: a connection profile opens only the queues it lists (RT's
General when it lists none). Through it, a ticket of another queue is not found, and a create in
another queue or a move into one is 403 with nothing written; REST and GraphQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from connectors.catalog import capabilities
from emulators.rt_launcher import RtServer
from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.profiles import connection_resolver
from gateway.settings import Settings
from tests.resolvers.test_ssrf import FakeDns
from tests.rt.conftest import RtStack
from tests.support.servers import serving, wait_until_ready


@pytest.fixture(scope="module")
async def scoped(rt_server: RtServer) -> AsyncIterator[RtStack]:
    """A gateway whose profiles reach RT: ``general`` (lists nothing), ``network`` (Network)."""
    issuer = TokenIssuer()
    async with serving(create_issuer_app(issuer)) as issuer_url:
        issuer.bind(issuer_url)
        rt = {
            "itsm_type": "rt",
            "instance_url": rt_server.url,
            "auth_type": "api_key",
            "api_key_env": "LAB_RT_TOKEN",
        }
        settings = Settings(
            keycloak_issuer=issuer.issuer,
            keycloak_audience=issuer.audience,
            itsm_allowed_urls="http://127.0.0.1:*",
            connections={"general": rt, "network": {**rt, "tables": ["Network"]}},
        )
        connections = connection_resolver(
            settings,
            capabilities(),
            environ={"LAB_RT_TOKEN": rt_server.api_token},
            resolve_host=FakeDns({}),
        )
        async with (
            serving(create_app(settings, connections=connections)) as url,
            httpx.AsyncClient(timeout=60) as http,
        ):
            await wait_until_ready(url)
            yield RtStack(url, rt_server, issuer, http)


async def create(stack: RtStack, profile: str, ticket_json: dict[str, Any]) -> httpx.Response:
    body = {
        "ticketJSON": ticket_json,
        "connectionDetails": {"connectionId": profile},
        "ticketFields": ["sysId"],
    }
    return await stack.rest("POST", "create", body)


async def fetch(stack: RtStack, profile: str, ticket_id: str) -> httpx.Response:
    body = {
        "ticketNumber": ticket_id,
        "connectionDetails": {"connectionId": profile},
        "ticketFields": ["ticketNumber", "assignedGroup"],
    }
    return await stack.rest("POST", "fetch", body)


async def update(
    stack: RtStack, profile: str, ticket_id: str, ticket_json: dict[str, Any]
) -> httpx.Response:
    body = {
        "sysId": ticket_id,
        "ticketJSON": ticket_json,
        "connectionDetails": {"connectionId": profile},
        "ticketFields": ["sysId"],
    }
    return await stack.rest("POST", "update", body)


async def test_a_profile_holds_tickets_to_its_queues(scoped: RtStack) -> None:
    in_general = await create(scoped, "general", {"Subject": "scoped: general"})
    assert in_general.status_code == 201, in_general.text
    general_id = in_general.json()["ticketDetails"]["sysId"]
    in_network = await create(scoped, "network", {"Subject": "scoped: network", "Queue": "Network"})
    assert in_network.status_code == 201, in_network.text
    network_id = in_network.json()["ticketDetails"]["sysId"]

    count = await scoped.ticket_count()
    refused = await create(scoped, "general", {"Subject": "scoped: no", "Queue": "Network"})
    assert refused.status_code == 403
    assert "'Network' is not one of them" in refused.json()["statusMessage"]
    assert await scoped.ticket_count() == count  # nothing written

    assert (await fetch(scoped, "general", general_id)).status_code == 200
    assert (await fetch(scoped, "general", network_id)).status_code == 404
    assert (await fetch(scoped, "network", network_id)).status_code == 200
    assert (await fetch(scoped, "network", general_id)).status_code == 404

    before = await scoped.rt_ticket(network_id)
    assert (await update(scoped, "general", network_id, {"Subject": "taken"})).status_code == 404
    moved = await update(scoped, "general", general_id, {"Queue": "Network"})
    assert moved.status_code == 403
    assert (await scoped.rt_ticket(network_id))["Subject"] == before["Subject"]
    assert (await scoped.rt_ticket(general_id))["Queue"]["id"] != before["Queue"]["id"]

    query = (
        'query($n: String!) { ticket(number: $n, connection: {connectionId: "general"}) '
        "{ ticketNumber } }"
    )
    answer = (await scoped.graphql(query, {"n": network_id})).json()
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
