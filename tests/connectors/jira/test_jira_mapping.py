"""From recorded Jira answers to canonical values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.errors import ItsmError
from connectors.fields import TicketField
from connectors.jira.capabilities import JIRA
from connectors.jira.mapping import (
    issue_fields,
    notes_from_comments,
    parse_time,
    time_left,
    values_from_issue,
)
from connectors.model import Note

F = TicketField
READABLE = frozenset(JIRA.readable)
ISSUE_ONLY = READABLE - {F.COMMENTS, F.WORK_NOTES, F.TICKET_BUSINESS_TIME_LEFT}


def test_fields_parameter_names_only_what_the_fields_need() -> None:
    assert issue_fields({F.TICKET_NUMBER, F.SYS_ID}) == "project"
    assert (
        issue_fields({F.SHORT_DESCRIPTION, F.CALLER_ID, F.COMMENTS}) == "project,reporter,summary"
    )
    assert issue_fields(READABLE) == (
        "assignee,created,creator,description,priority,project,reporter,resolutiondate,status,"
        "summary,updated"
    )


def test_an_issue_in_progress(payload: Callable[[str], Any]) -> None:
    values = values_from_issue(payload("issue_desk2"), ISSUE_ONLY)
    assert values == {
        F.TICKET_NUMBER: "DESK-2",
        F.SYS_ID: "10002",
        F.TICKET_STATUS: "Work in progress",
        F.TICKET_PRIORITY: "High",
        F.ASSIGNED_TO: "Beth Anglin",
        F.SHORT_DESCRIPTION: "VPN drops every 30 minutes",
        F.LONG_DESCRIPTION: (
            "Symptoms\n\nThe tunnel drops every 30 minutes since the 5.2 update "
            "(https://vpn.example/5.2).\nReported by @Fred Luddy\n\n1. Connect\n"
            "2. Wait 30 minutes\n\nerror 809: tunnel closed"
        ),
        F.CALLER_ID: "Fred Luddy",
        # Answered in the API user's zone (-0700); read as UTC.
        F.CREATED_TIME: datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        F.UPDATED_TIME: datetime(2026, 3, 10, 10, 0, tzinfo=UTC),
        F.RESOLVED_TIME: None,
        F.CREATED_BY: "Fred Luddy",
    }


def test_a_resolved_issue_without_description_or_assignee(payload: Callable[[str], Any]) -> None:
    values = values_from_issue(payload("issue_desk4_resolved"), ISSUE_ONLY)
    assert values[F.TICKET_STATUS] == "Resolved"
    assert values[F.RESOLVED_TIME] == datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
    assert values[F.LONG_DESCRIPTION] is None
    assert values[F.ASSIGNED_TO] == "David Loo"


def test_only_the_asked_fields_are_answered(payload: Callable[[str], Any]) -> None:
    values = values_from_issue(payload("issue_desk2"), {F.TICKET_STATUS})
    assert values == {F.TICKET_STATUS: "Work in progress"}


def test_missing_and_null_fields_are_no_value() -> None:
    issue = {"id": "1", "key": "X-1", "fields": {"assignee": None, "status": "odd"}}
    values = values_from_issue(issue, {F.ASSIGNED_TO, F.TICKET_STATUS, F.SHORT_DESCRIPTION})
    assert values == {F.ASSIGNED_TO: None, F.TICKET_STATUS: None, F.SHORT_DESCRIPTION: None}


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2021-01-17T12:34:00.000+0000", datetime(2021, 1, 17, 12, 34, tzinfo=UTC)),
        ("2026-03-11T07:00:00.000-0700", datetime(2026, 3, 11, 14, 0, tzinfo=UTC)),
        ("2026-03-11T23:30:00.123+0530", datetime(2026, 3, 11, 18, 0, 0, 123000, tzinfo=UTC)),
        ("2026-03-11T07:00:00+00:00", datetime(2026, 3, 11, 7, 0, tzinfo=UTC)),
    ],
)
def test_times_with_an_offset_are_read_as_utc(text: str, utc: datetime) -> None:
    assert parse_time(text, "created") == utc


@pytest.mark.parametrize("text", ["2026-03-11T07:00:00.000", "yesterday", 17])
def test_a_time_without_an_offset_is_an_itsm_error(text: object) -> None:
    with pytest.raises(ItsmError, match="created"):
        parse_time(text, "created")


def test_comments_split_into_public_and_internal_oldest_first(
    payload: Callable[[str], Any],
) -> None:
    comments = list(reversed(payload("comments_desk2")["comments"]))  # newest first
    public, internal = notes_from_comments(comments)

    def on_march_10(hour: int, minute: int) -> datetime:
        return datetime(2026, 3, 10, hour, minute, tzinfo=UTC)

    assert public == (
        Note("Beth Anglin", on_march_10(9, 15), "Which VPN client version do you use?"),
        Note("Fred Luddy", on_march_10(9, 40), "Version 5.2.1\non Windows 11"),
    )
    assert internal == (
        Note("David Loo", on_march_10(10, 0), "Known issue with 5.2.x; upgrade to 5.3."),
    )


def test_a_comment_restricted_to_a_role_is_internal(payload: Callable[[str], Any]) -> None:
    public, internal = notes_from_comments(payload("comments_reference_example")["comments"])
    assert public == ()
    assert internal[0].author == "Mia Krystof"
    assert internal[0].time == datetime(2021, 1, 17, 12, 34, tzinfo=UTC)
    assert internal[0].text.startswith("Lorem ipsum dolor sit amet")


def test_time_left_is_the_smallest_ongoing(payload: Callable[[str], Any]) -> None:
    assert time_left(payload("sla_desk1")["values"]) == "3600"
    assert time_left(payload("sla_desk2_breached")["values"]) == "-86400"
    assert time_left(payload("sla_desk3_paused")["values"]) == "170940"


def test_time_left_rounds_towards_zero_and_ignores_completed_cycles() -> None:
    def sla(millis: int | None) -> dict[str, Any]:
        if millis is None:
            return {"completedCycles": [{"remainingTime": {"millis": -5}}]}
        return {"ongoingCycle": {"remainingTime": {"millis": millis}}}

    assert time_left([sla(1999), sla(None)]) == "1"
    assert time_left([sla(-1999)]) == "-1"
    assert time_left([sla(None)]) is None
    assert time_left([]) is None
    assert time_left([{"ongoingCycle": {"remainingTime": {"millis": "12"}}}]) is None
