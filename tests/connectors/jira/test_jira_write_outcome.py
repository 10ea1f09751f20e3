"""What Jira holds after a write, judged against what was sent (``connectors.jira.write_outcome``):
each value that did not take is named as the caller named it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from connectors.jira.adf import text_to_adf
from connectors.jira.write_outcome import read_back_fields, untaken
from connectors.jira.writes import plan_write
from connectors.model import UntakenValue, WriteRequest


def held(**fields: Any) -> dict[str, Any]:
    return {"id": "10001", "key": "DESK-1", "fields": fields}


def plan(native: dict[str, Any] | None = None, **canonical: str) -> Any:
    return plan_write(WriteRequest(native=native or {}, canonical=canonical), creating=False)


def test_every_field_sent_and_the_target_status_are_read_back() -> None:
    written = plan({"priority": {"name": "High"}, "labels": ["a"]}, ticketStatus="Done")
    assert read_back_fields(written) == {"priority", "labels", "status"}


def test_values_jira_holds_as_sent_took() -> None:
    written = plan(
        {
            "priority": {"name": "high"},  # names without regard to case, as Jira finds them
            "labels": ["b", "a"],
            "customfield_10050": 3,
            "description": "two\n\nparagraphs",
        },
        shortDescription="Disk full",
    )
    issue = held(
        summary="Disk full",
        priority={"id": "2", "name": "High"},
        labels=["a", "b"],
        customfield_10050=3.0,
        description=text_to_adf("two\n\nparagraphs"),
    )
    assert untaken(written, issue) == ()


def test_a_value_an_automation_rule_changed_is_named_as_the_caller_named_it() -> None:
    written = plan({"priority": {"name": "High"}}, shortDescription="Disk full")
    issue = held(summary="Disk full (triaged)", priority={"id": "3", "name": "Medium"})
    assert untaken(written, issue) == (
        UntakenValue("ticketJSON.priority", "High", "Medium"),
        UntakenValue("shortDescription", "Disk full", "Disk full (triaged)"),
    )


def test_a_status_a_post_function_moved_on_is_reported() -> None:
    written = plan(ticketStatus="Resolved")
    issue = held(status={"id": "6", "name": "Closed"})
    assert untaken(written, issue) == (UntakenValue("ticketStatus", "Resolved", "Closed"),)


@pytest.mark.parametrize(
    ("sent", "now"),
    [
        ({"accountId": "abc"}, None),
        ({"value": "Hardware"}, {"value": "Software", "id": "10021"}),
        (["a"], []),
        ("2026-03-01", "2026-03-02"),
    ],
)
def test_other_shapes_are_compared_by_what_identifies_them(sent: Any, now: Any) -> None:
    written = plan({"customfield_1": sent})
    (value,) = untaken(written, held(customfield_1=now))
    assert value.field == "ticketJSON.customfield_1"


def test_a_field_jira_does_not_answer_is_not_judged() -> None:
    assert untaken(plan({"customfield_1": "x"}), held()) == ()


def test_a_person_is_quoted_as_the_caller_named_them() -> None:
    written = dataclasses.replace(
        plan({"assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5"}}),
        origins={"assignee": "assignedTo"},
        given={"assignee": "Beth Anglin"},
    )
    issue = held(assignee={"accountId": "5b109f2e9729b51b54dc274d", "displayName": "David Loo"})
    assert untaken(written, issue) == (UntakenValue("assignedTo", "Beth Anglin", "David Loo"),)
