"""Reading recorded ServiceNow answers into canonical values: pure functions, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.errors import ItsmError
from connectors.fields import ALL_FIELDS, TicketField
from connectors.model import Note
from connectors.servicenow.mapping import (
    business_time_left,
    closure_notes,
    duration_seconds,
    incident_columns,
    notes_from_journal,
    stored_datetime,
    values_from_row,
)

SYS_ID = "1c741bd70b2322007518478d83673af3"
F = TicketField


def test_every_row_field_of_a_resolved_incident(payload):
    row = payload("incident_resolved")["result"][0]

    values = values_from_row(row, ALL_FIELDS)

    assert values == {
        F.TICKET_NUMBER: "INC0010001",
        F.TICKET_STATUS: "Resolved",
        F.TICKET_PRIORITY: "2 - High",
        F.TICKET_BUSINESS_DURATION: "6899930",
        F.SYS_ID: SYS_ID,
        F.ASSIGNED_TO: "Beth Anglin",
        F.ASSIGNED_GROUP: "Service Desk",
        F.SHORT_DESCRIPTION: "Printer on floor 3 jams",
        F.LONG_DESCRIPTION: "Paper jams on every job.\n\nTried a new tray.",
        F.CATEGORY: "Hardware",
        F.SUB_CATEGORY: "Printer",
        F.CALLER_ID: "Fred Luddy",
        F.URGENCY: "2 - Medium",
        F.TICKET_SEVERITY: "3 - Low",
        F.CLOSURE_NOTES: (
            Note(
                author="Beth Anglin",
                time=datetime(2026, 3, 9, 17, 30, tzinfo=UTC),
                text="Replaced the pickup roller.",
            ),
        ),
        F.CREATED_TIME: datetime(2026, 3, 8, 0, 18, 41, tzinfo=UTC),
        F.UPDATED_TIME: datetime(2026, 3, 9, 17, 30, tzinfo=UTC),
        F.RESOLVED_TIME: datetime(2026, 3, 9, 17, 30, tzinfo=UTC),
        F.CREATED_BY: "fred.luddy",
        F.UPDATED_BY: "beth.anglin",
        F.RESOLVED_BY: "Beth Anglin",
        F.CLOSED_BY: None,
        F.CORRELATION_ID: None,  # the recorded row has no correlation_id
    }


def test_empty_strings_of_a_new_incident_are_none_and_no_closure_note(payload):
    row = payload("incident_new")["result"][0]

    values = values_from_row(row, ALL_FIELDS)

    assert values[F.ASSIGNED_TO] is None
    assert values[F.LONG_DESCRIPTION] is None
    assert values[F.SUB_CATEGORY] is None
    assert values[F.TICKET_BUSINESS_DURATION] is None
    assert values[F.RESOLVED_TIME] is None
    assert values[F.RESOLVED_BY] is None
    assert values[F.CLOSURE_NOTES] == ()
    assert values[F.TICKET_STATUS] == "New"
    assert values[F.CREATED_TIME] == datetime(2026, 5, 2, 15, 0, tzinfo=UTC)


def test_only_the_asked_fields_and_never_the_other_tables_ones(payload):
    row = payload("incident_resolved")["result"][0]

    values = values_from_row(row, {F.SHORT_DESCRIPTION, F.COMMENTS, F.TICKET_BUSINESS_TIME_LEFT})

    assert values == {F.SHORT_DESCRIPTION: "Printer on floor 3 jams"}


def test_an_unlabelled_instance_state_code_reads_as_the_code():
    row = {"state": {"display_value": "", "value": "101"}}

    assert values_from_row(row, {F.TICKET_STATUS}) == {F.TICKET_STATUS: "101"}


def test_columns_are_only_what_the_fields_need():
    assert incident_columns({F.SHORT_DESCRIPTION}) == "number,short_description,sys_id"
    assert incident_columns(set()) == "number,sys_id"
    assert incident_columns({F.TICKET_BUSINESS_TIME_LEFT}) == "number,sys_id"
    # comments' display text rides along for the journal fallback
    assert incident_columns({F.COMMENTS}) == "comments,number,sys_id"
    assert incident_columns({F.CLOSURE_NOTES}) == (
        "close_notes,closed_at,closed_by,number,resolved_at,resolved_by,sys_id"
    )


@pytest.mark.parametrize(
    ("stored", "seconds"),
    [
        ("1970-01-01 08:00:00", 28800),
        ("1970-03-21 20:38:50", 6899930),
        ("1970-01-01 00:00:00", 0),
        ("1970-02-01 00:00:01", 31 * 86400 + 1),
        ("1971-01-01 00:00:00", 365 * 86400),
        ("7200", 7200),
        ("", None),
    ],
)
def test_glide_durations(stored, seconds):
    assert duration_seconds(stored, "business_duration") == seconds


def test_an_unreadable_duration_is_an_itsm_error_naming_the_column():
    with pytest.raises(ItsmError, match="business_duration"):
        duration_seconds("8 Hours", "business_duration")


def test_stored_datetimes_are_utc():
    assert stored_datetime("2016-12-12 15:19:57", "sys_created_on") == datetime(
        2016, 12, 12, 15, 19, 57, tzinfo=UTC
    )
    assert stored_datetime("", "resolved_at") is None


def test_closure_note_of_an_incident_closed_without_resolution():
    row = {
        "close_notes": {"display_value": "Duplicate of INC0010003", "value": "x"},
        "resolved_by": {"display_value": "", "value": ""},
        "resolved_at": {"display_value": "", "value": ""},
        "closed_by": {
            "display_value": "System Administrator",
            "value": "6816f79cc0a8016401c5a33be04be441",
        },
        "closed_at": {"display_value": "", "value": "2026-04-01 12:00:00"},
    }

    assert closure_notes(row) == (
        Note(
            author="System Administrator",
            time=datetime(2026, 4, 1, 12, tzinfo=UTC),
            text="Duplicate of INC0010003",
        ),
    )


def test_journal_rows_split_into_comments_and_work_notes_oldest_first(payload):
    rows = payload("journal_rows")["result"]

    comments, work_notes = notes_from_journal(list(reversed(rows)), SYS_ID)

    assert comments == (
        Note(
            "fred.luddy",
            datetime(2026, 3, 8, 0, 20, tzinfo=UTC),
            "The printer on floor 3 jams on every job.",
        ),
        Note(
            "beth.anglin",
            datetime(2026, 3, 9, 17, 15, tzinfo=UTC),
            "The printer works again.\n\nThanks for your patience.",
        ),
    )
    assert work_notes == (
        Note("beth.anglin", datetime(2026, 3, 9, 16, 5, tzinfo=UTC), "Replaced the pickup roller."),
    )


def test_journal_rows_of_another_record_never_leak(payload):
    rows = payload("journal_rows")["result"]
    foreign = {**rows[0], "element_id": "0" * 32, "value": "someone else's secret"}

    comments, _ = notes_from_journal([*rows, foreign], SYS_ID)

    assert "someone else's secret" not in [note.text for note in comments]


def test_business_time_left_is_the_smallest_over_active_slas(payload):
    rows = payload("task_sla_rows")["result"]

    # the inactive row has 10 s left and is ignored even though the query asked for active only
    assert business_time_left(rows, SYS_ID) == "7200"
    assert business_time_left([], SYS_ID) is None
    assert business_time_left([{**rows[0], "task": "f" * 32}], SYS_ID) is None
