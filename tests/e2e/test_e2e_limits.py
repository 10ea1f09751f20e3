"""Limits on input and the production switches (issue 4, item 5), end to end.

GraphQL: depth, tokens, aliases and tickets per request, each refused as ``BAD_USER_INPUT`` (400)
before any resolver runs; GraphiQL, GraphQL over GET and introspection switched off. REST: the
length of ``ticketFields`` and of every ``connectionDetails`` value, with the same connection
limits through the GraphQL door (docs/contract.md#doors: the doors behave alike).

Every refusal is checked at the emulator too: nothing reached the ITSM.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from emulators.servicenow.seed import INC_NEW
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, RestDoor
from tests.support.servers import serving, wait_until_ready

# The locked-down gateway's limits: small, so that tests stay readable.
MAX_DEPTH = 3
MAX_TOKENS = 150
MAX_ALIASES = 4
MAX_TICKETS = 2
MAX_DOCUMENT_BYTES = 4096


@pytest.fixture(scope="module")
async def locked(stack: Stack) -> AsyncIterator[Stack]:
    """The stack behind a gateway configured as for production: no GraphiQL, no GraphQL over
    GET, no introspection, and small limits."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        graphiql=False,
        graphql_get=False,
        graphql_introspection=False,
        graphql_max_depth=MAX_DEPTH,
        graphql_max_tokens=MAX_TOKENS,
        graphql_max_aliases=MAX_ALIASES,
        graphql_max_document_bytes=MAX_DOCUMENT_BYTES,
        max_tickets_per_request=MAX_TICKETS,
    )
    async with serving(create_app(settings)) as url:
        await wait_until_ready(url)
        yield dataclasses.replace(stack, gateway_url=url)


def fetches(stack: Stack, count: int, selection: str = "ticketNumber") -> str:
    """One query with ``count`` aliased ``ticket`` fields, all for the same incident."""
    fields = " ".join(
        f"t{i}: ticket(number: $n, connection: $c) {{ {selection} }}" for i in range(count)
    )
    return f"query($n: String!, $c: ConnectionInput!) {{ {fields} }}"


def variables(stack: Stack) -> dict[str, Any]:
    return {"n": INC_NEW[0], "c": stack.connection()}


def refusal(response: httpx.Response, *words: str) -> dict[str, Any]:
    """The one error of a request refused as the caller's mistake, naming ``words``."""
    payload = response.json()
    # Root results are nullable (docs/contract.md#graphql): the failed field is null, and a
    # request error answers no data at all.
    assert not any((payload.get("data") or {}).values()), payload
    errors = payload["errors"]
    for error in errors:
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": 400}, error
    [error] = [e for e in errors if all(word in e["message"] for word in words)]
    return error


def data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    payload = response.json()
    assert "errors" not in payload, payload
    return payload["data"]


# -- tickets per request -------------------------------------------------------------------------


async def test_as_many_tickets_as_the_limit_are_fetched(locked: Stack) -> None:
    answer = data(await locked.graphql(fetches(locked, MAX_TICKETS), variables(locked)))
    assert answer == {f"t{i}": {"ticketNumber": INC_NEW[0]} for i in range(MAX_TICKETS)}
    # Batched (issue 14, item 7): the aliased ticket fields of one connection are one row call.
    assert len(locked.table_requests("incident")) == 1


async def test_one_ticket_over_the_limit_is_refused_before_any_itsm_call(locked: Stack) -> None:
    response = await locked.graphql(fetches(locked, MAX_TICKETS + 1), variables(locked))
    error = refusal(response, f"{MAX_TICKETS + 1} tickets", f"at most {MAX_TICKETS}")
    assert "split it" in error["message"]
    assert locked.table_requests() == []


async def test_tickets_through_fragments_count(locked: Stack) -> None:
    query = (
        "query($n: String!, $c: ConnectionInput!) { a: ticket(number: $n, connection: $c) "
        "{ sysId } ...more ... on Query { c: ticket(number: $n, connection: $c) { sysId } } } "
        "fragment more on Query { b: ticket(number: $n, connection: $c) { sysId } }"
    )
    refusal(await locked.graphql(query, variables(locked)), f"at most {MAX_TICKETS}")
    assert locked.table_requests() == []


async def test_creates_over_the_limit_write_nothing(locked: Stack) -> None:
    create = 'createTicket(connection: $c, ticketJSON: {short_description: "x"}) { sysId }'
    creates = " ".join(f"c{i}: {create}" for i in range(MAX_TICKETS + 1))
    response = await locked.graphql(
        f"mutation($c: ConnectionInput!) {{ {creates} }}", {"c": locked.connection()}
    )
    refusal(response, f"at most {MAX_TICKETS}")
    assert locked.writes() == []


async def test_the_same_field_twice_is_one_ticket(locked: Stack) -> None:
    # GraphQL merges fields with the same response key into one call.
    same = "ticket(number: $n, connection: $c) { sysId }"
    query = f"query($n: String!, $c: ConnectionInput!) {{ {same} {same} {same} }}"
    assert data(await locked.graphql(query, variables(locked)))["ticket"]["sysId"] == INC_NEW[1]
    assert len(locked.table_requests("incident")) == 1


async def test_the_default_limit_is_five_tickets(stack: Stack) -> None:
    refusal(await stack.graphql(fetches(stack, 6), variables(stack)), "6 tickets", "at most 5")
    assert stack.table_requests() == []
    assert len(data(await stack.graphql(fetches(stack, 5), variables(stack)))) == 5


# -- depth, tokens, aliases ----------------------------------------------------------------------


async def test_a_document_deeper_than_the_limit_is_refused(locked: Stack) -> None:
    # The schema itself is shallow (ticket > comments > comment); the limit stops a hostile
    # document before the other rules walk it, whatever else is wrong with it.
    deep = "ticket(number: $n, connection: $c) { comments { comment { a { b { c } } } } }"
    query = f"query Deep($n: String!, $c: ConnectionInput!) {{ {deep} }}"
    refusal(await locked.graphql(query, variables(locked)), "'Deep'", f"depth of {MAX_DEPTH}")
    assert locked.table_requests() == []


@pytest.mark.parametrize(
    ("fragments", "said"),
    [
        pytest.param("", "Unknown fragment 'f'", id="unknown-fragment"),
        pytest.param(
            "fragment f on Ticket { sysId ...f }",
            "Cannot spread fragment 'f' within itself",
            id="cyclic-fragment",
        ),
    ],
)
async def test_broken_fragments_are_the_callers_mistake_not_an_internal_error(
    locked: Stack, fragments: str, said: str
) -> None:
    query = (
        "query($n: String!, $c: ConnectionInput!) "
        f"{{ ticket(number: $n, connection: $c) {{ ...f }} }} {fragments}"
    )
    refusal(await locked.graphql(query, variables(locked)), said)
    assert locked.table_requests() == []


async def test_the_deepest_real_selection_is_within_the_limit(locked: Stack) -> None:
    query = (
        "query($n: String!, $c: ConnectionInput!) "
        "{ ticket(number: $n, connection: $c) { comments { comment } } }"
    )
    assert data(await locked.graphql(query, variables(locked)))["ticket"]["comments"]


async def test_a_document_over_the_token_limit_is_refused(locked: Stack) -> None:
    selection = " ".join(["ticketNumber"] * MAX_TOKENS)
    response = await locked.graphql(fetches(locked, 1, selection), variables(locked))
    refusal(response, f"more than {MAX_TOKENS} tokens")
    assert locked.table_requests() == []


@pytest.mark.parametrize(
    "padding",
    ["# " + "x" * MAX_DOCUMENT_BYTES + "\n", '@include(if: true) # "' + "y" * MAX_DOCUMENT_BYTES],
    ids=["a-comment", "a-long-comment-after-a-directive"],
)
async def test_a_document_over_the_byte_limit_is_refused_before_it_is_parsed(
    locked: Stack, padding: str
) -> None:
    # Comments count no tokens: the token limit alone would let this through, to the parser.
    query = fetches(locked, 1).replace("{ ticketNumber }", "{ ticketNumber " + padding + "\n}")
    response = await locked.graphql(query, variables(locked))
    refusal(response, "bytes", f"at most {MAX_DOCUMENT_BYTES:,}", "GRAPHQL_MAX_DOCUMENT_BYTES")
    assert locked.table_requests() == []


async def test_too_many_aliases_are_refused(locked: Stack) -> None:
    # t0: ticket(...) is one alias, these are the others.
    selection = " ".join(f"a{i}: shortDescription" for i in range(MAX_ALIASES))
    response = await locked.graphql(fetches(locked, 1, selection), variables(locked))
    refusal(response, f"{MAX_ALIASES + 1} aliases", f"Allowed: {MAX_ALIASES}")
    assert locked.table_requests() == []


async def test_graphiqls_own_introspection_query_passes_the_default_limits(stack: Stack) -> None:
    # GraphiQL sends this on load: the limits must not break the IDE they ship with.
    answer = data(await stack.graphql(get_introspection_query(descriptions=True)))
    assert answer["__schema"]["queryType"]["name"] == "Query"


# -- switches ------------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["text/html", "*/*", "application/json"])
async def test_graphiql_switched_off_serves_nothing(locked: Stack, accept: str) -> None:
    response = await locked.http.get(f"{locked.gateway_url}/graphql", headers={"Accept": accept})
    assert response.status_code == 404
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "NOT_FOUND", "statusCode": 404}
    assert "GraphiQL is switched off" in error["message"]
    assert "<html" not in response.text.lower()


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(fetches, id="query"),
        pytest.param(
            lambda stack, count: (
                "mutation($c: ConnectionInput!) "
                '{ createTicket(connection: $c, ticketJSON: {short_description: "x"}) { sysId } }'
            ),
            id="mutation",
        ),
    ],
)
async def test_graphql_over_get_switched_off_is_405(locked: Stack, query: Any) -> None:
    response = await locked.http.get(
        f"{locked.gateway_url}/graphql",
        params={"query": query(locked, 1), "variables": json.dumps(variables(locked))},
        headers=locked.headers(),
    )
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": 405}
    assert "GraphQL over GET is switched off" in error["message"]
    assert locked.table_requests() == []


async def test_post_still_works_with_get_and_graphiql_off(locked: Stack) -> None:
    answer = data(await locked.graphql(fetches(locked, 1), variables(locked)))
    assert answer == {"t0": {"ticketNumber": INC_NEW[0]}}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param("{ __schema { types { name } } }", "__schema", id="schema"),
        pytest.param('{ __type(name: "Ticket") { fields { name } } }', "__type", id="type"),
        pytest.param(
            'query { ...f } fragment f on Query { __type(name: "Ticket") { name } }',
            "__type",
            id="in-a-fragment",
        ),
    ],
)
async def test_introspection_switched_off_is_refused(locked: Stack, query: str, field: str) -> None:
    refusal(await locked.graphql(query), "introspection has been disabled", f"'{field}'")


async def test_typename_stays_allowed_without_introspection(locked: Stack) -> None:
    assert data(await locked.graphql("{ __typename }")) == {"__typename": "Query"}


async def test_introspection_is_on_by_default(stack: Stack) -> None:
    types = data(await stack.graphql("{ __schema { types { name } } }"))["__schema"]["types"]
    assert "Ticket" in {t["name"] for t in types}


# -- string and list lengths, through both doors -------------------------------------------------

doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)

LONG_VALUES = [
    pytest.param("instanceUrl", 2048, id="instanceUrl"),
    pytest.param("password", 1024, id="password"),
    pytest.param("username", 1024, id="username"),
    pytest.param("table", 1024, id="table"),
    pytest.param("token", 8192, id="token"),
]


@doors
@pytest.mark.parametrize(("key", "most"), LONG_VALUES)
async def test_an_over_long_connection_value_is_refused_and_named(
    stack: Stack, door: Any, key: str, most: int
) -> None:
    sentinel = "S3ntinel"
    value = (sentinel * (most // len(sentinel) + 2))[: most + 1]
    if key == "instanceUrl":
        value = f"{stack.emulator_url}/{'x' * (most - len(stack.emulator_url))}"
    outcome = await door.fetch(stack, INC_NEW[0], connection=stack.connection(**{key: value}))
    assert outcome.status == 400, outcome
    assert f".{key} is too long; at most {most} characters" in outcome.message
    assert sentinel not in outcome.response.text
    assert stack.table_requests() == []


@doors
@pytest.mark.parametrize(("key", "most"), LONG_VALUES)
async def test_a_connection_value_at_its_limit_is_accepted(
    stack: Stack, door: Any, key: str, most: int
) -> None:
    """At the limit the value is judged on its meaning (here: a wrong credential, a missing
    page), not refused for its length."""
    value = "v" * most
    if key == "instanceUrl":
        value = f"{stack.emulator_url}/{'x' * (most - len(stack.emulator_url) - 1)}"
    outcome = await door.fetch(stack, INC_NEW[0], connection=stack.connection(**{key: value}))
    assert "too long" not in outcome.message


async def test_too_many_ticket_fields_are_refused(stack: Stack) -> None:
    outcome = await RestDoor().fetch(stack, INC_NEW[0], fields=["ticketNumber"] * 101)
    assert outcome.status == 400
    assert outcome.message == "ticketFields has 101 entries; at most 100 are accepted"
    assert stack.table_requests() == []


async def test_repeated_ticket_fields_within_the_limit_are_answered_once(stack: Stack) -> None:
    outcome = await RestDoor().fetch(stack, INC_NEW[0], fields=["ticketNumber", "sysId"] * 50)
    assert outcome.status == 200, outcome.message
    assert outcome.details == {"ticketNumber": INC_NEW[0], "sysId": INC_NEW[1]}


async def test_an_over_long_ticket_field_name_is_refused_without_echoing_it(stack: Stack) -> None:
    outcome = await RestDoor().fetch(stack, INC_NEW[0], fields=["ticketNumber", "x" * 65])
    assert outcome.status == 400
    assert outcome.message == "ticketFields[1] is too long; at most 64 characters are accepted"


async def test_too_many_ticket_fields_by_query_parameters_are_refused(stack: Stack) -> None:
    response = await stack.http.get(
        f"{stack.gateway_url}/itsm/v1/ticket/fetch",
        params={"ticketNumber": INC_NEW[0], "ticketFields": ",".join(["sysId"] * 101)},
        headers=stack.headers(),
    )
    assert response.status_code == 400
    assert response.json()["statusMessage"] == (
        "ticketFields has 101 entries; at most 100 are accepted"
    )


@doors
@pytest.mark.parametrize("operation", ["fetch", "update"])
async def test_an_over_long_ticket_number_or_sys_id_is_refused_alike_by_both_doors(
    stack: Stack, door: Any, operation: str
) -> None:
    """One rule, owned by the use case: both doors refuse the same length with the same words,
    without echoing the value."""
    value = "INC" + "7" * 1022  # 1025 characters
    if operation == "fetch":
        outcome = await door.fetch(stack, value)
        name = "ticketNumber"
    else:
        outcome = await door.update(stack, value, {"short_description": "x"})
        name = "sysId"
    assert outcome.status == 400, outcome
    assert outcome.message == f"{name} is too long; at most 1024 characters are accepted"
    assert value not in outcome.response.text
    assert stack.table_requests() == []
