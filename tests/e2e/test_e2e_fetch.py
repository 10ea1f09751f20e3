"""Fetch through both doors, every canonical field, checked against the emulator's seed data.

The expected values are written out from `emulators/servicenow/seed.py`, not read back from the
gateway: labels from the codes (impact 2 x urgency 3 gives priority 4 - Low), names from the
referenced users, UTC times from the stored values, journal rows oldest first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest

from connectors.fields import DEFAULT_FIELD_NAMES
from emulators.servicenow import seed
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS

RESOLVED_INCIDENT = {
    "ticketNumber": "INC0010004",
    "ticketStatus": "Resolved",
    "ticketPriority": "4 - Low",
    "ticketBusinessDuration": "28800",
    "ticketBusinessTimeLeft": "",  # its SLA stopped when it was resolved
    "sysId": "af96b75ac304b7346d9e754e7290d81c",
    "assignedTo": "Beth Anglin",
    "assignedGroup": "Service Desk",
    "shortDescription": "Laptop disk failing SMART check",
    "longDescription": "The laptop reports an imminent disk failure at boot.",
    "category": "Hardware",
    "subCategory": "Disk",
    "callerId": "David Loo",
    "urgency": "3 - Low",
    "ticketSeverity": "3 - Low",
    "comments": [
        {
            "commentBy": "David Loo",
            "commentTime": "2026-02-10T17:00:00.000000",
            "comment": "It beeps at every boot.",
        }
    ],
    "workNotes": [
        {
            "workNoteBy": "Beth Anglin",
            "workNoteTime": "2026-02-11T15:45:00.000000",
            "workNote": "Disk replaced; profile restored from last night's backup.",
        }
    ],
    "closureNotes": [
        {
            "closureNoteBy": "Beth Anglin",
            "closureNoteTime": "2026-02-11T16:00:00.000000",
            "closureNote": "Replaced the disk and restored the user profile from backup.",
        }
    ],
    "createdTime": "2026-02-10T17:00:00.000000",
    "updatedTime": "2026-02-11T16:00:00.000000",
    "resolvedTime": "2026-02-11T16:00:00.000000",
    "createdBy": "Gateway Integration",
    "updatedBy": "Beth Anglin",
    "resolvedBy": "Beth Anglin",
    "closedBy": "",
}


def test_the_expectation_covers_every_canonical_field() -> None:
    assert list(RESOLVED_INCIDENT) == list(DEFAULT_FIELD_NAMES)


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_fetch_returns_every_field_of_a_resolved_incident(stack: Stack, door: Any) -> None:
    outcome = await door.fetch(stack, "INC0010004")
    assert outcome.status == 200
    assert outcome.details == RESOLVED_INCIDENT


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_fetch_of_a_closed_incident_names_closer_and_keeps_the_resolution(
    stack: Stack, door: Any
) -> None:
    fields = ["ticketStatus", "closedBy", "resolvedBy", "closureNotes", "ticketBusinessDuration"]
    outcome = await door.fetch(stack, "INC0010005", fields)
    assert outcome.details == {
        "ticketStatus": "Closed",
        "closedBy": "Beth Anglin",
        "resolvedBy": "David Loo",
        # The closure note's author and time are the resolver's when there is one.
        "closureNotes": [
            {
                "closureNoteBy": "David Loo",
                "closureNoteTime": "2026-02-09T23:30:00.000000",
                "closureNote": "Use the split-tunnel profile until the vendor fix ships.",
            }
        ],
        "ticketBusinessDuration": str(seed.CLOSED_BUSINESS_STC),  # glide duration past 31 days
    }


async def test_rest_names_the_record_in_its_message(stack: Stack) -> None:
    outcome = await DOORS[0].fetch(stack, "INC0010004", ["sysId"])
    assert outcome.message == "Fetched incident INC0010004"
    assert outcome.details == {"sysId": "af96b75ac304b7346d9e754e7290d81c"}


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_business_time_left_is_the_smallest_over_active_slas(stack: Stack, door: Any) -> None:
    outcome = await door.fetch(stack, "INC0010003", ["ticketBusinessTimeLeft"])
    assert outcome.details == {
        "ticketBusinessTimeLeft": str(seed.SMALLEST_ACTIVE_BUSINESS_TIME_LEFT)
    }


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_an_unknown_state_code_passes_through(stack: Stack, door: Any) -> None:
    outcome = await door.fetch(stack, "INC0010007", ["ticketStatus"])
    assert outcome.details == {"ticketStatus": "10"}


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_comment_text_keeps_its_blank_lines(stack: Stack, door: Any) -> None:
    outcome = await door.fetch(stack, "INC0010001", ["comments"])
    assert [c["comment"] for c in outcome.details["comments"]] == [seed.COMMENT_WITH_BLANK_LINE]


# --- Only what was asked for is fetched: counted at the emulator ---------------------------------


def _fields_of(request: Any) -> set[str]:
    return set(request.query["sysparm_fields"].split(","))


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_one_field_from_the_row_costs_exactly_one_call(stack: Stack, door: Any) -> None:
    outcome = await door.fetch(stack, "INC0010002", ["shortDescription"])
    assert outcome.details == {"shortDescription": "Wi-Fi drops every few minutes on floor 3"}
    [call] = stack.table_requests()
    assert (call.method, call.table) == ("GET", "incident")
    assert call.query["sysparm_display_value"] == "all"
    assert _fields_of(call) == {"short_description", "number", "sys_id"}


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_comments_add_exactly_one_journal_call(stack: Stack, door: Any) -> None:
    await door.fetch(stack, "INC0010002", ["shortDescription", "comments", "workNotes"])
    # the display names of the journal's authors are one sys_user call, or cached
    calls = [c for c in stack.table_requests() if c.table != "sys_user"]
    assert [c.table for c in calls] == ["incident", "sys_journal_field"]
    journal_query = parse_qs(f"q={calls[1].query['sysparm_query']}")["q"][0]
    assert "element_id=967243fd7319215248b7fd79be1743b9" in journal_query


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_business_time_left_adds_exactly_one_sla_call(stack: Stack, door: Any) -> None:
    await door.fetch(stack, "INC0010003", ["ticketNumber", "ticketBusinessTimeLeft"])
    assert [c.table for c in stack.table_requests()] == ["incident", "task_sla"]


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_every_field_costs_three_calls_and_no_more(stack: Stack, door: Any) -> None:
    await door.fetch(stack, "INC0010003")
    calls = sorted(c.table for c in stack.table_requests())
    # and at most one sys_user call for the display names of all the answer's user names
    # (createdBy, updatedBy, journal authors), unless a previous request cached them
    assert calls.count("sys_user") <= 1
    assert [table for table in calls if table != "sys_user"] == [
        "incident",
        "sys_journal_field",
        "task_sla",
    ]


# --- Journal fallback: display text in the API user's zone -------------------------------------

DST_COMMENTS_UTC = [
    # (author's full name, UTC time): one entry before and one after the 8 March 2026 change.
    ("Beth Anglin", "2026-03-07T18:30:00.000000"),
    ("David Loo", "2026-03-09T17:10:00.000000"),
]


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_fallback_with_an_iana_zone_is_right_across_daylight_saving(
    stack: Stack, door: Any
) -> None:
    stack.emulator.faults.journal_forbidden = True  # the account may not read sys_journal_field
    outcome = await door.fetch(stack, "INC0010002", ["comments"], zone="America/Los_Angeles")
    assert outcome.status == 200
    got = [(c["commentBy"], c["commentTime"]) for c in outcome.details["comments"]]
    assert got == DST_COMMENTS_UTC
    assert outcome.details["comments"][1]["comment"].startswith("We upgraded the access point.")


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_fallback_with_a_fixed_offset_is_right_only_on_its_side_of_the_change(
    stack: Stack, door: Any
) -> None:
    stack.emulator.faults.journal_forbidden = True
    outcome = await door.fetch(stack, "INC0010002", ["workNotes"], zone="-08:00")
    times = [n["workNoteTime"] for n in outcome.details["workNotes"]]
    # 11:05 PST is right; 09:45 PDT read as UTC-8 lands an hour late: why IANA zones exist.
    assert times == ["2026-03-07T19:05:00.000000", "2026-03-09T17:45:00.000000"]


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_fallback_and_journal_agree_on_times_and_texts(stack: Stack, door: Any) -> None:
    direct = await door.fetch(stack, "INC0010002", ["comments", "workNotes"])
    stack.emulator.faults.journal_forbidden = True
    fallback = await door.fetch(
        stack, "INC0010002", ["comments", "workNotes"], zone="America/Los_Angeles"
    )

    def without_authors(details: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
        return {
            "comments": [(c["commentTime"], c["comment"]) for c in details["comments"]],
            "workNotes": [(n["workNoteTime"], n["workNote"]) for n in details["workNotes"]],
        }

    assert without_authors(fallback.details) == without_authors(direct.details)
    # The fallback costs no extra call: the display text came with the incident row.
    assert [c.table for c in stack.table_requests()][-2:] == ["incident", "sys_journal_field"]


async def test_graphql_gives_null_where_rest_gives_an_empty_string(stack: Stack) -> None:
    query = (
        'query($c: ConnectionInput!) { ticket(number: "INC0010001", connection: $c) '
        "{ closedBy resolvedTime closureNotes { closureNote } } }"
    )
    response = await stack.graphql(query, {"c": stack.connection()})
    assert response.json() == {
        "data": {"ticket": {"closedBy": None, "resolvedTime": None, "closureNotes": []}}
    }
    rest = await DOORS[0].fetch(stack, "INC0010001", ["closedBy", "resolvedTime", "closureNotes"])
    assert rest.details == {"closedBy": "", "resolvedTime": "", "closureNotes": []}
