"""The sentence both doors say about a write that did not take whole, and its entries."""

from __future__ import annotations

from connectors.model import UntakenValue
from resolvers.write_report import (
    untaken_entries,
    untaken_from_entries,
    untaken_message,
    written_ids,
)

STATE = UntakenValue(
    "ticketJSON.state", "In Progress", "In Progress", "not a choice of incident.state"
)
ASSIGNEE = UntakenValue("assignedTo", "beth", "")


def test_a_write_that_took_whole_says_only_what_was_done() -> None:
    assert untaken_message("Created incident INC0010009", ()) == "Created incident INC0010009"


def test_each_value_that_did_not_take_is_named_with_what_is_held() -> None:
    assert untaken_message("Created incident INC0010009", (STATE, ASSIGNEE)) == (
        "Created incident INC0010009, but 2 values did not take: ticketJSON.state 'In Progress' "
        "(it holds 'In Progress'; not a choice of incident.state), assignedTo 'beth' "
        "(it holds ''); correct them with an update"
    )
    assert untaken_message("Updated ticket 17", (ASSIGNEE,)).endswith(
        "1 value did not take: assignedTo 'beth' (it holds ''); correct it with an update"
    )


def test_entries_round_trip() -> None:
    entries = untaken_entries((STATE, ASSIGNEE))
    assert entries[1] == {"field": "assignedTo", "sent": "beth", "held": "", "reason": ""}
    assert untaken_from_entries(entries) == (STATE, ASSIGNEE)


def test_no_written_ticket_names_nothing() -> None:
    assert written_ids(None) is None
