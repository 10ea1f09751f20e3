"""Request Tracker mapping edges that ``make mutate`` found no test holding (docs/mutation.md):
the columns and expansions each field asks for, the correlation search, references and custom
fields in every shape RT answers them, and who resolved, closed or set the closure notes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.errors import ItsmError
from connectors.fields import ALL_FIELDS, TicketField
from connectors.model import Note
from connectors.rt.mapping import (
    CORRELATION_ID,
    correlation_params,
    custom_field,
    display_name,
    login,
    rt_datetime,
    search_params,
    texts,
    ticket_columns,
    transactions,
    values_from_history,
    values_from_item,
)

F = TicketField

EXPECTED_COLUMNS = {
    F.TICKET_NUMBER: set(),
    F.TICKET_STATUS: {"Status"},
    F.TICKET_PRIORITY: {"Priority"},
    F.SYS_ID: set(),
    F.ASSIGNED_TO: {"Owner"},
    F.ASSIGNED_GROUP: {"Queue"},
    F.SHORT_DESCRIPTION: {"Subject"},
    F.LONG_DESCRIPTION: set(),
    F.CATEGORY: {"CustomFields"},
    F.SUB_CATEGORY: {"CustomFields"},
    F.CALLER_ID: {"Requestor"},
    F.URGENCY: {"CustomFields"},
    F.TICKET_SEVERITY: {"CustomFields"},
    F.COMMENTS: set(),
    F.WORK_NOTES: set(),
    F.CLOSURE_NOTES: {"CustomFields"},
    F.CREATED_TIME: {"Created"},
    F.UPDATED_TIME: {"LastUpdated"},
    F.RESOLVED_TIME: {"Resolved"},
    F.CREATED_BY: {"Creator"},
    F.UPDATED_BY: {"LastUpdatedBy"},
    F.RESOLVED_BY: set(),
    F.CLOSED_BY: set(),
    F.CORRELATION_ID: {"CustomFields"},
}


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def test_the_table_names_every_field_but_the_two_rt_does_not_keep() -> None:
    missing = set(ALL_FIELDS) - set(EXPECTED_COLUMNS)
    assert missing == {F.TICKET_BUSINESS_DURATION, F.TICKET_BUSINESS_TIME_LEFT}


@pytest.mark.parametrize("field", list(EXPECTED_COLUMNS), ids=lambda field: field.value)
def test_each_field_asks_for_its_columns(field: TicketField) -> None:
    assert ticket_columns({field}) == EXPECTED_COLUMNS[field]


def test_every_reference_is_expanded_in_the_search_itself() -> None:
    columns = ["Queue", "Requestor", "Cc", "AdminCc", "Owner", "Subject"]
    assert search_params("7", columns) == {
        "query": "id = 7",
        "fields": "AdminCc,Cc,Owner,Queue,Requestor,Subject",
        "fields[AdminCc]": "Name,EmailAddress",
        "fields[Cc]": "Name,EmailAddress",
        "fields[Owner]": "Name,RealName",
        "fields[Queue]": "Name",
        "fields[Requestor]": "Name,RealName,EmailAddress",
    }


def test_the_correlation_search_asks_the_custom_field_for_at_most_two_tickets() -> None:
    assert correlation_params("igw-1f", ["Status", "Owner"]) == {
        "query": "CF.{CorrelationId} = 'igw-1f'",
        "fields": "Owner,Status",
        "fields[Owner]": "Name,RealName",
        "per_page": "2",
    }


@pytest.mark.parametrize("value", ["igw-1f", "A", "SO-42", "Ab.c:d/e_f", "Z" + "a" * 254])
def test_correlation_ids_that_may_be_looked_up(value: str) -> None:
    assert CORRELATION_ID.fullmatch(value)


@pytest.mark.parametrize("value", ["", "-a", "a'b", "a b", "Z" + "a" * 255])
def test_correlation_ids_that_may_not(value: str) -> None:
    assert not CORRELATION_ID.fullmatch(value)


@pytest.mark.parametrize("raw", ["202-11-28T02:35:51Z", "12026-11-28T02:35:51Z"])
def test_a_year_has_four_digits(raw: str) -> None:
    with pytest.raises(ItsmError, match="not a UTC date time"):
        rt_datetime(raw, "Created")


def test_numbers_read_as_text() -> None:
    assert values_from_item({"id": 7, "Priority": 50}, {F.TICKET_NUMBER, F.TICKET_PRIORITY}) == {
        F.TICKET_NUMBER: "7",
        F.TICKET_PRIORITY: "50",
    }


def test_references_by_login_whatever_their_shape() -> None:
    assert login({"Name": "beth", "id": "22"}) == "beth"
    assert login({"id": "beth"}) == "beth"
    assert login("beth") == "beth"
    assert login("") is None
    assert login({}) is None
    assert display_name("beth") == "beth"
    assert display_name({"id": "beth", "RealName": "  "}) == "beth"
    assert display_name("Nobody") is None


def test_a_queue_without_a_name_reads_as_its_id() -> None:
    assert values_from_item({"Queue": {"id": "3"}}, {F.ASSIGNED_GROUP}) == {F.ASSIGNED_GROUP: "3"}
    assert values_from_item({"Queue": "General"}, {F.ASSIGNED_GROUP}) == {
        F.ASSIGNED_GROUP: "General"
    }


def test_custom_fields_skip_odd_entries_and_join_several_values() -> None:
    ticket = {
        "CustomFields": [
            "junk",
            {"id": "2", "name": "Category", "values": ["Network", None, "VPN"]},
        ]
    }
    assert custom_field(ticket, "Category") == ("2", ["Network", "VPN"])
    assert values_from_item(ticket, {F.CATEGORY}) == {F.CATEGORY: "Network, VPN"}


def test_history_items_without_a_numeric_id_are_skipped() -> None:
    found = transactions([{"id": "next"}, {"id": "4", "Type": "Create"}])
    assert [transaction.id for transaction in found] == [4]


def test_an_unreadable_transaction_time_is_an_itsm_error_naming_it() -> None:
    with pytest.raises(ItsmError, match="answered Created 'yesterday'"):
        transactions([{"id": "4", "Type": "Create", "Created": "yesterday"}])


def _history(*items: dict[str, str]) -> list:
    return transactions(
        {"Creator": {"id": item["who"], "Name": item["who"]}, **item} for item in items
    )


def test_who_resolved_and_who_closed() -> None:
    history = _history(
        {"id": "1", "Type": "Create", "who": "alice"},
        {"id": "2", "Type": "Set", "Field": "Status", "NewValue": "resolved", "who": "bob"},
        # A note whose text happens to be a status changes nothing.
        {"id": "3", "Type": "Comment", "Field": "", "NewValue": "resolved", "who": "carol"},
        {"id": "4", "Type": "Status", "Field": "Status", "NewValue": "rejected", "who": "dave"},
        {"id": "5", "Type": "Set", "Field": "Subject", "NewValue": "resolved", "who": "erin"},
    )
    values = values_from_history(history, {}, {}, {F.RESOLVED_BY, F.CLOSED_BY})
    assert values == {F.RESOLVED_BY: "bob", F.CLOSED_BY: "dave"}


def _closure_item(*values: str) -> dict:
    return {"CustomFields": [{"id": "6", "name": "ClosureNotes", "values": list(values)}]}


def test_closure_notes_are_by_whoever_set_that_custom_field() -> None:
    history = _history(
        {"id": "1", "Type": "Create", "who": "alice", "Created": "2026-03-01T10:00:00Z"},
        {"id": "2", "Type": "CustomField", "Field": "6", "who": "bob",
         "Created": "2026-03-01T11:00:00Z"},
        {"id": "3", "Type": "CustomField", "Field": "9", "who": "carol",
         "Created": "2026-03-01T12:00:00Z"},
    )  # fmt: skip
    values = values_from_history(history, {}, _closure_item("Fixed", "Rebooted"), {F.CLOSURE_NOTES})
    assert values[F.CLOSURE_NOTES] == (
        Note(author="bob", time=at("2026-03-01T11:00:00"), text="Fixed\nRebooted"),
    )


def test_closure_notes_without_any_history_have_no_author() -> None:
    values = values_from_history([], {}, _closure_item("Fixed"), {F.CLOSURE_NOTES})
    assert values[F.CLOSURE_NOTES] == (Note(author=None, time=None, text="Fixed"),)


def test_a_transactions_text_is_its_first_plain_part() -> None:
    parts = [
        {"id": "12", "TransactionId": "5", "ContentType": "text/html", "Content": "<p>a</p>"},
        {"id": "11", "TransactionId": "5", "ContentType": "text/plain", "Content": "second"},
        {"id": "10", "TransactionId": "5", "ContentType": "text/plain", "Content": "first"},
        {"id": "9", "TransactionId": "6", "ContentType": "image/png", "Content": "..."},
    ]
    assert texts(parts) == {5: "first"}
