"""GraphQL results that survive their siblings, and ``createTicket(idempotencyKey)``
(docs/contract.md#graphql): one failing root field is null with its error, the others answered.
"""

from __future__ import annotations

import uuid
from typing import Any

from emulators.servicenow.seed import INC_DST, INC_NEW
from tests.e2e.conftest import Stack
from tests.graph.test_graphiql_example import template

UNKNOWN_NUMBER = "INC0099999"
UNKNOWN_SYS_ID = "0" * 32

CREATE_THEN_UPDATE = """
mutation($c: ConnectionInput!, $unknown: String!) {
  a: createTicket(connection: $c, ticket: {shortDescription: "created before a failure"}) {
    ticketNumber sysId shortDescription
  }
  b: updateTicket(sysId: $unknown, connection: $c, ticket: {urgency: "2"}) { sysId }
}
"""

KEYED_CREATE = """
mutation($c: ConnectionInput!, $k: String) {
  createTicket(connection: $c, idempotencyKey: $k, ticket: {shortDescription: "keyed"}) {
    ticketNumber sysId
  }
}
"""


def created_rows(stack: Stack) -> int:
    return sum(1 for r in stack.writes() if r.method == "POST" and r.table == "incident")


async def test_a_failing_mutation_does_not_hide_the_ticket_its_sibling_created(
    stack: Stack,
) -> None:
    response = await stack.graphql(
        CREATE_THEN_UPDATE, {"c": stack.connection(), "unknown": UNKNOWN_SYS_ID}
    )

    assert response.status_code == 200, response.text
    payload = response.json()
    created = payload["data"]["a"]
    assert created["ticketNumber"] and created["sysId"], payload
    assert created["shortDescription"] == "created before a failure"
    assert payload["data"]["b"] is None
    [error] = payload["errors"]
    assert error["path"] == ["b"]
    assert error["extensions"] == {"code": "NOT_FOUND", "statusCode": 404}


async def test_one_unknown_ticket_among_aliases_loses_only_itself(stack: Stack) -> None:
    query = """
    query($c: ConnectionInput!, $one: String!, $two: String!, $unknown: String!) {
      one: ticket(number: $one, connection: $c) { ticketNumber }
      missing: ticket(number: $unknown, connection: $c) { ticketNumber }
      two: ticket(number: $two, connection: $c) { ticketNumber }
    }
    """
    response = await stack.graphql(
        query,
        {"c": stack.connection(), "one": INC_NEW[0], "two": INC_DST[0], "unknown": UNKNOWN_NUMBER},
    )

    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["data"] == {
        "one": {"ticketNumber": INC_NEW[0]},
        "missing": None,
        "two": {"ticketNumber": INC_DST[0]},
    }
    [error] = payload["errors"]
    assert error["path"] == ["missing"] and error["extensions"]["code"] == "NOT_FOUND"


async def test_the_idempotency_key_argument_replays_the_first_create(stack: Stack) -> None:
    key = str(uuid.uuid4())
    variables: dict[str, Any] = {"c": stack.connection(), "k": key}
    before = created_rows(stack)

    first = await stack.graphql(KEYED_CREATE, variables)
    again = await stack.graphql(KEYED_CREATE, variables)

    assert "errors" not in first.json(), first.text
    assert again.json() == first.json()
    assert created_rows(stack) == before + 1


async def test_the_argument_and_the_header_are_one_key(stack: Stack) -> None:
    key = str(uuid.uuid4())
    variables: dict[str, Any] = {"c": stack.connection(), "k": key}
    before = created_rows(stack)

    first = await stack.graphql(KEYED_CREATE, variables, headers={"Idempotency-Key": key})
    by_header = await stack.graphql(
        KEYED_CREATE, {"c": stack.connection()}, headers={"Idempotency-Key": key}
    )

    assert "errors" not in first.json(), first.text
    assert by_header.json() == first.json()
    assert created_rows(stack) == before + 1


async def test_an_argument_and_a_different_header_are_refused_unwritten(stack: Stack) -> None:
    before = created_rows(stack)
    response = await stack.graphql(
        KEYED_CREATE,
        {"c": stack.connection(), "k": str(uuid.uuid4())},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )

    payload = response.json()
    assert payload["data"] == {"createTicket": None}, payload
    [error] = payload["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": 400}
    assert "idempotencyKey" in error["message"] and "Idempotency-Key" in error["message"]
    assert created_rows(stack) == before


async def test_a_malformed_idempotency_key_argument_is_refused_by_its_name(stack: Stack) -> None:
    before = created_rows(stack)
    response = await stack.graphql(KEYED_CREATE, {"c": stack.connection(), "k": "caf\u00e9"})

    payload = response.json()
    assert payload["data"] == {"createTicket": None}, payload
    [error] = payload["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": 400}
    assert error["message"].startswith("idempotencyKey must be 1 to 255 printable ASCII")
    assert created_rows(stack) == before


async def test_graphiqls_two_examples_answer_against_a_real_stack(stack: Stack) -> None:
    """The fetch and the search GraphiQL opens with (graph/graphiql/page.js), with the stack's
    connection in place of the placeholders."""
    fetched = await stack.graphql(
        template("EXAMPLE_QUERY"), {"number": "INC0010001", "connection": stack.connection()}
    )
    assert fetched.json()["data"]["ticket"]["ticketNumber"] == "INC0010001", fetched.text
    searched = await stack.graphql(template("SEARCH_QUERY"), {"connection": stack.connection()})
    page = searched.json()["data"]["tickets"]
    assert page["edges"] and "errors" not in searched.json(), searched.text
