"""The GraphQL door end to end (docs/contract.md#graphql): schema drift, GraphiQL, GET, the
selection set as the field set counted at the emulator, typed writes, and error codes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulators.servicenow.seed import INC_NEW, INC_SLAS, NEXT_NUMBER
from gateway.commands.cli import schema_sdl
from tests.e2e.conftest import Stack

REPO_ROOT = Path(__file__).resolve().parents[2]
UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}")

JOURNAL_AND_SLA_COLUMNS = {"comments", "work_notes", "business_time_left"}

FETCH = (
    "query($n: String!, $c: ConnectionInput!) "
    "{{ ticket(number: $n, connection: $c) {{ {selection} }} }}{fragments}"
)


def fetch_query(selection: str, fragments: str = "") -> str:
    return FETCH.format(selection=selection, fragments=fragments)


def variables(stack: Stack, number: str = INC_NEW[0]) -> dict[str, Any]:
    return {"n": number, "c": stack.connection()}


def data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    payload = response.json()
    assert "errors" not in payload, payload
    return payload["data"]


def only_error(response: httpx.Response) -> dict[str, Any]:
    payload = response.json()
    # Root results are nullable (docs/contract.md#graphql): the failed field is null, and a
    # request error answers no data at all.
    assert not any((payload.get("data") or {}).values()), payload
    [error] = payload["errors"]
    return error


def sysparm_fields(request: Any) -> set[str]:
    return set(request.query["sysparm_fields"].split(","))


def tables_called(stack: Stack) -> list[str]:
    return sorted(r.table for r in stack.table_requests())


# -- the schema file -----------------------------------------------------------------------------


def test_schema_file_matches_the_code() -> None:
    schema_file = REPO_ROOT / "schema.graphql"
    assert schema_file.exists(), "run `itsm-gateway export-schema` and commit schema.graphql"
    assert schema_file.read_text() == schema_sdl()


# -- GraphiQL and GET ----------------------------------------------------------------------------


async def test_graphiql_is_served_to_a_browser_without_a_token(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.gateway_url}/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_a_query_by_get_works(stack: Stack) -> None:
    response = await stack.http.get(
        f"{stack.gateway_url}/graphql",
        params={
            "query": fetch_query("ticketNumber shortDescription"),
            "variables": json.dumps(variables(stack)),
        },
        headers=stack.headers(),
    )
    ticket = data(response)["ticket"]
    assert ticket["ticketNumber"] == INC_NEW[0]
    assert ticket["shortDescription"]


async def test_a_mutation_by_get_is_refused_and_writes_nothing(stack: Stack) -> None:
    mutation = (
        "mutation($c: ConnectionInput!) "
        '{ createTicket(connection: $c, ticketJSON: {short_description: "by GET"}) { sysId } }'
    )
    response = await stack.http.get(
        f"{stack.gateway_url}/graphql",
        params={"query": mutation, "variables": json.dumps({"c": stack.connection()})},
        headers=stack.headers(),
    )
    assert response.status_code in (400, 405), response.text
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": response.status_code}
    assert "GET" in error["message"]
    assert stack.writes() == []
    assert [r for r in stack.emulator.records("incident") if r["number"] == NEXT_NUMBER] == []


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_request_without_a_token_is_401(stack: Stack, method: str) -> None:
    query = fetch_query("ticketNumber")
    if method == "POST":
        response = await stack.http.post(
            f"{stack.gateway_url}/graphql", json={"query": query, "variables": variables(stack)}
        )
    else:
        response = await stack.http.get(
            f"{stack.gateway_url}/graphql",
            params={"query": query, "variables": json.dumps(variables(stack))},
        )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert only_error(response)["extensions"] == {"code": "UNAUTHENTICATED", "statusCode": 401}
    assert stack.table_requests() == []


async def test_a_mutation_without_a_token_is_401_and_writes_nothing(stack: Stack) -> None:
    response = await stack.http.post(
        f"{stack.gateway_url}/graphql",
        json={
            "query": "mutation($c: ConnectionInput!, $j: JSON) "
            "{ createTicket(connection: $c, ticketJSON: $j) { sysId } }",
            "variables": {"c": stack.connection(), "j": {"short_description": "no token"}},
        },
    )
    assert response.status_code == 401
    assert stack.writes() == []


# -- the selection set is the field set ----------------------------------------------------------


async def test_one_scalar_field_makes_one_incident_call_for_its_column(stack: Stack) -> None:
    ticket = data(await stack.graphql(fetch_query("shortDescription"), variables(stack)))["ticket"]
    assert ticket == {"shortDescription": "Cannot send email from Outlook"}
    [call] = stack.table_requests()
    assert call.table == "incident"
    columns = sysparm_fields(call)
    assert "short_description" in columns
    assert columns.isdisjoint(JOURNAL_AND_SLA_COLUMNS)


COMMENTS_BY_FRAGMENT = [
    pytest.param(
        "shortDescription ...notes",
        " fragment notes on Ticket { comments { commentBy commentTime comment } }",
        id="named-fragment",
    ),
    pytest.param(
        "shortDescription ... on Ticket { comments { comment } }",
        "",
        id="inline-fragment",
    ),
]


@pytest.mark.parametrize(("selection", "fragments"), COMMENTS_BY_FRAGMENT)
async def test_comments_through_a_fragment_adds_exactly_one_journal_call(
    stack: Stack, selection: str, fragments: str
) -> None:
    ticket = data(await stack.graphql(fetch_query(selection, fragments), variables(stack)))[
        "ticket"
    ]
    assert ticket["comments"], "INC0010001 has a comment in the seed"
    # and at most one sys_user call for the authors' display names (cached per account)
    called = tables_called(stack)
    assert called.count("sys_user") <= 1
    assert [table for table in called if table != "sys_user"] == ["incident", "sys_journal_field"]


async def test_business_time_left_adds_exactly_one_sla_call(stack: Stack) -> None:
    ticket = data(
        await stack.graphql(
            fetch_query("shortDescription ticketBusinessTimeLeft"),
            variables(stack, INC_SLAS[0]),
        )
    )["ticket"]
    assert ticket["ticketBusinessTimeLeft"] == "9000"
    assert tables_called(stack) == ["incident", "task_sla"]
    [incident] = stack.table_requests("incident")
    assert sysparm_fields(incident).isdisjoint(JOURNAL_AND_SLA_COLUMNS)


async def test_a_field_under_include_false_is_not_fetched(stack: Stack) -> None:
    query = (
        "query($n: String!, $c: ConnectionInput!, $with: Boolean!) "
        "{ ticket(number: $n, connection: $c) "
        "{ shortDescription comments @include(if: $with) { comment } "
        "ticketBusinessTimeLeft @skip(if: true) } }"
    )
    ticket = data(await stack.graphql(query, {**variables(stack), "with": False}))["ticket"]
    assert ticket == {"shortDescription": "Cannot send email from Outlook"}
    assert tables_called(stack) == ["incident"]
    [incident] = stack.table_requests("incident")
    assert sysparm_fields(incident).isdisjoint(JOURNAL_AND_SLA_COLUMNS)


async def test_a_literal_include_false_is_not_fetched(stack: Stack) -> None:
    selection = "ticketNumber workNotes @include(if: false) { workNote }"
    ticket = data(await stack.graphql(fetch_query(selection), variables(stack)))["ticket"]
    assert ticket == {"ticketNumber": INC_NEW[0]}
    assert tables_called(stack) == ["incident"]


async def test_aliases_work(stack: Stack) -> None:
    selection = "id: sysId number: ticketNumber summary: shortDescription again: shortDescription"
    ticket = data(await stack.graphql(fetch_query(selection), variables(stack)))["ticket"]
    assert ticket == {
        "id": INC_NEW[1],
        "number": INC_NEW[0],
        "summary": "Cannot send email from Outlook",
        "again": "Cannot send email from Outlook",
    }
    [call] = stack.table_requests()
    assert {"sys_id", "number", "short_description"} <= sysparm_fields(call)


# -- writes --------------------------------------------------------------------------------------

CREATE = (
    "mutation($c: ConnectionInput!, $t: TicketInput, $j: JSON) "
    "{ createTicket(connection: $c, ticket: $t, ticketJSON: $j) "
    "{ ticketNumber sysId ticketStatus urgency comments { comment } } }"
)


async def test_create_with_a_typed_ticket_input(stack: Stack) -> None:
    ticket_input = {
        "shortDescription": "Printer on fire, floor 3",
        "ticketStatus": "In Progress",
        "urgency": "1 - High",
        "comments": "Smoke seen at 09:12",
    }
    ticket = data(await stack.graphql(CREATE, {"c": stack.connection(), "t": ticket_input}))[
        "createTicket"
    ]
    assert ticket["ticketNumber"] == NEXT_NUMBER
    assert ticket["ticketStatus"] == "In Progress"
    assert ticket["comments"] == [{"comment": "Smoke seen at 09:12"}]

    [created] = [r for r in stack.emulator.records("incident") if r["sys_id"] == ticket["sysId"]]
    assert created["short_description"] == "Printer on fire, floor 3"
    assert created["state"] == "2"
    assert created["urgency"] == "1"
    journal = [
        r for r in stack.emulator.records("sys_journal_field") if r["element_id"] == ticket["sysId"]
    ]
    assert [(r["element"], r["value"]) for r in journal] == [("comments", "Smoke seen at 09:12")]
    assert [w.method for w in stack.writes()] == ["POST"]


async def test_the_same_column_from_ticket_input_and_ticket_json_is_refused(
    stack: Stack,
) -> None:
    before = stack.emulator.records("incident")
    response = await stack.graphql(
        CREATE,
        {
            "c": stack.connection(),
            "t": {"shortDescription": "typed"},
            "j": {"short_description": "native"},
        },
    )
    error = only_error(response)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": 400}
    assert "short_description" in error["message"]
    assert stack.writes() == []
    assert stack.emulator.records("incident") == before


@pytest.mark.parametrize("as_variable", [True, False], ids=["variable", "literal"])
async def test_ticket_json_that_is_not_an_object_is_refused(
    stack: Stack, as_variable: bool
) -> None:
    if as_variable:
        response = await stack.graphql(CREATE, {"c": stack.connection(), "j": [1, 2]})
    else:
        response = await stack.graphql(
            "mutation($c: ConnectionInput!) "
            "{ createTicket(connection: $c, ticketJSON: [1, 2]) { sysId } }",
            {"c": stack.connection()},
        )
    error = only_error(response)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": 400}
    assert "ticketJSON" in error["message"]
    assert stack.writes() == []


# -- errors and values ---------------------------------------------------------------------------


async def test_a_syntax_error_is_bad_user_input(stack: Stack) -> None:
    error = only_error(await stack.graphql("{ ticket(", {}))
    assert error.get("extensions") == {"code": "BAD_USER_INPUT", "statusCode": 400}
    assert stack.table_requests() == []


async def test_an_unknown_field_is_bad_user_input(stack: Stack) -> None:
    error = only_error(await stack.graphql(fetch_query("ticketNumbr"), variables(stack)))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": 400}
    assert "ticketNumbr" in error["message"]
    assert stack.table_requests() == []


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"n": 5}, id="wrong-type"),
        pytest.param({"n": None}, id="missing-required"),
        pytest.param({"c": {"pasword": "x"}}, id="misspelt-connection-key"),
    ],
)
async def test_a_bad_variable_is_bad_user_input(stack: Stack, bad: dict[str, Any]) -> None:
    values = {**variables(stack), **bad}
    error = only_error(await stack.graphql(fetch_query("ticketNumber"), values))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": 400}
    assert "Internal error" not in error["message"]
    assert stack.table_requests() == []


async def test_times_have_six_fraction_digits_and_no_zone(stack: Stack) -> None:
    selection = "createdTime updatedTime comments { commentTime }"
    ticket = data(await stack.graphql(fetch_query(selection), variables(stack)))["ticket"]
    times = [ticket["createdTime"], ticket["updatedTime"]]
    times += [c["commentTime"] for c in ticket["comments"]]
    assert len(times) >= 3
    for value in times:
        assert UTC_TIME.fullmatch(value), value


async def test_a_value_the_itsm_lacks_is_null_in_graphql_and_empty_in_rest(stack: Stack) -> None:
    ticket = data(await stack.graphql(fetch_query("closedBy resolvedTime"), variables(stack)))[
        "ticket"
    ]
    assert ticket == {"closedBy": None, "resolvedTime": None}

    response = await stack.rest(
        "GET",
        "fetch",
        {
            "ticketNumber": INC_NEW[0],
            "connectionDetails": stack.connection(),
            "ticketFields": ["closedBy", "resolvedTime"],
        },
    )
    assert response.status_code == 200
    assert response.json()["ticketDetails"] == {"closedBy": "", "resolvedTime": ""}
