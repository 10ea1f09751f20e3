"""The lookups around a write and a read (``connectors.servicenow.directory``), by their request
shapes: one call per lookup, its filter, the cache answering the next request with no call, a
sys_id passing with no call, and every answered row checked against what was asked."""

from __future__ import annotations

import logging
import re
from datetime import UTC
from typing import Any

import httpx
import pytest

from connectors.errors import BadInput
from connectors.fields import TicketField as F
from connectors.model import WriteRequest
from connectors.servicenow import ServiceNowConnectorFactory
from tests.connectors.servicenow_connector.conftest import INSTANCE

TABLE = f"{INSTANCE}/api/now/table"
INCIDENT = re.compile(re.escape(f"{TABLE}/incident") + r"(\?.*)?$")
SYS_USER = re.compile(re.escape(f"{TABLE}/sys_user") + r"\?.*$")
GROUPS = re.compile(re.escape(f"{TABLE}/sys_user_group") + r"\?.*$")
CHOICES = re.compile(re.escape(f"{TABLE}/sys_choice") + r"\?.*$")
BETH = "2a313cf0aaef8941aa0772af047bbdcf"
FRED = "5137153cc611227c000bbd1bd8cd2005"
NETWORK = "287ebd7da9fe198100f92cc8d1d2154e"
REFUSED = {"error": {"message": "Insufficient rights to query records"}, "status": "failure"}


def stored_values(query: str, fields: str, limit: str | None = None) -> dict[str, str]:
    """A lookup's parameters: stored values (codes, sys_ids), never display values."""
    params = {"sysparm_query": query, "sysparm_fields": fields, "sysparm_display_value": "false"}
    return params if limit is None else {**params, "sysparm_limit": limit}


def user(sys_id: str, user_name: str, name: str, *, active: str = "true") -> dict[str, str]:
    return {
        "sys_id": sys_id,
        "user_name": user_name,
        "email": f"{user_name}@example.com",
        "name": name,
        "active": active,
    }


def created(payload: Any, **cells: dict[str, str]) -> dict[str, Any]:
    row = dict(payload("incident_new")["result"][0])
    row.update(cells)
    return {"result": row}


def requests_to(httpx_mock: Any, table: str) -> list[httpx.Request]:
    return [r for r in httpx_mock.get_requests() if r.url.path.endswith(f"/{table}")]


@pytest.fixture
def connector(factory, connection):
    return factory.open(connection())


async def test_a_user_name_is_one_sys_user_call_and_the_sys_id_is_sent(
    httpx_mock, connector, payload
):
    httpx_mock.add_response(
        url=f"{TABLE}/sys_user",
        match_params=stored_values(
            "user_name=beth.anglin^ORemail=beth.anglin^ORname=beth.anglin^active=true",
            "sys_id,user_name,email,name,active",
            limit="20",
        ),
        json={"result": [user(BETH, "beth.anglin", "Beth Anglin")]},
    )
    httpx_mock.add_response(
        method="POST",
        url=INCIDENT,
        match_json={"assigned_to": BETH},
        json=created(payload, assigned_to={"display_value": "Beth Anglin", "value": BETH}),
        status_code=201,
    )

    ticket = await connector.create(
        WriteRequest(canonical={"assignedTo": "beth.anglin"}), {F.ASSIGNED_TO}, UTC
    )

    assert ticket.values == {F.ASSIGNED_TO: "Beth Anglin"}
    assert ticket.untaken == ()
    (post,) = [r for r in httpx_mock.get_requests() if r.method == "POST"]
    assert "assigned_to" in post.url.params["sysparm_fields"].split(",")


async def test_a_sys_id_passes_with_no_call(httpx_mock, connector, payload):
    httpx_mock.add_response(
        method="POST", url=INCIDENT, match_json={"caller_id": FRED}, json=created(payload)
    )

    await connector.create(WriteRequest(canonical={"callerId": FRED}), set(), UTC)

    assert [r.method for r in httpx_mock.get_requests()] == ["POST"]


async def test_the_cache_answers_the_next_request_with_no_call(
    httpx_mock, factory, connection, payload
):
    httpx_mock.add_response(
        url=SYS_USER, json={"result": [user(BETH, "beth.anglin", "Beth Anglin")]}
    )
    httpx_mock.add_response(method="POST", url=INCIDENT, json=created(payload), is_reusable=True)
    write = WriteRequest(canonical={"assignedTo": "Beth Anglin"})

    for _ in range(2):  # two requests, each its own connector
        await factory.open(connection()).create(write, set(), UTC)

    assert len(requests_to(httpx_mock, "sys_user")) == 1
    await factory.aclose()  # forgets the lookups
    httpx_mock.add_response(
        url=SYS_USER, json={"result": [user(BETH, "beth.anglin", "Beth Anglin")]}
    )
    await factory.open(connection()).create(write, set(), UTC)
    assert len(requests_to(httpx_mock, "sys_user")) == 2


async def test_the_cache_expires(httpx_mock, http, connection, payload):
    now = [0.0]
    factory = ServiceNowConnectorFactory(http, clock=lambda: now[0], directory_ttl=300)
    httpx_mock.add_response(
        url=SYS_USER,
        json={"result": [user(BETH, "beth.anglin", "Beth Anglin")]},
        is_reusable=True,
    )
    httpx_mock.add_response(method="POST", url=INCIDENT, json=created(payload), is_reusable=True)
    write = WriteRequest(canonical={"assignedTo": "beth.anglin"})

    await factory.open(connection()).create(write, set(), UTC)
    now[0] = 299.0
    await factory.open(connection()).create(write, set(), UTC)
    now[0] = 301.0
    await factory.open(connection()).create(write, set(), UTC)

    assert len(requests_to(httpx_mock, "sys_user")) == 2


async def test_no_active_match_is_400_and_nothing_is_written(httpx_mock, connector):
    # The instance ignored a filter part: rows that do not match what was asked never count.
    httpx_mock.add_response(
        url=SYS_USER,
        json={
            "result": [
                user(BETH, "beth.anglin", "Beth Anglin"),
                user(FRED, "bob.nobody", "Bob Nobody", active="false"),
            ]
        },
    )

    with pytest.raises(BadInput) as refused:
        await connector.create(WriteRequest(canonical={"assignedTo": "Bob Nobody"}), set(), UTC)

    assert refused.value.message.startswith(
        "assignedTo 'Bob Nobody' matches no active ServiceNow user (by user name, email or name); "
    )
    assert [r.method for r in httpx_mock.get_requests()] == ["GET"]


async def test_several_matches_list_the_candidates(httpx_mock, connector):
    users = [user("a" * 32, "alex.chen", "Alex Chen"), user("b" * 32, "alex.chen2", "Alex Chen")]
    httpx_mock.add_response(url=SYS_USER, json={"result": users})

    with pytest.raises(BadInput) as refused:
        await connector.create(WriteRequest(canonical={"callerId": "alex chen"}), set(), UTC)

    assert refused.value.message == (
        "callerId 'alex chen' matches 2 active ServiceNow users: "
        "Alex Chen (alex.chen, alex.chen@example.com), "
        "Alex Chen (alex.chen2, alex.chen2@example.com); give the user name or the sys_id"
    )


async def test_a_user_name_match_wins_over_a_name_match(httpx_mock, connector, payload):
    # "alex.chen" is one user's user name and (oddly) another's display name.
    users = [user("a" * 32, "alex.chen", "Alex Chen"), user("b" * 32, "achen", "alex.chen")]
    httpx_mock.add_response(url=SYS_USER, json={"result": users})
    httpx_mock.add_response(
        method="POST", url=INCIDENT, match_json={"assigned_to": "a" * 32}, json=created(payload)
    )

    await connector.create(WriteRequest(canonical={"assignedTo": "alex.chen"}), set(), UTC)


async def test_a_group_is_looked_up_by_name_beside_the_person(httpx_mock, connector, payload):
    httpx_mock.add_response(
        url=f"{TABLE}/sys_user_group",
        match_params=stored_values("name=Network^active=true", "sys_id,name,active", limit="20"),
        json={"result": [{"sys_id": NETWORK, "name": "Network", "active": "true"}]},
    )
    httpx_mock.add_response(url=SYS_USER, json={"result": [user(FRED, "fred.luddy", "Fred Luddy")]})
    httpx_mock.add_response(
        method="POST",
        url=INCIDENT,
        match_json={"assignment_group": NETWORK, "assigned_to": FRED},
        json=created(payload),
    )

    await connector.create(
        WriteRequest(
            canonical={"assignedGroup": "Network", "assignedTo": "fred.luddy@example.com"}
        ),
        set(),
        UTC,
    )


async def test_an_unknown_group_is_400(httpx_mock, connector):
    httpx_mock.add_response(url=GROUPS, json={"result": []})

    with pytest.raises(BadInput, match="assignedGroup 'Nope' matches no active ServiceNow group"):
        await connector.update(BETH, WriteRequest(canonical={"assignedGroup": "Nope"}), set(), UTC)


async def test_a_refused_lookup_names_the_table_and_the_role(httpx_mock, connector):
    httpx_mock.add_response(url=SYS_USER, status_code=403, json=REFUSED)

    with pytest.raises(BadInput) as refused:
        await connector.create(WriteRequest(canonical={"assignedTo": "Beth Anglin"}), set(), UTC)

    assert "refused the gateway's account sys_user" in refused.value.message
    assert "read on sys_user (a role such as itil" in refused.value.message
    assert "Nothing was written" in refused.value.message
    assert [r.method for r in httpx_mock.get_requests()] == ["GET"]


@pytest.mark.parametrize("value", ["a^ORname=b", "a,b", "x=y"])
async def test_a_value_that_would_change_the_query_is_refused_unsent(httpx_mock, connector, value):
    with pytest.raises(BadInput, match="cannot be looked up"):
        await connector.create(WriteRequest(canonical={"assignedTo": value}), set(), UTC)
    assert httpx_mock.get_requests() == []


# --- choices -------------------------------------------------------------------------------------

URGENCY_ROWS = [
    {"name": "incident", "element": "urgency", "value": v, "label": label, "inactive": "false",
     "language": "en"}
    for v, label in (("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low"))
]  # fmt: skip


async def test_choice_labels_are_written_as_codes_from_sys_choice(httpx_mock, connector, payload):
    httpx_mock.add_response(
        url=f"{TABLE}/sys_choice",
        match_params=stored_values(
            "name=incident^elementINurgency^inactive=false^language=en^ORDERBYsequence",
            "name,element,value,label,inactive,language",
        ),
        json={"result": URGENCY_ROWS},
    )
    httpx_mock.add_response(
        method="POST", url=INCIDENT, match_json={"urgency": "1"}, json=created(payload)
    )

    await connector.create(WriteRequest(canonical={"urgency": "HIGH"}), set(), UTC)


async def test_a_label_that_is_no_choice_is_400_listing_the_choices(httpx_mock, connector):
    rows = [*URGENCY_ROWS, {**URGENCY_ROWS[0], "element": "impact"}]  # another column's: ignored
    httpx_mock.add_response(url=CHOICES, json={"result": rows})

    with pytest.raises(BadInput) as refused:
        await connector.create(WriteRequest(canonical={"urgency": "Urgent"}), set(), UTC)

    assert refused.value.message == (
        "urgency 'Urgent' is not a choice of urgency; use one of 1 - High, 2 - Medium, 3 - Low"
    )


async def test_a_refused_sys_choice_falls_back_to_the_connectors_own_and_logs_once(
    httpx_mock, factory, connection, payload, caplog
):
    httpx_mock.add_response(url=CHOICES, status_code=403, json=REFUSED, is_reusable=True)
    httpx_mock.add_response(
        method="POST",
        url=INCIDENT,
        match_json={"state": "2", "category": "my own"},
        json=created(payload),
        is_reusable=True,
    )
    write = WriteRequest(canonical={"ticketStatus": "In Progress", "category": "my own"})

    with caplog.at_level(logging.WARNING, logger="connectors.servicenow.directory"):
        await factory.open(connection()).create(write, set(), UTC)
        await factory.open(connection()).create(write, set(), UTC)

    assert len(requests_to(httpx_mock, "sys_choice")) == 1  # the refusal is cached too
    assert [r.message for r in caplog.records].count(
        "ServiceNow at acme.service-now.com refused the gateway's account sys_choice (403); "
        "choices are checked against the gateway's own"
    ) == 1


async def test_ticket_json_choices_are_asked_alongside_the_write_and_judge_it(
    httpx_mock, connector, payload
):
    state_rows = [
        {"name": "incident", "element": "state", "value": v, "label": label,
         "inactive": "false", "language": "en"}
        for v, label in (("1", "New"), ("2", "In Progress"))
    ]  # fmt: skip
    httpx_mock.add_response(url=CHOICES, json={"result": state_rows})
    httpx_mock.add_response(
        method="POST",
        url=INCIDENT,
        match_json={"state": "In Progress", "short_description": "x"},  # sent as given
        json=created(
            payload,
            state={"display_value": "In Progress", "value": "In Progress"},
            short_description={"display_value": "x", "value": "x"},
        ),
    )

    ticket = await connector.create(
        WriteRequest(native={"state": "In Progress", "short_description": "x"}), set(), UTC
    )

    (untaken,) = ticket.untaken
    assert (untaken.field, untaken.sent, untaken.held) == (
        "ticketJSON.state",
        "In Progress",
        "In Progress",
    )
    assert untaken.reason == "not a choice of incident.state"
    (choices,) = requests_to(httpx_mock, "sys_choice")
    assert "elementINstate^" in choices.url.params["sysparm_query"]  # not short_description


# --- display names -------------------------------------------------------------------------------


async def test_user_names_of_an_answer_are_one_display_name_call(httpx_mock, connector, payload):
    httpx_mock.add_response(url=INCIDENT, json=payload("incident_resolved"))
    httpx_mock.add_response(
        url=f"{TABLE}/sys_user",
        match_params=stored_values(
            "user_nameINbeth.anglin,fred.luddy", "user_name,name", limit="4"
        ),
        json={
            "result": [
                {"user_name": "fred.luddy", "name": "Fred Luddy"},
                {"user_name": "beth.anglin", "name": "Beth Anglin"},
                {"user_name": "someone.else", "name": "Someone Else"},
            ]
        },
    )

    ticket = await connector.fetch("INC0010001", {F.CREATED_BY, F.UPDATED_BY}, UTC)

    assert ticket.values == {F.CREATED_BY: "Fred Luddy", F.UPDATED_BY: "Beth Anglin"}


async def test_a_refused_sys_user_answers_user_names_and_logs_once(
    httpx_mock, factory, connection, payload, caplog
):
    httpx_mock.add_response(url=INCIDENT, json=payload("incident_resolved"), is_reusable=True)
    httpx_mock.add_response(url=SYS_USER, status_code=403, json=REFUSED)

    with caplog.at_level(logging.WARNING, logger="connectors.servicenow.directory"):
        for _ in range(2):
            ticket = await factory.open(connection()).fetch("INC0010001", {F.CREATED_BY}, UTC)
            assert ticket.values == {F.CREATED_BY: "fred.luddy"}

    assert len(requests_to(httpx_mock, "sys_user")) == 1
    assert len(caplog.records) == 1
    assert "sys_user (403); people are answered by their user names" in caplog.records[0].message
