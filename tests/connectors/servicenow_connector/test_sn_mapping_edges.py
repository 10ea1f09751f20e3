"""Issue 18, item 9: the edges of ServiceNow's mapping that real instances reach: columns left out
of an answer (field ACLs), references without a display value, choice codes without a label,
closure notes with half an attribution, and journal rows that are not this stream's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.fields import TicketField
from connectors.model import Note
from connectors.servicenow.mapping import (
    closure_notes,
    notes_from_journal,
    unreadable_columns,
    values_from_row,
)
from connectors.servicenow.optional_reads import column_refused

SYS_ID = "af96b75ac304b7346d9e754e7290d81c"
OTHER = "967243fd7319215248b7fd79be1743b9"
ONE_FIELD_PER_COLUMN = [
    field
    for field in TicketField
    if field
    not in {
        TicketField.COMMENTS,
        TicketField.WORK_NOTES,
        TicketField.TICKET_BUSINESS_TIME_LEFT,
        TicketField.CLOSURE_NOTES,
    }
]


def _cell(display: str, value: str) -> dict[str, str]:
    return {"display_value": display, "value": value}


@pytest.mark.parametrize("field", ONE_FIELD_PER_COLUMN, ids=str)
def test_a_column_missing_from_the_answer_is_no_value_and_named_unreadable(
    field: TicketField,
) -> None:
    """Never the string "None": the key is absent, so the field is empty, and it is named."""
    values = values_from_row({}, {field})
    assert values == {field: None}
    assert field in unreadable_columns({}, {field})


@pytest.mark.parametrize("row", [{"close_notes": None}, {"close_notes": _cell("", "")}, {}])
def test_closure_notes_of_a_row_without_close_notes_are_none(row: dict[str, object]) -> None:
    assert values_from_row(row, {TicketField.CLOSURE_NOTES}) == {TicketField.CLOSURE_NOTES: ()}


def test_a_null_cell_is_no_value_not_the_string_none() -> None:
    row = {"short_description": None, "assigned_to": {"display_value": None, "value": None}}
    fields = {TicketField.SHORT_DESCRIPTION, TicketField.ASSIGNED_TO}
    assert values_from_row(row, fields) == dict.fromkeys(fields)
    assert unreadable_columns(row, fields) == {}  # present, only empty: readable


def test_only_absent_columns_are_unreadable_and_journals_and_slas_are_judged_elsewhere() -> None:
    row = {"number": _cell("INC0010004", "INC0010004"), "assigned_to": _cell("", "")}
    fields = {
        TicketField.TICKET_NUMBER,
        TicketField.ASSIGNED_TO,
        TicketField.CALLER_ID,
        TicketField.CLOSURE_NOTES,
        TicketField.COMMENTS,
        TicketField.WORK_NOTES,
        TicketField.TICKET_BUSINESS_TIME_LEFT,
    }
    assert unreadable_columns(row, fields) == {
        TicketField.CALLER_ID: "caller_id",
        TicketField.CLOSURE_NOTES: "close_notes",
    }


@pytest.mark.parametrize(
    ("field", "column"),
    [
        (TicketField.ASSIGNED_TO, "assigned_to"),
        (TicketField.ASSIGNED_GROUP, "assignment_group"),
        (TicketField.CALLER_ID, "caller_id"),
        (TicketField.RESOLVED_BY, "resolved_by"),
        (TicketField.CLOSED_BY, "closed_by"),
    ],
)
def test_a_reference_with_an_empty_display_value_never_answers_its_sys_id(
    field: TicketField, column: str
) -> None:
    """A reference to a record the account may not read (or a deleted one) displays as ""."""
    assert values_from_row({column: _cell("", SYS_ID)}, {field}) == {field: None}


@pytest.mark.parametrize(
    ("field", "column", "code"),
    [
        (TicketField.TICKET_STATUS, "state", "10"),
        (TicketField.TICKET_PRIORITY, "priority", "6"),
        (TicketField.URGENCY, "urgency", "4"),
        (TicketField.TICKET_SEVERITY, "severity", "0"),
        (TicketField.CATEGORY, "category", "u_badges"),
        (TicketField.SUB_CATEGORY, "subcategory", "u_reader"),
    ],
)
def test_every_choice_code_without_a_label_reads_as_the_code(
    field: TicketField, column: str, code: str
) -> None:
    assert values_from_row({column: _cell("", code)}, {field}) == {field: code}
    assert values_from_row({column: _cell("Label", code)}, {field}) == {field: "Label"}


def test_a_non_choice_column_without_display_value_does_not_fall_back_to_the_value() -> None:
    row = {"short_description": _cell("", "raw")}
    assert values_from_row(row, {TicketField.SHORT_DESCRIPTION}) == {
        TicketField.SHORT_DESCRIPTION: None
    }


RESOLVED_AT = _cell("2026-03-05 09:00:00", "2026-03-05 17:00:00")
CLOSED_AT = _cell("2026-03-06 09:00:00", "2026-03-06 17:00:00")


@pytest.mark.parametrize(
    ("resolution", "author", "time"),
    [
        # Only the resolver known: the note is the resolver's, its time unknown, never the
        # closer's time under the resolver's name.
        ({"resolved_by": _cell("Beth Anglin", SYS_ID)}, "Beth Anglin", None),
        # Only the time known: the resolution's time, with nobody named.
        ({"resolved_at": RESOLVED_AT}, None, datetime(2026, 3, 5, 17, tzinfo=UTC)),
        # Neither: the closer's.
        ({}, "Fred Luddy", datetime(2026, 3, 6, 17, tzinfo=UTC)),
    ],
)
def test_closure_note_attribution_with_half_a_resolution(
    resolution: dict[str, object], author: str | None, time: datetime | None
) -> None:
    row = {
        "close_notes": _cell("Replaced the disk", "Replaced the disk"),
        "closed_by": _cell("Fred Luddy", OTHER),
        "closed_at": CLOSED_AT,
        **resolution,
    }
    assert closure_notes(row) == (Note(author=author, time=time, text="Replaced the disk"),)


def _journal(element: str, element_id: str, created_on: str, text: str) -> dict[str, str]:
    return {
        "element": element,
        "element_id": element_id,
        "sys_created_on": created_on,
        "sys_created_by": "beth.anglin",
        "value": text,
    }


def test_journal_rows_of_another_element_or_record_are_dropped() -> None:
    rows = [
        _journal("comments", SYS_ID, "2026-03-05 10:00:00", "mine"),
        _journal("comments", OTHER, "2026-03-05 10:00:00", "another ticket's"),
        _journal("close_notes", SYS_ID, "2026-03-05 10:00:00", "another element's"),
        _journal("work_notes", SYS_ID, "2026-03-05 11:00:00", "my work note"),
    ]
    comments, work_notes = notes_from_journal(rows, SYS_ID)
    assert [note.text for note in comments] == ["mine"]
    assert [note.text for note in work_notes] == ["my work note"]


def test_a_journal_row_without_a_timestamp_is_kept_first_with_no_time() -> None:
    rows = [
        _journal("comments", SYS_ID, "2026-03-05 10:00:00", "timed"),
        _journal("comments", SYS_ID, "", "untimed"),
        {"element": "comments", "element_id": SYS_ID, "value": "no created_on at all"},
    ]
    comments, _ = notes_from_journal(rows, SYS_ID)
    assert [(note.text, note.time) for note in comments] == [
        ("untimed", None),
        ("no created_on at all", None),
        ("timed", datetime(2026, 3, 5, 10, tzinfo=UTC)),
    ]
    assert comments[2].author == "beth.anglin" and comments[1].author is None


def test_a_missing_column_of_another_table_may_also_be_no_column_at_all() -> None:
    assert column_refused("incident", "assigned_to") == (
        "incident.assigned_to: the account lacks read access (a field ACL on "
        "incident.assigned_to; ServiceNow left the column out of its answer)"
    )
    assert column_refused("sc_task", "severity") == (
        "sc_task.severity: the account lacks read access (a field ACL on sc_task.severity, or "
        "sc_task has no such column; ServiceNow left the column out of its answer)"
    )
