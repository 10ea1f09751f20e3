"""The JQL builder against the canonical filter: every key, the escaping, the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from connectors.errors import BadInput
from connectors.jira.jql import People, build_jql, text_term
from connectors.search import DEFAULT_ORDER, Order, SortField, TicketFilter

LA = ZoneInfo("America/Los_Angeles")
NO_ORDER: tuple[Order, ...] = ()


def where(filter: TicketFilter, **kwargs: object) -> str:
    return build_jql(filter, NO_ORDER, project="DESK", **kwargs)  # type: ignore[arg-type]


def test_the_project_of_the_connection_is_a_condition_and_the_order_follows() -> None:
    assert (
        build_jql(TicketFilter(), DEFAULT_ORDER, project="DESK")
        == 'project = "DESK" ORDER BY created DESC, key ASC'
    )


def test_every_order_field() -> None:
    order = (
        Order(SortField.UPDATED_TIME),
        Order(SortField.TICKET_PRIORITY, descending=True),
        Order(SortField.TICKET_NUMBER),
    )
    assert build_jql(TicketFilter(), order, project="DESK").endswith(
        "ORDER BY updated ASC, priority DESC, key ASC"
    )


@pytest.mark.parametrize(
    ("filter", "clause"),
    [
        (TicketFilter(numbers=("DESK-1",)), 'key = "DESK-1"'),
        (TicketFilter(numbers=("DESK-1", "desk-2")), 'key in ("DESK-1", "desk-2")'),
        (
            TicketFilter(statuses=("Open", "Work in progress")),
            'status in ("Open", "Work in progress")',
        ),
        (TicketFilter(statuses=("10001",)), 'status = "10001"'),
        (TicketFilter(priorities=("High", "1")), 'priority in ("High", "1")'),
        (TicketFilter(active=True), "statusCategory != Done"),
        (TicketFilter(active=False), "statusCategory = Done"),
        (TicketFilter(text="printer"), 'summary ~ "printer"'),
        (TicketFilter(text="floor 3"), 'summary ~ "\\"floor 3\\""'),
        (TicketFilter(correlation_id="9f2c1a"), '"Correlation ID" ~ "9f2c1a"'),
    ],
)
def test_each_filter_key(filter: TicketFilter, clause: str) -> None:
    assert where(filter) == f'project = "DESK" AND {clause}'


def test_people_go_as_the_account_ids_found() -> None:
    people = People(assignee="5b10a2844c20165700ede21f", reporter="qm:1:2")
    jql = where(TicketFilter(assigned_to="Agent Smith", caller="fred@acme.example"), people=people)
    assert jql == (
        'project = "DESK" AND assignee = "5b10a2844c20165700ede21f" AND reporter = "qm:1:2"'
    )


def test_times_in_the_users_zone_to_the_minute() -> None:
    after = datetime(2026, 3, 11, 14, 0, tzinfo=UTC)
    before = datetime(2026, 3, 12, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    jql = where(
        TicketFilter(
            created_after=after,
            created_before=before,
            updated_after=after,
            updated_before=before,
        ),
        zone=LA,
    )
    assert jql == (
        'project = "DESK" AND created >= "2026/03/11 07:00" AND created < "2026/03/12 00:30" '
        'AND updated >= "2026/03/11 07:00" AND updated < "2026/03/12 00:30"'
    )


def test_quotes_and_backslashes_are_escaped_never_closing_the_string() -> None:
    jql = where(TicketFilter(statuses=('Open" OR project = "OPS', "a\\b")))
    assert jql == 'project = "DESK" AND status in ("Open\\" OR project = \\"OPS", "a\\\\b")'


def test_text_search_operators_are_searched_for() -> None:
    # One backslash before each operator in the string's value, so two in the JQL text.
    assert text_term("C++ [prod]", "text") == '"\\"C\\\\+\\\\+ \\\\[prod\\\\]\\""'
    assert text_term('a"b', "text") == '"a\\\\\\"b"'


@pytest.mark.parametrize(
    ("filter", "key"),
    [
        (TicketFilter(statuses=("Open\nproject = OPS",)), "filter.statuses"),
        (TicketFilter(text="a\x00b"), "filter.text"),
        (TicketFilter(text="   "), "filter.text"),
        (TicketFilter(text="x" * 256), "filter.text"),
        (TicketFilter(caller="x\ty"), "filter.caller"),
        (TicketFilter(numbers=("DESK-1 OR 1=1",)), "filter.numbers"),
        (TicketFilter(numbers=("42",)), "filter.numbers"),
        (TicketFilter(assigned_group="Network"), "filter.assignedGroup"),
        (TicketFilter(created_after=datetime(2026, 3, 11, 14, 0, 5, tzinfo=UTC)), "createdAfter"),
        (TicketFilter(updated_before=datetime(2026, 3, 11, 14, 0)), "updatedBefore"),
    ],
)
def test_values_jql_cannot_carry_are_refused_naming_the_key(filter: TicketFilter, key: str) -> None:
    with pytest.raises(BadInput, match=key):
        where(filter, zone=LA)


def test_a_search_without_any_condition_is_refused() -> None:
    with pytest.raises(BadInput, match="without any condition"):
        build_jql(TicketFilter(), DEFAULT_ORDER, project=None)
    assert build_jql(TicketFilter(active=True), NO_ORDER, project=None) == "statusCategory != Done"
