"""Jira mapping edges that ``make mutate`` found no test holding (docs/mutation.md): the
correlation id field, empty and non-string values, an empty date-time, and errors that name
what they could not read."""

from __future__ import annotations

import pytest

from connectors.errors import ItsmError
from connectors.fields import TicketField
from connectors.jira.mapping import issue_fields, notes_from_comments, parse_time, values_from_issue

F = TicketField
CORRELATION = "customfield_10042"


def test_the_correlation_field_is_asked_for_only_when_correlation_id_is() -> None:
    assert issue_fields({F.CORRELATION_ID}, CORRELATION) == f"{CORRELATION},project"
    assert issue_fields({F.SHORT_DESCRIPTION}, CORRELATION) == "project,summary"
    assert issue_fields({F.CORRELATION_ID}) == "project"


def test_correlation_id_is_read_from_the_sites_field_and_nothing_else_from_it() -> None:
    issue = {"key": "DESK-1", "fields": {CORRELATION: "SO-42", "summary": "Printer"}}
    assert values_from_issue(issue, {F.CORRELATION_ID}, CORRELATION) == {F.CORRELATION_ID: "SO-42"}
    assert values_from_issue(issue, {F.CORRELATION_ID}) == {}
    # A field Jira does not provide stays unanswered, whatever the correlation field holds.
    assert values_from_issue(issue, {F.URGENCY, F.SHORT_DESCRIPTION}, CORRELATION) == {
        F.SHORT_DESCRIPTION: "Printer"
    }


def test_empty_strings_are_no_value_and_numbers_read_as_text() -> None:
    issue = {"id": 10001, "key": "", "fields": {"summary": "", CORRELATION: 7}}
    assert values_from_issue(
        issue, {F.SYS_ID, F.TICKET_NUMBER, F.SHORT_DESCRIPTION, F.CORRELATION_ID}, CORRELATION
    ) == {
        F.SYS_ID: "10001",
        F.TICKET_NUMBER: None,
        F.SHORT_DESCRIPTION: None,
        F.CORRELATION_ID: "7",
    }


def test_an_empty_date_time_is_no_value() -> None:
    assert parse_time("", "resolutiondate") is None
    assert parse_time(None, "resolutiondate") is None
    issue = {"fields": {"resolutiondate": ""}}
    assert values_from_issue(issue, {F.RESOLVED_TIME}) == {F.RESOLVED_TIME: None}


def test_an_unreadable_comment_time_is_an_itsm_error_naming_it() -> None:
    with pytest.raises(ItsmError, match="Jira answered comment created 'yesterday'"):
        notes_from_comments([{"created": "yesterday", "body": None}])


def test_the_sla_fields_are_asked_for_only_when_the_time_left_is() -> None:
    slas = ("customfield_10030", "customfield_10031")
    assert issue_fields({F.TICKET_BUSINESS_TIME_LEFT}, slas=slas) == (
        "customfield_10030,customfield_10031,project"
    )
    assert issue_fields({F.SHORT_DESCRIPTION}, slas=slas) == "project,summary"
