"""Against the emulator: names in TicketInput are looked up and stored as sys_ids, an unknown or
ambiguous one writes nothing, a choice label that is no choice is refused, a ticketJSON value
that did not take is reported, and people are answered by display name.

What ServiceNow stores is read through the emulator's own Table API (stored values), never
through the connector under test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.errors import BadInput
from connectors.fields import TicketField as F
from connectors.model import WriteRequest
from connectors.servicenow import ServiceNowConnector, ServiceNowConnectorFactory
from emulators.servicenow import seed
from tests.emulators import conftest as emulator_fixtures
from tests.emulators.conftest import Emulator

emulator = emulator_fixtures.emulator  # the emulator served on a loopback port, per test


@pytest.fixture
async def connector(emulator: Emulator) -> AsyncIterator[ServiceNowConnector]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        factory = ServiceNowConnectorFactory(http)
        credentials = Credentials(
            AuthType.BASIC, username="gateway.integration", password="integration-password"
        )
        yield factory.open(Connection("servicenow", emulator.url, credentials))
        await factory.aclose()


async def stored(emulator: Emulator, sys_id: str, column: str) -> str:
    """The stored value of one column, read through the emulator's Table API."""
    answer = await emulator.http.get(
        emulator.table("incident", sys_id),
        params={"sysparm_fields": column, "sysparm_exclude_reference_link": "true"},
    )
    answer.raise_for_status()
    value: str = answer.json()["result"][column]
    return value


def incidents(emulator: Emulator) -> int:
    return len(emulator.state.records("incident"))


@pytest.mark.parametrize(
    "name", ["beth.anglin", "beth.anglin@example.com", "Beth Anglin", "  beth anglin "]
)
async def test_assignment_by_name_stores_the_users_sys_id(emulator, connector, name):
    ticket = await connector.create(
        WriteRequest(canonical={"shortDescription": "VPN", "assignedTo": name}),
        {F.SYS_ID, F.ASSIGNED_TO},
        UTC,
    )

    assert await stored(emulator, str(ticket.get(F.SYS_ID)), "assigned_to") == seed.BETH_ANGLIN
    assert ticket.get(F.ASSIGNED_TO) == "Beth Anglin"
    assert ticket.untaken == ()


async def test_group_and_caller_by_name_are_stored_as_sys_ids(emulator, connector):
    sys_id = seed.INC_NEW[1]
    write = WriteRequest(canonical={"assignedGroup": "network", "callerId": "Fred Luddy"})

    ticket = await connector.update(sys_id, write, {F.ASSIGNED_GROUP, F.CALLER_ID}, UTC)

    assert await stored(emulator, sys_id, "assignment_group") == seed.NETWORK
    assert await stored(emulator, sys_id, "caller_id") == seed.FRED_LUDDY
    assert ticket.values == {F.ASSIGNED_GROUP: "Network", F.CALLER_ID: "Fred Luddy"}


async def refused_create(
    emulator: Emulator, connector: ServiceNowConnector, **canonical: str
) -> str:
    """The message of the 400 a create of ``canonical`` meets; no incident was written."""
    before = incidents(emulator)
    with pytest.raises(BadInput) as refused:
        await connector.create(
            WriteRequest(canonical={"shortDescription": "VPN", **canonical}), set(), UTC
        )
    assert incidents(emulator) == before
    return refused.value.message


async def test_an_unknown_name_is_400_and_nothing_is_written(emulator, connector):
    message = await refused_create(emulator, connector, assignedTo="Bob Nobody")

    assert message.startswith(
        "assignedTo 'Bob Nobody' matches no active ServiceNow user (by user name, email or name)"
    )


async def two_alex_chens(emulator: Emulator) -> list[dict[str, str]]:
    """The active users named Alex Chen, two of them at least: created through the emulator's
    Table API when its seed has fewer."""

    def named() -> list[dict[str, str]]:
        users = emulator.state.records("sys_user")
        return [u for u in users if u.get("name") == "Alex Chen" and u.get("active") == "true"]

    for n in range(len(named()), 2):
        user_name = f"alex.chen.test{n}"
        answer = await emulator.http.post(
            emulator.table("sys_user"),
            json={
                "user_name": user_name,
                "name": "Alex Chen",
                "email": f"{user_name}@example.com",
                "active": "true",
            },
        )
        assert answer.status_code == 201
    return named()


async def test_an_ambiguous_name_lists_the_candidates(emulator, connector):
    alex_chens = await two_alex_chens(emulator)

    message = await refused_create(emulator, connector, callerId="Alex Chen")

    assert message.startswith(f"callerId 'Alex Chen' matches {len(alex_chens)} active ServiceNow")
    for alex in alex_chens:
        assert f"Alex Chen ({alex['user_name']}, {alex['email']})" in message
    assert message.endswith("; give the user name or the sys_id")
    # the user name is unambiguous
    ticket = await connector.create(
        WriteRequest(canonical={"shortDescription": "VPN", "callerId": alex_chens[1]["user_name"]}),
        {F.SYS_ID},
        UTC,
    )
    assert await stored(emulator, str(ticket.get(F.SYS_ID)), "caller_id") == alex_chens[1]["sys_id"]


async def test_a_choice_label_that_is_no_choice_is_400_listing_the_choices(emulator, connector):
    message = await refused_create(emulator, connector, category="Plumbing")

    assert message == (
        "category 'Plumbing' is not a choice of category; use one of Inquiry / Help, Software, "
        "Hardware, Network, Database"
    )


async def test_choice_labels_are_stored_as_codes(emulator, connector):
    write = WriteRequest(
        canonical={
            "shortDescription": "VPN",
            "ticketStatus": "in progress",
            "urgency": "High",
            "category": "Inquiry / Help",
        }
    )

    ticket = await connector.create(write, {F.SYS_ID, F.TICKET_STATUS, F.URGENCY}, UTC)

    sys_id = str(ticket.get(F.SYS_ID))
    assert [await stored(emulator, sys_id, c) for c in ("state", "urgency", "category")] == [
        "2",
        "1",
        "inquiry",
    ]
    assert ticket.untaken == ()


async def test_a_ticket_json_label_in_a_choice_column_is_reported_untaken(emulator, connector):
    write = WriteRequest(native={"short_description": "VPN", "state": "In Progress"})

    ticket = await connector.create(write, {F.SYS_ID, F.SHORT_DESCRIPTION}, UTC)

    (untaken,) = ticket.untaken
    assert (untaken.field, untaken.sent, untaken.reason) == (
        "ticketJSON.state",
        "In Progress",
        "not a choice of incident.state",
    )
    assert ticket.get(F.SHORT_DESCRIPTION) == "VPN"  # the ticket is answered all the same


async def test_people_are_answered_by_display_name(emulator, connector):
    ticket = await connector.fetch(
        seed.INC_NEW[0], {F.CREATED_BY, F.UPDATED_BY, F.COMMENTS, F.WORK_NOTES}, UTC
    )

    assert ticket.get(F.CREATED_BY) == "Gateway Integration"
    authors: set[Any] = {
        note.author for field in (F.COMMENTS, F.WORK_NOTES) for note in ticket.values[field]
    }
    assert authors and all(" " in str(author) for author in authors)  # "Abel Tuter", not a login
    users = {row["user_name"] for row in emulator.state.records("sys_user")}
    assert not authors & users


async def test_a_comment_written_is_judged_taken(emulator, connector):
    sys_id = seed.INC_NEW[1]
    write = WriteRequest(canonical={"comments": "Looking into it"})

    ticket = await connector.update(sys_id, write, {F.COMMENTS}, UTC)

    assert ticket.untaken == ()
    assert ticket.values[F.COMMENTS][-1].author == "Gateway Integration"


async def test_a_ticket_json_name_in_a_reference_is_reported_untaken(emulator, connector):
    # ticketJSON is native and sent as given: ServiceNow stores the name, which is no record.
    write = WriteRequest(native={"short_description": "VPN", "assigned_to": "Beth Anglin"})

    ticket = await connector.create(write, {F.SYS_ID}, UTC)

    assert await stored(emulator, str(ticket.get(F.SYS_ID)), "assigned_to") == "Beth Anglin"
    (untaken,) = ticket.untaken
    assert (untaken.field, untaken.sent, untaken.held) == (
        "ticketJSON.assigned_to",
        "Beth Anglin",
        "Beth Anglin",
    )
    assert untaken.reason.startswith("assigned_to holds no record by that value")
