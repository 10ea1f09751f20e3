"""ServiceNow mapping edges that ``make mutate`` found no test holding (docs/mutation.md): the
columns every field is read from, the code-without-label fallback of every choice column, cells
that are missing or not strings, closure-note attribution when only one of
``resolved_by``/``resolved_at`` is set, and errors that name the column they could not read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.errors import ItsmError
from connectors.fields import ALL_FIELDS, TicketField
from connectors.model import Note
from connectors.servicenow.mapping import (
    business_time_left,
    cell,
    closure_notes,
    incident_columns,
    notes_from_journal,
    unreadable_columns,
    values_from_row,
)

F = TicketField
SYS_ID = "1c741bd70b2322007518478d83673af3"

# What each field makes the gateway ask the incident table for (sys_id and number always).
EXPECTED_COLUMNS = {
    F.TICKET_NUMBER: {"number"},
    F.TICKET_STATUS: {"state"},
    F.TICKET_PRIORITY: {"priority"},
    F.TICKET_BUSINESS_DURATION: {"business_duration"},
    F.TICKET_BUSINESS_TIME_LEFT: set(),
    F.SYS_ID: {"sys_id"},
    F.ASSIGNED_TO: {"assigned_to"},
    F.ASSIGNED_GROUP: {"assignment_group"},
    F.SHORT_DESCRIPTION: {"short_description"},
    F.LONG_DESCRIPTION: {"description"},
    F.CATEGORY: {"category"},
    F.SUB_CATEGORY: {"subcategory"},
    F.CALLER_ID: {"caller_id"},
    F.URGENCY: {"urgency"},
    F.TICKET_SEVERITY: {"severity"},
    F.COMMENTS: {"comments"},
    F.WORK_NOTES: {"work_notes"},
    F.CLOSURE_NOTES: {"close_notes", "resolved_by", "resolved_at", "closed_by", "closed_at"},
    F.CREATED_TIME: {"sys_created_on"},
    F.UPDATED_TIME: {"sys_updated_on"},
    F.RESOLVED_TIME: {"resolved_at"},
    F.CREATED_BY: {"sys_created_by"},
    F.UPDATED_BY: {"sys_updated_by"},
    F.RESOLVED_BY: {"resolved_by"},
    F.CLOSED_BY: {"closed_by"},
    F.CORRELATION_ID: {"correlation_id"},
}


def test_the_table_names_every_field() -> None:
    assert set(EXPECTED_COLUMNS) == set(ALL_FIELDS)


@pytest.mark.parametrize("field", list(EXPECTED_COLUMNS), ids=lambda field: field.value)
def test_each_field_asks_for_its_columns(field: TicketField) -> None:
    expected = EXPECTED_COLUMNS[field] | {"sys_id", "number"}
    assert incident_columns({field}) == ",".join(sorted(expected))


@pytest.mark.parametrize(
    ("field", "column"),
    [
        (F.TICKET_STATUS, "state"),
        (F.TICKET_PRIORITY, "priority"),
        (F.URGENCY, "urgency"),
        (F.TICKET_SEVERITY, "severity"),
        (F.CATEGORY, "category"),
        (F.SUB_CATEGORY, "subcategory"),
    ],
)
def test_a_choice_code_without_a_label_reads_as_the_code(field: TicketField, column: str) -> None:
    row = {column: {"display_value": "", "value": "7"}}
    assert values_from_row(row, {field}) == {field: "7"}


@pytest.mark.parametrize(
    ("field", "column"),
    [
        (F.ASSIGNED_TO, "assigned_to"),
        (F.ASSIGNED_GROUP, "assignment_group"),
        (F.CALLER_ID, "caller_id"),
        (F.SHORT_DESCRIPTION, "short_description"),
    ],
)
def test_a_reference_with_an_empty_display_value_never_answers_its_sys_id(
    field: TicketField, column: str
) -> None:
    row = {column: {"display_value": "", "value": "6816f79cc0a8016401c5a33be04be441"}}
    assert values_from_row(row, {field}) == {field: None}


def test_a_column_missing_from_the_answer_reads_as_no_value() -> None:
    # Real instances leave out the columns the account may not read.
    values = values_from_row({}, ALL_FIELDS)
    assert values[F.CLOSURE_NOTES] == ()
    assert all(value is None for field, value in values.items() if field is not F.CLOSURE_NOTES)
    assert cell({}, "state") == ("", "")
    assert cell({"state": {"value": "2"}}, "state") == ("", "2")


def test_cells_that_are_not_strings_read_as_their_text() -> None:
    assert cell({"priority": 2}, "priority") == ("2", "2")
    assert cell({"priority": {"display_value": 2, "value": 2}}, "priority") == ("2", "2")
    row = {"urgency": {"display_value": 3, "value": 3}}
    assert values_from_row(row, {F.URGENCY}) == {F.URGENCY: "3"}


def _closure_row(*, resolved_by: str, resolved_at: str) -> dict[str, object]:
    return {
        "close_notes": {"display_value": "Rebooted", "value": "Rebooted"},
        "resolved_by": {"display_value": resolved_by, "value": resolved_by and "r1"},
        "resolved_at": {"display_value": "", "value": resolved_at},
        "closed_by": {"display_value": "Closer", "value": "c1"},
        "closed_at": {"display_value": "", "value": "2026-04-02 08:00:00"},
    }


def test_a_closure_note_with_only_a_resolver_is_the_resolvers() -> None:
    row = _closure_row(resolved_by="Resolver", resolved_at="")
    assert closure_notes(row) == (Note(author="Resolver", time=None, text="Rebooted"),)


def test_a_closure_note_with_only_a_resolution_time_is_the_resolvers() -> None:
    row = _closure_row(resolved_by="", resolved_at="2026-04-01 12:00:00")
    assert closure_notes(row) == (
        Note(author=None, time=datetime(2026, 4, 1, 12, tzinfo=UTC), text="Rebooted"),
    )


def test_a_journal_row_without_a_value_or_a_timestamp_is_an_empty_undated_note() -> None:
    rows = [{"element": "comments", "element_id": SYS_ID, "sys_created_by": "beth.anglin"}]
    comments, work_notes = notes_from_journal(rows, SYS_ID)
    assert comments == (Note(author="beth.anglin", time=None, text=""),)
    assert work_notes == ()


@pytest.mark.parametrize(
    ("read", "column"),
    [
        (
            lambda: values_from_row(
                {"business_duration": {"display_value": "", "value": "8 Hours"}},
                {F.TICKET_BUSINESS_DURATION},
            ),
            "business_duration",
        ),
        (
            lambda: notes_from_journal(
                [
                    {
                        "element": "comments",
                        "element_id": SYS_ID,
                        "sys_created_on": "yesterday",
                        "value": "x",
                    }
                ],
                SYS_ID,
            ),
            "sys_created_on",
        ),
        (
            lambda: business_time_left(
                [{"active": "true", "task": SYS_ID, "business_time_left": "soon"}], SYS_ID
            ),
            "business_time_left",
        ),
    ],
    ids=["business_duration", "journal", "sla"],
)
def test_an_unreadable_value_is_an_itsm_error_naming_its_column(read, column: str) -> None:
    with pytest.raises(ItsmError, match=f"ServiceNow answered {column} "):
        read()


def test_a_column_left_out_of_the_answer_is_named_as_unreadable() -> None:
    """A field-level ACL leaves the column's key out: the field is refused, by its column."""
    row = {"number": {"display_value": "INC0010001", "value": "INC0010001"}}
    asked = {F.TICKET_NUMBER, F.SHORT_DESCRIPTION, F.TICKET_STATUS, F.COMMENTS}
    assert unreadable_columns(row, asked) == {
        F.TICKET_STATUS: "state",
        F.SHORT_DESCRIPTION: "short_description",
    }
    # In the fields' declared order, so that the message naming them is stable.
    refused = {F.TICKET_STATUS, F.SHORT_DESCRIPTION}
    assert list(unreadable_columns(row, asked)) == [f for f in TicketField if f in refused]


def test_journals_and_slas_are_never_judged_from_the_incident_row() -> None:
    row = {"number": {"display_value": "INC0010001", "value": "INC0010001"}}
    asked = {F.TICKET_NUMBER, F.COMMENTS, F.WORK_NOTES, F.TICKET_BUSINESS_TIME_LEFT}
    assert unreadable_columns(row, asked) == {}
