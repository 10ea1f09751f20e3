"""The encoded-query builder of ServiceNow's search (``connectors.servicenow.search``): what a
filter becomes, and what it refuses before any call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.errors import BadInput
from connectors.search import DEFAULT_ORDER, Order, SearchRequest, SortField, TicketFilter
from connectors.servicenow.search import encoded_search, offset_of, row_matches

SYS_ID = "6816f79cc0a8016401c5a33be04be441"


async def query_of(wanted: TicketFilter, order: tuple[Order, ...] = DEFAULT_ORDER) -> str:
    return (await encoded_search(SearchRequest(wanted, order), None, "incident")).query


async def test_every_condition_and_the_order() -> None:
    paris = timezone(timedelta(hours=1))
    query = await query_of(
        TicketFilter(
            numbers=("INC0010001", "INC0010002"),
            statuses=("In Progress", "6"),
            priorities=("1 - Critical", "low"),
            assigned_to=SYS_ID,
            caller=SYS_ID,
            correlation_id="abc-1",
            created_after=datetime(2026, 1, 2, 4, 4, 5, tzinfo=paris),
            updated_before=datetime(2026, 2, 1, tzinfo=UTC),
            active=True,
            text="Wi-Fi drops",
        ),
        order=(Order(SortField.UPDATED_TIME, descending=True), Order(SortField.TICKET_NUMBER)),
    )
    assert query.split("^") == [
        "numberININC0010001,INC0010002",
        "stateIN2,6",
        "priorityIN1,4",
        f"assigned_to={SYS_ID}",
        f"caller_id={SYS_ID}",
        "correlation_id=abc-1",
        "sys_created_on>=2026-01-02 03:04:05",
        "sys_updated_on<2026-02-01 00:00:00",
        "active=true",
        "short_descriptionLIKEWi-Fi drops",
        "ORDERBYDESCsys_updated_on",
        "ORDERBYnumber",
    ]


async def test_no_filter_is_the_default_order_only() -> None:
    assert await query_of(TicketFilter()) == "ORDERBYDESCsys_created_on^ORDERBYnumber"


@pytest.mark.parametrize(
    ("wanted", "key"),
    [
        (TicketFilter(text="a^ORactive=true"), "filter.text"),
        (TicketFilter(text="two\nlines"), "filter.text"),
        (TicketFilter(numbers=("INC1,INC2",)), "filter.numbers"),
        (TicketFilter(correlation_id="javascript:gs.getUserID()"), "filter.correlationId"),
        (TicketFilter(caller="x=y"), "filter.caller"),
        (TicketFilter(statuses=("Sleeping",)), "filter.statuses"),
        (TicketFilter(assigned_group="Network"), "filter.assignedGroup"),  # no directory
    ],
)
async def test_what_the_query_cannot_carry_is_refused_naming_the_key(
    wanted: TicketFilter, key: str
) -> None:
    with pytest.raises(BadInput, match=key):
        await query_of(wanted)


@pytest.mark.parametrize("position", ["-1", "x", "1e3", "99999999999", " 5"])
def test_a_position_it_never_gave_out_is_refused(position: str) -> None:
    with pytest.raises(BadInput, match="after"):
        offset_of(position)


def test_positions_are_offsets() -> None:
    assert offset_of(None) == 0
    assert offset_of("40") == 40


async def test_rows_are_checked_again_for_numbers_and_correlation_id() -> None:
    search = await encoded_search(
        SearchRequest(TicketFilter(numbers=("INC0010001",), correlation_id="k1")), None, "incident"
    )
    assert row_matches(search, "inc0010001", "k1")
    assert not row_matches(search, "INC0010002", "k1")  # a dropped condition widened the list
    assert not row_matches(search, "INC0010001", "")
