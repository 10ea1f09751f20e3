"""Did a write take: what was sent against the write's answer (``display_value=all``), case by
case (``connectors.servicenow.verify``)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.model import UntakenValue
from connectors.servicenow.verify import SentValue, as_text, untaken_values

BETH = "2a313cf0aaef8941aa0772af047bbdcf"
STATES = frozenset({"1", "2", "3", "6", "7", "8"})


def pair(display: str, value: str | None = None) -> dict[str, str]:
    return {"display_value": display, "value": display if value is None else value}


def judge(sent: SentValue, row: dict[str, Any]) -> tuple[UntakenValue, ...]:
    return untaken_values([sent], row, "incident")


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (True, "true"), (False, "false"), (3, "3"), (" x ", "x"), ("2", "2")],
)
def test_values_compare_as_servicenow_stores_them(value, text):
    assert as_text(value) == text


def test_a_plain_value_that_took():
    sent = SentValue("ticketJSON.short_description", "VPN", "short_description", "VPN")
    assert judge(sent, {"short_description": pair("VPN ")}) == ()


def test_a_number_and_a_boolean_took_as_their_text():
    sent = [
        SentValue("ticketJSON.impact", "2", "impact", 2),
        SentValue("ticketJSON.u_vip", "true", "u_vip", True),
    ]
    row = {"impact": pair("2 - Medium", "2"), "u_vip": pair("true")}
    assert untaken_values(sent, row, "incident") == ()


def test_a_stored_value_that_differs_names_what_is_held():
    sent = SentValue("ticketJSON.u_site", "Lyon", "u_site", "Lyon")
    assert judge(sent, {"u_site": pair("Paris")}) == (
        UntakenValue("ticketJSON.u_site", "Lyon", "Paris", ""),
    )


def test_a_column_missing_from_the_answer_did_not_take():
    sent = SentValue("ticketJSON.u_nope", "1", "u_nope", "1")
    (untaken,) = judge(sent, {"number": pair("INC0010008")})
    assert untaken == UntakenValue(
        "ticketJSON.u_nope", "1", "", "no such column on incident, or one the account may not read"
    )


def test_a_label_in_a_choice_column_is_not_a_choice():
    sent = SentValue("ticketJSON.state", "In Progress", "state", "In Progress", STATES)
    (untaken,) = judge(sent, {"state": pair("In Progress")})
    assert untaken == UntakenValue(
        "ticketJSON.state", "In Progress", "In Progress", "not a choice of incident.state"
    )


def test_without_sys_choice_an_integer_choice_must_hold_digits():
    sent = SentValue("ticketJSON.urgency", "High", "urgency", "High")
    (untaken,) = judge(sent, {"urgency": pair("High")})
    assert untaken.reason == "not a choice of incident.urgency"
    # an instance's own code passes (instances add states)
    sent = SentValue("ticketJSON.state", "10", "state", "10")
    assert judge(sent, {"state": pair("10")}) == ()


def test_a_canonical_choice_is_named_as_the_caller_sent_it():
    sent = SentValue("ticketStatus", "In Progress", "state", "2", STATES)
    assert judge(sent, {"state": pair("In Progress", "2")}) == ()
    (untaken,) = judge(sent, {"state": pair("New", "1")})
    assert untaken == UntakenValue("ticketStatus", "In Progress", "New", "")


def test_a_reference_that_holds_the_sys_id_sent_took():
    sent = SentValue("assignedTo", "Beth Anglin", "assigned_to", BETH)
    assert judge(sent, {"assigned_to": pair("Beth Anglin", BETH)}) == ()


def test_a_name_stored_in_a_reference_is_no_record():
    sent = SentValue("ticketJSON.assigned_to", "Beth Anglin", "assigned_to", "Beth Anglin")
    (untaken,) = judge(sent, {"assigned_to": pair("", "Beth Anglin")})
    assert untaken.field == "ticketJSON.assigned_to"
    assert untaken.held == "Beth Anglin"  # the value, as the display is empty
    assert "holds no record" in untaken.reason


def test_a_sys_id_of_no_record_is_no_record():
    ghost = "0123456789abcdef0123456789abcdef"
    sent = SentValue("ticketJSON.caller_id", ghost, "caller_id", ghost)
    (untaken,) = judge(sent, {"caller_id": pair("", ghost)})
    assert "holds no record" in untaken.reason


def test_a_reference_an_instance_resolved_from_the_name_sent_took():
    sent = SentValue("ticketJSON.assigned_to", "beth anglin", "assigned_to", "beth anglin")
    assert judge(sent, {"assigned_to": pair("Beth Anglin", BETH)}) == ()


def test_an_unknown_column_holding_a_value_without_display_is_no_record():
    sent = SentValue("ticketJSON.u_owner", "Bob", "u_owner", "Bob")
    (untaken,) = judge(sent, {"u_owner": pair("", "Bob")})
    assert "holds no record" in untaken.reason


def test_clearing_a_reference_took_when_it_is_empty():
    sent = SentValue("assignedTo", "", "assigned_to", "")
    assert judge(sent, {"assigned_to": pair("", "")}) == ()


JOURNAL = (
    "2026-03-11 10:00:00 - Gateway Integration (Additional comments)\nsecond\n\n"
    "2026-03-10 10:00:00 - Beth Anglin (Additional comments)\nfirst"
)


def test_a_journal_entry_found_in_the_display_text_took():
    sent = SentValue("comments", "second", "comments", "second")
    assert judge(sent, {"comments": pair(JOURNAL, "")}) == ()


def test_a_journal_entry_missing_from_the_display_text_did_not_take():
    sent = SentValue("ticketJSON.comments", "third", "comments", "third")
    (untaken,) = judge(sent, {"comments": pair(JOURNAL, "")})
    assert untaken == UntakenValue(
        "ticketJSON.comments", "third", "", "the entry is not in the record's comments"
    )


@pytest.mark.parametrize("row", [{}, {"work_notes": pair("", "")}])
def test_a_journal_without_display_text_is_not_judged(row):
    # missing or empty: what an account without read access to the journal sees too
    sent = SentValue("workNotes", "note", "work_notes", "note")
    assert judge(sent, row) == ()


def test_several_values_are_judged_each():
    sent = [
        SentValue("ticketJSON.state", "In Progress", "state", "In Progress", STATES),
        SentValue("shortDescription", "VPN", "short_description", "VPN"),
        SentValue("ticketJSON.u_nope", "x", "u_nope", "x"),
    ]
    row = {"state": pair("In Progress"), "short_description": pair("VPN")}
    assert [u.field for u in untaken_values(sent, row, "incident")] == [
        "ticketJSON.state",
        "ticketJSON.u_nope",
    ]
