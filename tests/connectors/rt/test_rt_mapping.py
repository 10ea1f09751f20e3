"""From recorded RT answers to canonical values (``connectors.rt.mapping``), pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.errors import ItsmError
from connectors.fields import TicketField
from connectors.model import Note
from connectors.rt.capabilities import REQUEST_TRACKER
from connectors.rt.mapping import (
    custom_field,
    rt_datetime,
    search_params,
    texts,
    ticket_columns,
    transactions,
    values_from_history,
    values_from_item,
)
from tests.connectors.rt.conftest import item, load

F = TicketField
READABLE = frozenset(REQUEST_TRACKER.readable)


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def test_a_resolved_ticket_from_its_search_item() -> None:
    values = values_from_item(item("ticket_resolved"), READABLE)

    assert values == {
        F.TICKET_NUMBER: "7",
        F.SYS_ID: "7",
        F.TICKET_STATUS: "resolved",
        F.TICKET_PRIORITY: "50",
        F.ASSIGNED_TO: "Agent One",  # the owner's real name
        F.ASSIGNED_GROUP: "Network",  # the queue's name, expanded in the same answer
        F.SHORT_DESCRIPTION: "VPN drops every 10 minutes (site B)",
        F.CATEGORY: "Network",
        F.SUB_CATEGORY: "VPN client",
        F.URGENCY: "2-Medium",
        F.TICKET_SEVERITY: "2-Major",
        F.CALLER_ID: "Caller One",
        F.CREATED_TIME: at("2026-11-28T07:19:41"),
        F.UPDATED_TIME: at("2026-11-28T07:19:43"),
        F.RESOLVED_TIME: at("2026-11-28T07:19:43"),
        F.CREATED_BY: "gateway",
        F.UPDATED_BY: "gateway",
        F.CORRELATION_ID: None,  # recorded before the field existed: not on the ticket
    }


def test_never_set_dates_and_empty_custom_fields_are_no_value() -> None:
    values = values_from_item(item("ticket_new"), READABLE)

    assert values[F.TICKET_STATUS] == "new"
    assert values[F.RESOLVED_TIME] is None  # RT says 1970-01-01T00:00:00Z
    assert values[F.TICKET_PRIORITY] == "30"
    assert values[F.URGENCY] == "1-High"


def test_the_notes_search_item_whose_references_are_partly_expanded() -> None:
    """The notes' capture (section 5.9) expanded Owner and Queue but not Requestor: the caller
    is then named by login, and root's real name shows for the owner."""
    values = values_from_item(item("notes_search_resolved"), READABLE)

    assert values[F.TICKET_NUMBER] == "2"
    assert values[F.ASSIGNED_TO] == "Enoch Root"
    assert values[F.ASSIGNED_GROUP] == "Network"
    assert values[F.CALLER_ID] == "caller1"
    assert values[F.URGENCY] == "2-Medium"
    assert values[F.RESOLVED_TIME] == at("2026-11-28T02:35:52")


def test_nobody_owns_an_unassigned_ticket_and_that_is_no_value() -> None:
    ticket = item("ticket_new") | {"Owner": {"id": "Nobody", "Name": "Nobody", "RealName": ""}}
    assert values_from_item(ticket, {F.ASSIGNED_TO})[F.ASSIGNED_TO] is None


def test_a_user_without_a_real_name_is_shown_by_login() -> None:
    ticket = item("ticket_new") | {
        "Requestor": [{"id": "jo@example.com", "Name": "jo@example.com", "RealName": ""}]
    }
    assert values_from_item(ticket, {F.CALLER_ID})[F.CALLER_ID] == "jo@example.com"


def test_a_ticket_without_requestors_has_no_caller() -> None:
    ticket = item("ticket_new") | {"Requestor": []}
    assert values_from_item(ticket, {F.CALLER_ID})[F.CALLER_ID] is None


def test_custom_fields_are_found_by_name_whatever_the_case_or_by_id() -> None:
    ticket = item("ticket_resolved")
    assert custom_field(ticket, "urgency") == ("4", ["2-Medium"])
    assert custom_field(ticket, "4") == ("4", ["2-Medium"])
    assert custom_field(ticket, "NoSuchField") == (None, [])


def test_comments_work_notes_and_description_from_history_and_attachments() -> None:
    history = transactions(load("history_resolved")["items"])
    bodies = texts(load("attachments_resolved")["items"])
    fields = {F.COMMENTS, F.WORK_NOTES, F.LONG_DESCRIPTION, F.RESOLVED_BY, F.CLOSED_BY}

    values = values_from_history(history, bodies, item("ticket_resolved"), fields)

    assert values[F.COMMENTS] == (
        Note("gateway", at("2026-11-28T07:19:42"), (
            "Hello, we are investigating. Please try the new client 5.2."
        )),
        Note("gateway", at("2026-11-28T07:19:42"), (
            "Resolution: updated VPN client to 5.2 and fixed MTU on concentrator."
        )),
    )  # fmt: skip
    assert values[F.WORK_NOTES] == (
        Note("gateway", at("2026-11-28T07:19:42"), (
            "Internal note: checked concentrator logs, MTU mismatch suspected."
        )),
    )  # fmt: skip
    assert values[F.LONG_DESCRIPTION] == (
        "User reports the VPN client disconnects every ~10 minutes since Monday.\n"
        "Second line of description."
    )
    assert values[F.RESOLVED_BY] == values[F.CLOSED_BY] == "gateway"


def test_closure_notes_come_from_the_custom_field_with_the_transaction_that_set_it() -> None:
    history = transactions(load("history_resolved")["items"])

    values = values_from_history(history, {}, item("ticket_resolved"), {F.CLOSURE_NOTES})

    # Set by transaction 142 (CustomField 6), not by the later resolve.
    assert values[F.CLOSURE_NOTES] == (
        Note("gateway", at("2026-11-28T07:19:42"), (
            "Updated VPN client to 5.2; fixed MTU on concentrator."
        )),
    )  # fmt: skip


def test_closure_notes_given_at_create_are_by_the_creator() -> None:
    history = transactions(load("history_resolved")["items"])[:1]  # only the Create
    values = values_from_history(history, {}, item("ticket_resolved"), {F.CLOSURE_NOTES})
    (note,) = values[F.CLOSURE_NOTES]
    assert (note.author, note.time) == ("gateway", at("2026-11-28T07:19:41"))


def test_no_closure_notes_without_the_custom_field_value() -> None:
    values = values_from_history([], {}, item("ticket_new"), {F.CLOSURE_NOTES})
    assert values[F.CLOSURE_NOTES] == ()


def test_the_notes_history_as_root_sees_it() -> None:
    """The notes' 20 transactions of ticket 2 (section 5.7, rebuilt from its table): outgoing
    mail records by RT_System are no notes, notes keep id order within one second, and the one
    comment's text comes from the notes' attachment capture (section 5.8)."""
    history = transactions(load("notes_history")["items"])
    (attachment,) = load("notes_transaction_attachments")["items"]  # GET /transaction/71/...
    bodies = {71: attachment["Content"]}
    fields = {F.COMMENTS, F.WORK_NOTES, F.RESOLVED_BY, F.CLOSED_BY}

    values = values_from_history(history, bodies, item("notes_search_resolved"), fields)

    assert [note.time for note in values[F.COMMENTS]] == [
        at("2026-11-28T02:35:52"),
        at("2026-11-28T02:35:52"),
    ]
    assert [note.author for note in values[F.COMMENTS]] == ["root", "root"]
    assert [note.text for note in values[F.WORK_NOTES]] == [
        "Internal note: checked concentrator logs, MTU mismatch suspected."
    ]
    assert [note.text for note in values[F.COMMENTS]] == ["", ""]  # texts not captured
    assert values[F.RESOLVED_BY] == "root"


def test_history_is_ordered_by_id_not_as_answered() -> None:
    items = load("history_resolved")["items"]
    assert [t.id for t in transactions(reversed(items))] == [int(i["id"]) for i in items]


def test_a_transaction_text_prefers_plain_text_then_the_first_part() -> None:
    parts = [
        {"id": "12", "TransactionId": "5", "ContentType": "text/html", "Content": "<p>hi</p>"},
        {"id": "13", "TransactionId": "5", "ContentType": "text/plain", "Content": "hi"},
        {"id": "14", "TransactionId": "5", "ContentType": "text/plain", "Content": "later"},
        {"id": "15", "TransactionId": "6", "ContentType": "text/html", "Content": "<b>x</b>"},
        {"id": "16", "TransactionId": "7", "ContentType": "image/png", "Content": "..."},
    ]
    assert texts(parts) == {5: "hi", 6: "<b>x</b>"}


@pytest.mark.parametrize("raw", ["1970-01-01T00:00:00Z", "", None])
def test_no_date(raw: object) -> None:
    assert rt_datetime(raw, "Resolved") is None


def test_a_date_that_is_not_rts_utc_form_is_an_itsm_error() -> None:
    with pytest.raises(ItsmError, match="Resolved '2026-11-28 02:35:52'"):
        rt_datetime("2026-11-28 02:35:52", "Resolved")


def test_the_search_asks_only_for_the_needed_columns_and_expands_their_references() -> None:
    columns = ticket_columns({F.TICKET_NUMBER, F.ASSIGNED_TO, F.URGENCY, F.COMMENTS})
    assert search_params("17", columns) == {
        "query": "id = 17",
        "fields": "CustomFields,Owner",
        "fields[Owner]": "Name,RealName",
    }
    assert search_params("17", ticket_columns({F.SYS_ID})) == {"query": "id = 17"}


def test_people_are_answered_by_their_real_name_on_every_path() -> None:
    """docs/contract.md#people: RealName, else the login (an account without one)."""
    agent = {"id": "agent1", "Name": "agent1", "RealName": "Agent One"}
    bare = {"id": "root", "Name": "root", "RealName": ""}
    ticket = {"id": "7", "Creator": agent, "LastUpdatedBy": bare}
    history = transactions(
        [
            {"id": "1", "Type": "Create", "Creator": agent, "Created": "2026-03-01T10:00:00Z"},
            {"id": "2", "Type": "Correspond", "Creator": bare, "Created": "2026-03-01T11:00:00Z"},
            {
                "id": "3",
                "Type": "Status",
                "Field": "Status",
                "NewValue": "resolved",
                "Creator": agent,
                "Created": "2026-03-01T12:00:00Z",
            },
        ]
    )

    values = values_from_item(ticket, {F.CREATED_BY, F.UPDATED_BY})
    notes = values_from_history(history, {2: "Done"}, ticket, {F.COMMENTS, F.RESOLVED_BY})

    assert values == {F.CREATED_BY: "Agent One", F.UPDATED_BY: "root"}
    assert notes[F.RESOLVED_BY] == "Agent One"
    assert [note.author for note in notes[F.COMMENTS]] == ["root"]


def test_the_search_expands_the_creator_and_last_updater() -> None:
    params = search_params("7", ticket_columns({F.CREATED_BY, F.UPDATED_BY}))
    assert params["fields[Creator]"] == params["fields[LastUpdatedBy]"] == "Name,RealName"
