"""ServiceNow through the gateway: people, groups and choices named in TicketInput are looked up
before anything is written (issue 12, item 2), and people are answered by display name on every
path (item 5). What ServiceNow stores is read from the emulator's own records."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from emulators.servicenow import seed
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS

CREATE = (
    "mutation($c: ConnectionInput!, $t: TicketInput) "
    "{ createTicket(connection: $c, ticket: $t) { ticketNumber sysId assignedTo assignedGroup "
    "callerId createdBy } }"
)
UPDATE = (
    "mutation($s: String!, $c: ConnectionInput!, $t: TicketInput) "
    "{ updateTicket(sysId: $s, connection: $c, ticket: $t) { assignedTo assignedGroup } }"
)


def stored(stack: Stack, sys_id: str) -> dict[str, str]:
    [row] = [r for r in stack.emulator.records("incident") if r["sys_id"] == sys_id]
    return row


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    payload = response.json()
    assert "errors" not in payload, payload
    ticket: dict[str, Any] = payload["data"]["createTicket"]
    return ticket


def refused(response: httpx.Response) -> str:
    payload = response.json()
    # Root results are nullable (docs/contract.md#graphql): the failed field is null, and a
    # request error answers no data at all.
    assert not any((payload.get("data") or {}).values()), payload
    [error] = payload["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": 400}
    message: str = error["message"]
    return message


@pytest.mark.parametrize("name", ["beth.anglin", "beth.anglin@example.com", "Beth Anglin"])
async def test_an_assignment_by_name_stores_the_users_sys_id(stack: Stack, name: str) -> None:
    ticket_input = {"shortDescription": "VPN drops", "assignedTo": name, "callerId": "Abel Tuter"}
    ticket = created(await stack.graphql(CREATE, {"c": stack.connection(), "t": ticket_input}))

    row = stored(stack, ticket["sysId"])
    assert (row["assigned_to"], row["caller_id"]) == (seed.BETH_ANGLIN, seed.ABEL_TUTER)
    assert ticket["assignedTo"] == "Beth Anglin"
    assert ticket["createdBy"] == "Gateway Integration"  # sys_created_by is a user name


async def test_a_group_by_name_is_stored_as_its_sys_id(stack: Stack) -> None:
    sys_id = seed.INC_NEW[1]
    response = await stack.graphql(
        UPDATE, {"s": sys_id, "c": stack.connection(), "t": {"assignedGroup": "Database"}}
    )
    assert response.json()["data"]["updateTicket"]["assignedGroup"] == "Database"
    assert stored(stack, sys_id)["assignment_group"] == seed.DATABASE


async def test_an_unknown_name_is_400_and_nothing_is_written(stack: Stack) -> None:
    before = len(stack.emulator.records("incident"))
    ticket_input = {"shortDescription": "VPN drops", "assignedTo": "Bob Nobody"}

    message = refused(await stack.graphql(CREATE, {"c": stack.connection(), "t": ticket_input}))

    assert message.startswith(
        "assignedTo 'Bob Nobody' matches no active ServiceNow user (by user name, email or name)"
    )
    assert len(stack.emulator.records("incident")) == before
    assert stack.writes() == []


async def test_an_ambiguous_name_lists_the_candidates_and_writes_nothing(stack: Stack) -> None:
    def alex_chens() -> list[dict[str, str]]:
        users = stack.emulator.records("sys_user")
        return [u for u in users if u.get("name") == "Alex Chen" and u.get("active") == "true"]

    for n in range(len(alex_chens()), 2):  # unless the seed has them
        user_name = f"alex.chen.test{n}"
        stack.emulator.insert_raw(
            "sys_user",
            {
                "sys_id": seed.stable_id("sys_user", user_name),
                "user_name": user_name,
                "name": "Alex Chen",
                "email": f"{user_name}@example.com",
                "active": "true",
            },
        )
    ticket_input = {"shortDescription": "VPN drops", "callerId": "Alex Chen"}

    message = refused(await stack.graphql(CREATE, {"c": stack.connection(), "t": ticket_input}))

    assert f"matches {len(alex_chens())} active ServiceNow users" in message
    for alex in alex_chens():
        assert f"Alex Chen ({alex['user_name']}, {alex['email']})" in message
    assert stack.writes() == []


async def test_a_label_that_is_no_choice_is_400_listing_the_choices(stack: Stack) -> None:
    ticket_input = {"shortDescription": "VPN drops", "urgency": "Urgent"}

    message = refused(await stack.graphql(CREATE, {"c": stack.connection(), "t": ticket_input}))

    assert message.endswith("use one of 1 - High, 2 - Medium, 3 - Low")
    assert stack.writes() == []


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_people_are_display_names_on_the_table_path_and_the_fallback_alike(
    stack: Stack, door: Any
) -> None:
    fields = ["createdBy", "updatedBy", "comments"]
    table = await door.fetch(stack, seed.INC_NEW[0], fields)
    stack.emulator.faults.journal_forbidden = True  # the display-text fallback
    fallback = await door.fetch(stack, seed.INC_NEW[0], fields, zone="America/Los_Angeles")

    authors = [[c["commentBy"] for c in o.details["comments"]] for o in (table, fallback)]
    assert authors[0] == authors[1] and authors[0]
    assert table.details["createdBy"] == "Gateway Integration"
