"""The gateway in front of a real Request Tracker 5.0.3, over real HTTP, through both doors.

Each test makes its own tickets; RT's own view (as its superuser) is read directly where a test
must know what RT holds rather than what the gateway says.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import pytest

from connectors.fields import DEFAULT_FIELD_NAMES
from connectors.rt.capabilities import REQUEST_TRACKER
from tests.e2e.doors import DOOR_IDS, DOORS, Outcome
from tests.rt.conftest import RtStack
from tests.support.rt import AGENT, AGENT_NAME, API_USER, CALLER_EMAIL, CALLER_NAME

pytestmark = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000")
READABLE = [name for name in DEFAULT_FIELD_NAMES if name in REQUEST_TRACKER.readable]
# People are answered by display name (RT's RealName): the gateway's account is "ITSM Gateway".
API_USER_NAME = "ITSM Gateway"


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


def created(outcome: Outcome) -> str:
    assert outcome.status == 201 or (outcome.status == 200 and outcome.code is None), outcome
    return outcome.details["sysId"]


async def test_create_then_fetch_every_field_rt_has(door: Any, rt_stack: RtStack) -> None:
    subject = unique("VPN drops every 10 minutes")
    ticket_json = {
        "Queue": "Network",
        "Subject": subject,
        "Content": "The VPN client disconnects.\nSince Monday.",
        "Priority": 30,
        "Owner": AGENT,
        "Requestor": CALLER_EMAIL,
        "CustomFields": {"Category": "Network", "SubCategory": "VPN", "Urgency": "1-High"},
    }
    sys_id = created(await door.create(rt_stack, ticket_json, ["sysId"]))

    fetched = await door.fetch(rt_stack, sys_id, READABLE)

    assert fetched.status == 200, fetched
    details = fetched.details
    assert {k: v for k, v in details.items() if not k.endswith("Time")} == {
        "ticketNumber": sys_id,
        "sysId": sys_id,
        "ticketStatus": "new",
        "ticketPriority": "30",
        "assignedTo": AGENT_NAME,
        "assignedGroup": "Network",
        "shortDescription": subject,
        "longDescription": "The VPN client disconnects.\nSince Monday.",
        "category": "Network",
        "subCategory": "VPN",
        "callerId": CALLER_NAME,
        "urgency": "1-High",
        "ticketSeverity": "",
        "comments": [],
        "workNotes": [],
        "closureNotes": [],
        "createdBy": API_USER_NAME,
        "updatedBy": API_USER_NAME,
        "resolvedBy": "",
        "closedBy": "",
    }
    assert TIME.fullmatch(details["createdTime"]) and TIME.fullmatch(details["updatedTime"])
    assert details["resolvedTime"] == ""  # RT's 1970-01-01T00:00:00Z: never resolved


async def test_comments_and_work_notes_stay_apart(door: Any, rt_stack: RtStack) -> None:
    sys_id = created(await door.create(rt_stack, {"Subject": unique("Printer jams")}, ["sysId"]))

    updated = await door.update(
        rt_stack,
        sys_id,
        {"Comment": "Internal: roller worn.", "Correspond": "We are on it."},
        ["comments", "workNotes"],
    )
    second = await door.update(
        rt_stack, sys_id, {"Correspond": "Fixed, please check."}, ["comments", "workNotes"]
    )

    assert updated.status == 200, updated
    assert [n["workNote"] for n in updated.details["workNotes"]] == ["Internal: roller worn."]
    assert [n["comment"] for n in updated.details["comments"]] == ["We are on it."]
    comments = second.details["comments"]
    assert [n["comment"] for n in comments] == ["We are on it.", "Fixed, please check."]
    assert {n["commentBy"] for n in comments} == {API_USER_NAME}
    assert all(TIME.fullmatch(n["commentTime"]) for n in comments)
    assert comments[0]["commentTime"] <= comments[1]["commentTime"]


async def test_an_update_with_a_value_rt_refuses_is_answered_and_reported(
    door: Any, rt_stack: RtStack, caplog: pytest.LogCaptureFixture
) -> None:
    """RT answers 200 to an update whose status it refused. The ticket exists: it is answered
    (200), the value that did not take is named with what RT holds, and the rest of the write,
    the note included, is applied."""
    caplog.set_level(logging.INFO, logger="itsm_gateway.access")
    sys_id = created(await door.create(rt_stack, {"Subject": unique("Disk full")}, ["sysId"]))
    renamed = unique("Disk full on db-01")

    outcome = await door.update(
        rt_stack,
        sys_id,
        {"Status": "bogus", "Subject": renamed, "Comment": "posted all the same"},
        ["ticketStatus", "workNotes"],
    )

    assert outcome.status == 200, outcome
    assert outcome.message.startswith(
        f"Updated ticket {sys_id}, but 1 value did not take: ticketJSON.Status 'bogus' "
        "(it holds 'new'; "
    ), outcome.message
    assert "isn't a valid status" in outcome.message  # RT's own words
    assert outcome.message.endswith("; correct it with an update")
    assert outcome.details["ticketStatus"] == "new"
    assert [n["workNote"] for n in outcome.details["workNotes"]] == ["posted all the same"]
    if door.name == "graphql":
        assert outcome.code == "WRITE_NOT_TAKEN"
        (untaken,) = outcome.extensions["untaken"]
        assert (untaken["field"], untaken["sent"], untaken["held"]) == (
            "ticketJSON.Status",
            "bogus",
            "new",
        )
        assert outcome.extensions["ticket"] == {"ticketNumber": sys_id, "sysId": sys_id}
    held = await rt_stack.rt_ticket(sys_id)
    assert (held["Subject"], held["Status"]) == (renamed, "new")  # just as the answer says
    # The access line names the field, never the value.
    access = [r for r in caplog.records if r.name == "itsm_gateway.access"]
    (line,) = [r for r in access if getattr(r, "operation", None) == "update"]
    assert line.untaken == ["ticketJSON.Status"]  # type: ignore[attr-defined]


async def test_a_create_rt_takes_only_in_part_is_answered_and_reported(
    door: Any, rt_stack: RtStack
) -> None:
    before = await rt_stack.ticket_count()

    ticket_json = {
        "Subject": unique("Mail down"),
        "Owner": "no-such-user",
        "CustomFields": {"Severity": "9"},
    }

    outcome = await door.create(rt_stack, ticket_json, ["sysId"])

    assert outcome.status == 201, outcome
    sys_id = outcome.details["sysId"]
    assert outcome.message.startswith(
        f"Created ticket {sys_id}, but 2 values did not take: ticketJSON.Owner 'no-such-user' "
        "(it holds ''"
    ), outcome.message
    assert "ticketJSON.CustomFields.Severity '9' (it holds ''" in outcome.message
    assert outcome.message.endswith("; correct them with an update")
    assert await rt_stack.ticket_count() == before + 1  # RT did create it, as the answer says


async def test_resolve_with_closure_notes_then_reopen(door: Any, rt_stack: RtStack) -> None:
    sys_id = created(await door.create(rt_stack, {"Subject": unique("Slow wifi")}, ["sysId"]))
    fields = ["ticketStatus", "resolvedTime", "resolvedBy", "closureNotes", "comments"]

    resolved = await door.update(
        rt_stack,
        sys_id,
        {
            "Status": "resolved",
            "Correspond": "Replaced the access point.",
            "CustomFields": {"ClosureNotes": "Access point replaced."},
        },
        fields,
    )
    reopened = await door.update(rt_stack, sys_id, {"Status": "open"}, fields)

    assert resolved.status == 200, resolved
    # The reply went first, and did not reopen the ticket it resolved.
    assert resolved.details["ticketStatus"] == "resolved"
    assert resolved.details["resolvedBy"] == API_USER_NAME
    (note,) = resolved.details["closureNotes"]
    assert (note["closureNote"], note["closureNoteBy"]) == ("Access point replaced.", API_USER_NAME)
    assert [c["comment"] for c in resolved.details["comments"]] == ["Replaced the access point."]
    assert TIME.fullmatch(resolved.details["resolvedTime"])
    # RT keeps Resolved when a ticket is reopened; the gateway reports what RT says.
    assert reopened.details["ticketStatus"] == "open"
    assert reopened.details["resolvedTime"] == resolved.details["resolvedTime"]


async def test_basic_auth_works_as_well(door: Any, rt_stack: RtStack) -> None:
    connection = rt_stack.connection(
        authType="basic", apiKey=None, username=API_USER, password=rt_stack.rt.api_password
    )
    sys_id = created(
        await door.create(rt_stack, {"Subject": unique("Basic")}, ["sysId"], connection)
    )

    fetched = await door.fetch(rt_stack, sys_id, ["createdBy"], connection)

    assert fetched.details == {"createdBy": API_USER_NAME}


async def test_unknown_ticket(door: Any, rt_stack: RtStack) -> None:
    outcome = await door.fetch(rt_stack, "987654321", ["ticketStatus"])

    assert outcome.status == 404, outcome
    assert outcome.message.startswith("No ticket 987654321 in Request Tracker at 127.0.0.1:")


async def test_an_update_of_an_unknown_ticket_writes_nothing(door: Any, rt_stack: RtStack) -> None:
    before = await rt_stack.ticket_count()

    outcome = await door.update(rt_stack, "987654321", {"Correspond": "hello"}, ["sysId"])

    assert outcome.status == 404, outcome
    assert await rt_stack.ticket_count() == before


async def test_wrong_password(door: Any, rt_stack: RtStack) -> None:
    wrong = "wrong-Secret-password"
    connection = rt_stack.connection(
        authType="basic", apiKey=None, username=API_USER, password=wrong
    )

    outcome = await door.fetch(rt_stack, "1", ["ticketStatus"], connection)

    assert outcome.status == 502, outcome
    assert "rejected the gateway's credentials (401: Unauthorized)" in outcome.message
    assert wrong not in outcome.response.text


@pytest.mark.parametrize(
    ("ticket_json", "words"),
    [
        ({"Subject": "x", "id": 5}, "ticketJSON.id: set by Request Tracker"),
        ({"Subject": "x", "Bogus": "y"}, "does not take: Bogus"),
        ({"Subject": "x", "Priority": "high"}, "Request Tracker would store 0 instead"),
        ({"Subject": "x", "Requestor": ""}, "send [] to remove them all"),
    ],
)
async def test_bad_input_writes_nothing(
    door: Any, rt_stack: RtStack, ticket_json: dict[str, Any], words: str
) -> None:
    before = await rt_stack.ticket_count()

    outcome = await door.create(rt_stack, ticket_json, ["sysId"])

    assert outcome.status == 400, outcome
    assert words in outcome.message
    assert await rt_stack.ticket_count() == before


async def test_a_field_rt_cannot_provide_is_refused(door: Any, rt_stack: RtStack) -> None:
    outcome = await door.fetch(rt_stack, "1", ["ticketStatus", "ticketBusinessTimeLeft"])

    assert outcome.status == 400, outcome
    assert "Request Tracker (itsmType rt) cannot provide ticketBusinessTimeLeft" in outcome.message
