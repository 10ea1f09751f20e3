"""With no ``itsmTimeZoneOffset``, journal times read from ServiceNow's display text (the account
may not read ``sys_journal_field``) are in the account's own zone, learned from the instance
(``connectors.servicenow.account_zone``) and checked against the record's own datetime pairs.

The emulator's integration user is in America/Los_Angeles; INC0010002's entries sit on both
sides of the 8 March 2026 change (PST, then PDT). The gateway outlives a test, and so does its
cache of zones: each test holds whichever way the zone was found (learned now, or cached).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS

DST_COMMENTS_UTC = [
    ("Beth Anglin", "2026-03-07T18:30:00.000000"),
    ("David Loo", "2026-03-09T17:10:00.000000"),
]
DST_WORK_NOTES_UTC = ["2026-03-07T19:05:00.000000", "2026-03-09T16:45:00.000000"]
ZONE_TABLES = ("sys_user", "sys_properties")


def display_name_lookup(request: Any) -> bool:
    """sys_user read for the display names of an answer's user names, not for the zone."""
    return str(request.query.get("sysparm_query", "")).startswith("user_nameIN")


def zone_reads(stack: Stack) -> list[Any]:
    return [
        r for r in stack.table_requests() if r.table in ZONE_TABLES and not display_name_lookup(r)
    ]


def ticket_reads(stack: Stack) -> list[str]:
    return [r.table for r in stack.table_requests() if not display_name_lookup(r)]


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_journal_times_are_right_in_the_accounts_zone_across_daylight_saving(
    stack: Stack, door: Any
) -> None:
    stack.emulator.faults.journal_forbidden = True
    outcome = await door.fetch(stack, "INC0010002", ["comments", "workNotes"])
    assert outcome.status == 200
    got = [(c["commentBy"], c["commentTime"]) for c in outcome.details["comments"]]
    assert got == DST_COMMENTS_UTC
    assert [n["workNoteTime"] for n in outcome.details["workNotes"]] == DST_WORK_NOTES_UTC


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_the_zone_costs_at_most_one_call_per_connection(stack: Stack, door: Any) -> None:
    stack.emulator.faults.journal_forbidden = True
    first = await door.fetch(stack, "INC0010002", ["comments"])
    stack.emulator.clear_requests()
    second = await door.fetch(stack, "INC0010002", ["comments"])
    assert first.details["comments"] == second.details["comments"]
    assert zone_reads(stack) == []  # cached by the first fetch, or an earlier test
    assert ticket_reads(stack) == ["incident", "sys_journal_field"]


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_fetch_that_reads_no_local_time_asks_no_zone(stack: Stack, door: Any) -> None:
    outcome = await door.fetch(stack, "INC0010002", ["comments", "workNotes"])
    assert outcome.status == 200
    assert zone_reads(stack) == []
    assert ticket_reads(stack) == ["incident", "sys_journal_field"]


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_an_account_in_another_zone_reads_right(stack: Stack, door: Any) -> None:
    # Whether the gateway learns Kolkata now or still holds Los Angeles from an earlier test,
    # the record's own datetime pairs decide: the times come out the same.
    user = stack.emulator.find_row("sys_user", "user_name", "gateway.integration")
    assert user is not None
    user["time_zone"] = "Asia/Kolkata"
    stack.emulator.faults.journal_forbidden = True
    outcome = await door.fetch(stack, "INC0010002", ["comments"])
    got = [(c["commentBy"], c["commentTime"]) for c in outcome.details["comments"]]
    assert got == DST_COMMENTS_UTC


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_an_explicit_zone_still_wins(stack: Stack, door: Any) -> None:
    stack.emulator.faults.journal_forbidden = True
    outcome = await door.fetch(stack, "INC0010002", ["comments"], zone="UTC")
    # The display text is in Los Angeles time; the caller said UTC, so it is read as UTC.
    assert [c["commentTime"] for c in outcome.details["comments"]] == [
        "2026-03-07T10:30:00.000000",
        "2026-03-09T10:10:00.000000",
    ]
    assert zone_reads(stack) == []


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_journal_times_are_right_when_acls_filter_the_journal_table(
    stack: Stack, door: Any
) -> None:
    stack.emulator.faults.journal_filtered = True  # 200 with the rows filtered out
    outcome = await door.fetch(stack, "INC0010002", ["comments", "workNotes"])
    assert outcome.status == 200
    got = [(c["commentBy"], c["commentTime"]) for c in outcome.details["comments"]]
    assert got == DST_COMMENTS_UTC
    assert [n["workNoteTime"] for n in outcome.details["workNotes"]] == DST_WORK_NOTES_UTC
