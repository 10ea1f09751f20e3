"""The TicketSQL builder against the canonical filter: every key, the escaping, the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.errors import BadInput
from connectors.rt.ticketsql import build_ticketsql, order_params
from connectors.search import DEFAULT_ORDER, Order, SortField, TicketFilter


def test_an_empty_filter_is_every_ticket_and_a_profile_scopes_it() -> None:
    assert build_ticketsql(TicketFilter()) == "id > 0"
    assert build_ticketsql(TicketFilter(), queues=frozenset({"general"})) == "Queue = 'general'"
    assert build_ticketsql(TicketFilter(), queues=frozenset({"network", "general"})) == (
        "(Queue = 'general' OR Queue = 'network')"
    )


@pytest.mark.parametrize(
    ("filter", "sql"),
    [
        (TicketFilter(numbers=("7",)), "id = 7"),
        (TicketFilter(numbers=("7", " 12")), "(id = 7 OR id = 12)"),
        (TicketFilter(statuses=("open", "new")), "(Status = 'open' OR Status = 'new')"),
        (TicketFilter(priorities=("High",)), "Priority = 'High'"),
        (TicketFilter(assigned_to="agent1"), "Owner = 'agent1'"),
        (TicketFilter(assigned_group="Network"), "Queue = 'Network'"),
        (
            TicketFilter(caller="fred@example.com"),
            "(Requestor.Name = 'fred@example.com' OR Requestor.EmailAddress = 'fred@example.com')",
        ),
        (TicketFilter(correlation_id="9f2c"), "CF.{CorrelationId} = '9f2c'"),
        (TicketFilter(active=True), "Status = '__Active__'"),
        (TicketFilter(active=False), "Status = '__Inactive__'"),
        (TicketFilter(text="VPN drops"), "Subject LIKE 'VPN drops'"),
    ],
)
def test_each_filter_key(filter: TicketFilter, sql: str) -> None:
    assert build_ticketsql(filter) == sql


def test_times_in_utc_after_inclusive_before_exclusive() -> None:
    after = datetime(2026, 3, 11, 14, 0, 5, tzinfo=UTC)
    before = datetime(2026, 3, 12, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    sql = build_ticketsql(
        TicketFilter(
            created_after=after, created_before=before, updated_after=after, updated_before=before
        )
    )
    assert sql == (
        "Created >= '2026-03-11 14:00:05' AND Created < '2026-03-12 07:30:00' "
        "AND LastUpdated >= '2026-03-11 14:00:05' AND LastUpdated < '2026-03-12 07:30:00'"
    )


def test_conditions_are_anded_in_a_fixed_order() -> None:
    sql = build_ticketsql(
        TicketFilter(statuses=("open",), text="mail"), queues=frozenset({"general"})
    )
    assert sql == "Queue = 'general' AND Status = 'open' AND Subject LIKE 'mail'"


def test_quotes_and_backslashes_are_escaped_never_closing_the_string() -> None:
    sql = build_ticketsql(TicketFilter(caller="o'brien' OR id > '0", text="a\\b"))
    assert "Requestor.Name = 'o\\'brien\\' OR id > \\'0'" in sql
    assert sql.endswith("Subject LIKE 'a\\\\b'")


@pytest.mark.parametrize(
    ("filter", "key"),
    [
        (TicketFilter(statuses=("open\nOR id > 0",)), "filter.statuses"),
        (TicketFilter(text="\x00"), "filter.text"),
        (TicketFilter(text=" "), "filter.text"),
        (TicketFilter(text="x" * 256), "filter.text"),
        (TicketFilter(statuses=("CF.{Category}",)), "filter.statuses"),
        (TicketFilter(caller="customfield.{Secret}"), "filter.caller"),
        (TicketFilter(statuses=("__Bookmarked__",)), "filter.statuses"),
        (TicketFilter(assigned_to="__Active__"), "filter.assignedTo"),
        (TicketFilter(numbers=("7 OR 1",)), "filter.numbers"),
        (TicketFilter(numbers=("DESK-1",)), "filter.numbers"),
        (TicketFilter(created_after=datetime(2026, 3, 11)), "filter.createdAfter"),
    ],
)
def test_values_ticketsql_cannot_carry_are_refused_naming_the_key(
    filter: TicketFilter, key: str
) -> None:
    with pytest.raises(BadInput, match=key.replace(".", r"\.")):
        build_ticketsql(filter)


def test_order_as_repeated_orderby_and_order() -> None:
    assert order_params(DEFAULT_ORDER) == [
        ("orderby", "Created"),
        ("order", "DESC"),
        ("orderby", "id"),
        ("order", "ASC"),
    ]
    assert order_params((Order(SortField.UPDATED_TIME), Order(SortField.TICKET_PRIORITY))) == [
        ("orderby", "LastUpdated"),
        ("order", "ASC"),
        ("orderby", "Priority"),
        ("order", "ASC"),
    ]
