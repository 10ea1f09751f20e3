"""Journals and SLAs under real ACLs, through both doors against the emulator: comments arrive
whole when ``sys_journal_field`` is ACL-filtered (200 with rows missing), and a refused SLA read
leaves every other field answered (REST 200 naming ``task_sla``; GraphQL partial data with an
error on the field's path)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS

SLA_REFUSED = "task_sla: the account lacks read access (role sla_admin or an ACL on task_sla)"


def _without_authors(details: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    # The table gives user names, the display text full names; times and texts must agree.
    return {
        "comments": [(c["commentTime"], c["comment"]) for c in details["comments"]],
        "workNotes": [(n["workNoteTime"], n["workNote"]) for n in details["workNotes"]],
    }


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_comments_arrive_whole_when_the_journal_table_is_acl_filtered(
    stack: Stack, door: Any
) -> None:
    fields = ["comments", "workNotes"]
    whole = await door.fetch(stack, "INC0010002", fields, zone="America/Los_Angeles")
    stack.emulator.faults.journal_filtered = True  # 200, every row filtered out
    filtered = await door.fetch(stack, "INC0010002", fields, zone="America/Los_Angeles")

    assert filtered.status == 200
    assert whole.details["comments"]
    assert _without_authors(filtered.details) == _without_authors(whole.details)
    # The comparison costs no call: the display text came with the incident row.
    assert [c.table for c in stack.table_requests()][-2:] == ["incident", "sys_journal_field"]


async def test_rest_answers_the_rest_of_the_ticket_when_the_sla_read_is_refused(
    stack: Stack,
) -> None:
    stack.emulator.faults.sla_forbidden = True
    body = {"ticketNumber": "INC0010003", "connectionDetails": stack.connection()}

    response = await stack.rest("POST", "fetch", {**body, "ticketFields": []})

    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["statusCode"] == "200"
    assert payload["statusMessage"] == (
        f"Fetched incident INC0010003; ticketBusinessTimeLeft left empty: {SLA_REFUSED}"
    )
    details = payload["ticketDetails"]
    assert details["ticketBusinessTimeLeft"] == ""
    assert details["ticketNumber"] == "INC0010003"
    assert details["shortDescription"]
    assert details["comments"] == []  # read, and this incident has none


async def test_graphql_gives_partial_data_and_an_error_on_the_refused_field(
    stack: Stack,
) -> None:
    stack.emulator.faults.sla_forbidden = True
    query = (
        'query($c: ConnectionInput!) { ticket(number: "INC0010003", connection: $c) '
        "{ ticketNumber shortDescription ticketBusinessTimeLeft comments { comment } } }"
    )

    response = await stack.graphql(query, {"c": stack.connection()})

    assert response.status_code == 200
    payload = response.json()
    ticket = payload["data"]["ticket"]
    assert ticket["ticketNumber"] == "INC0010003"
    assert ticket["shortDescription"]
    assert ticket["comments"] == []  # read, and this incident has none
    assert ticket["ticketBusinessTimeLeft"] is None
    assert payload["errors"] == [
        {
            "message": SLA_REFUSED,
            "locations": payload["errors"][0]["locations"],
            "path": ["ticket", "ticketBusinessTimeLeft"],
            "extensions": {"code": "OPTIONAL_READ_REFUSED", "statusCode": 502},
        }
    ]


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_an_acl_filtered_sla_table_is_simply_no_sla(stack: Stack, door: Any) -> None:
    stack.emulator.faults.sla_filtered = True  # 200 with no rows: nothing says it was refused
    outcome = await door.fetch(stack, "INC0010003", ["ticketNumber", "ticketBusinessTimeLeft"])
    assert outcome.status == 200
    assert outcome.details == {"ticketNumber": "INC0010003", "ticketBusinessTimeLeft": ""}


async def test_a_create_whose_sla_read_back_is_refused_is_still_a_created_ticket(
    stack: Stack,
) -> None:
    stack.emulator.faults.sla_forbidden = True
    body = {
        "connectionDetails": stack.connection(),
        "ticketJSON": {"short_description": "Projector flickers", "urgency": "3", "impact": "3"},
        "ticketFields": ["ticketNumber", "shortDescription", "ticketBusinessTimeLeft"],
    }
    response = await stack.rest("POST", "create", body)

    assert response.status_code == 201, response.text
    payload = response.json()
    number = payload["ticketDetails"]["ticketNumber"]
    assert payload["statusMessage"] == (
        f"Created incident {number}; ticketBusinessTimeLeft left empty: {SLA_REFUSED}"
    )
    assert payload["ticketDetails"]["shortDescription"] == "Projector flickers"

    mutation = (
        "mutation($c: ConnectionInput!, $j: JSON) { createTicket(connection: $c, ticketJSON: $j) "
        "{ ticketNumber ticketBusinessTimeLeft } }"
    )
    answer = await stack.graphql(mutation, {"c": stack.connection(), "j": body["ticketJSON"]})
    created = answer.json()
    assert created["data"]["createTicket"]["ticketNumber"].startswith("INC")
    assert created["data"]["createTicket"]["ticketBusinessTimeLeft"] is None
    assert [e["path"] for e in created["errors"]] == [["createTicket", "ticketBusinessTimeLeft"]]
