"""The GraphQL door as a real GraphQL client sees it: gql, over real HTTP, against the e2e stack.

A result with errors reaches a gql user as ``TransportQueryError``, carrying the ``data`` that
was answered beside the ``errors``: what a client relies on for partial results
(docs/contract.md#graphql).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gql import Client, gql
from gql.client import AsyncClientSession
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError

from emulators.servicenow.seed import INC_DST, INC_NEW
from tests.e2e.conftest import Stack

UNKNOWN_NUMBER = "INC0099999"
UNKNOWN_SYS_ID = "0" * 32


@pytest.fixture
async def session(stack: Stack) -> AsyncIterator[AsyncClientSession]:
    transport = AIOHTTPTransport(url=f"{stack.gateway_url}/graphql", headers=stack.headers())
    # The client checks documents against the schema it reads from the gateway (introspection),
    # as GraphiQL and code generators do.
    client = Client(transport=transport, fetch_schema_from_transport=True)
    async with client as connected:
        assert isinstance(connected, AsyncClientSession)
        yield connected


async def partial(
    session: AsyncClientSession, document: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The data and the errors of a result that has errors."""
    request = gql(document)
    request.variable_values = variables
    with pytest.raises(TransportQueryError) as failed:
        await session.execute(request)
    assert failed.value.data is not None and failed.value.errors, failed.value
    return failed.value.data, failed.value.errors


async def test_the_schema_the_client_reads_has_the_enums(session: AsyncClientSession) -> None:
    assert session.client.schema is not None
    connection_input = session.client.schema.type_map["ConnectionInput"]
    assert str(connection_input.fields["itsmType"].type) == "ItsmType"  # type: ignore[attr-defined]


async def test_a_failing_second_mutation_still_returns_the_firsts_ticket(
    stack: Stack, session: AsyncClientSession
) -> None:
    document = """
    mutation($c: ConnectionInput!, $unknown: String!) {
      first: createTicket(connection: $c, ticket: {shortDescription: "from gql"}) {
        ticketNumber sysId shortDescription
      }
      second: updateTicket(sysId: $unknown, connection: $c, ticket: {urgency: "2"}) {
        sysId
      }
    }
    """
    data, errors = await partial(
        session, document, {"c": stack.connection(), "unknown": UNKNOWN_SYS_ID}
    )

    first = data["first"]
    assert first["ticketNumber"] and first["sysId"] and first["shortDescription"] == "from gql"
    assert data["second"] is None
    [error] = errors
    assert error["path"] == ["second"] and error["extensions"]["code"] == "NOT_FOUND"
    # The created ticket is there to fetch: nobody needs to create it again.
    fetched = gql(
        "query($n: String!, $c: ConnectionInput!) { ticket(number: $n, connection: $c) { sysId } }"
    )
    fetched.variable_values = {"n": first["ticketNumber"], "c": stack.connection()}
    assert await session.execute(fetched) == {"ticket": {"sysId": first["sysId"]}}


async def test_aliases_with_one_unknown_ticket_return_the_others(
    stack: Stack, session: AsyncClientSession
) -> None:
    document = """
    query($c: ConnectionInput!, $one: String!, $two: String!, $unknown: String!) {
      one: ticket(number: $one, connection: $c) { ticketNumber }
      unknown: ticket(number: $unknown, connection: $c) { ticketNumber }
      two: ticket(number: $two, connection: $c) { ticketNumber }
    }
    """
    data, errors = await partial(
        session,
        document,
        {"c": stack.connection(), "one": INC_NEW[0], "two": INC_DST[0], "unknown": UNKNOWN_NUMBER},
    )

    assert data == {
        "one": {"ticketNumber": INC_NEW[0]},
        "unknown": None,
        "two": {"ticketNumber": INC_DST[0]},
    }
    [error] = errors
    assert error["path"] == ["unknown"] and error["extensions"]["code"] == "NOT_FOUND"


async def test_the_idempotency_key_argument_makes_a_retry_safe(
    stack: Stack, session: AsyncClientSession
) -> None:
    request = gql(
        "mutation($c: ConnectionInput!, $k: String) { createTicket(connection: $c, "
        'idempotencyKey: $k, ticket: {shortDescription: "retried"}) { sysId } }'
    )
    request.variable_values = {"c": stack.connection(), "k": str(uuid.uuid4())}

    first = await session.execute(request)
    again = await session.execute(request)

    assert again == first
    created = [r for r in stack.writes() if r.method == "POST" and r.table == "incident"]
    assert len(created) == 1
