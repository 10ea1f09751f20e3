"""The search use case's own rules (``resolvers.search``): the filter, the order, page sizes and
the opaque cursor bound to its query."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from connectors.connection import Connection, Credentials
from connectors.connection_keys import AuthType
from connectors.errors import BadInput
from connectors.search import DEFAULT_ORDER, Order, SortField, TicketFilter
from resolvers.search import Cursor, PageLimits, parse_filter, parse_order, query_digest


def test_the_filter_by_its_canonical_names() -> None:
    wanted = parse_filter(
        {
            "numbers": ["INC1", "INC2"],
            "statuses": "New",
            "assignedTo": " beth.anglin ",
            "createdAfter": "2026-01-02T03:04:05Z",
            "active": False,
            "text": None,
        }
    )
    assert wanted == TicketFilter(
        numbers=("INC1", "INC2"),
        statuses=("New",),
        assigned_to="beth.anglin",
        created_after=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        active=False,
    )
    assert parse_filter(None) == parse_filter({}) == TicketFilter()


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"txt": "x"}, "txt"),
        ({"createdAfter": "2026-01-02T03:04:05"}, "filter.createdAfter"),  # no offset
        ({"createdAfter": "yesterday"}, "filter.createdAfter"),
        ({"numbers": []}, "filter.numbers"),
        ({"numbers": ["x"] * 101}, "filter.numbers"),
        ({"caller": "  "}, "filter.caller"),
        ({"active": "yes"}, "filter.active"),
        ({"text": "x" * 257}, "filter.text"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_key(raw: dict[str, object], named: str) -> None:
    with pytest.raises(BadInput, match=named):
        parse_filter(raw)


def test_the_order_always_ends_with_the_number() -> None:
    assert parse_order(None) == DEFAULT_ORDER
    assert parse_order([{"field": "updatedTime", "descending": True}]) == (
        Order(SortField.UPDATED_TIME, descending=True),
        Order(SortField.TICKET_NUMBER),
    )
    with pytest.raises(BadInput, match=r"orderBy\.field"):
        parse_order([{"field": "sys_id"}])
    with pytest.raises(BadInput, match="more than once"):
        parse_order([{"field": "createdTime"}, {"field": "createdTime"}])


def test_page_sizes_are_bounded() -> None:
    limits = PageLimits(default=20, maximum=50)
    assert limits.size(None) == 20
    assert limits.size(50) == 50
    for bad in (0, -1, 51):
        with pytest.raises(BadInput, match="first must be between 1 and 50"):
            limits.size(bad)


def _connection(user: str = "gateway.integration", sign_in: str = "s3cret") -> Connection:
    return Connection(
        itsm_type="servicenow",
        instance_url="https://acme.service-now.com",
        credentials=Credentials(AuthType.BASIC, username=user, password=sign_in),
    )


def test_a_cursor_is_bound_to_its_query() -> None:
    limits = PageLimits()
    digest = query_digest(_connection(), "incident", TicketFilter(text="a"), DEFAULT_ORDER)
    cursor = Cursor(digest, "40", 3).encode()
    assert Cursor.decode(cursor, digest, limits) == Cursor(digest, "40", 3)
    for other in (
        query_digest(_connection(), "incident", TicketFilter(text="b"), DEFAULT_ORDER),
        query_digest(_connection(), "sc_task", TicketFilter(text="a"), DEFAULT_ORDER),
        query_digest(_connection(user="other"), "incident", TicketFilter(text="a"), DEFAULT_ORDER),
        query_digest(_connection(), "incident", TicketFilter(text="a"), parse_order([])[:1]),
    ):
        assert other != digest
        with pytest.raises(BadInput, match="another search"):
            Cursor.decode(cursor, other, limits)


def test_the_digest_holds_no_secret_and_is_the_same_in_every_process() -> None:
    one = query_digest(_connection(sign_in="a"), "incident", TicketFilter(), DEFAULT_ORDER)
    assert one == query_digest(_connection(sign_in="b"), "incident", TicketFilter(), DEFAULT_ORDER)
    assert "s3cret" not in base64.urlsafe_b64decode(Cursor(one, None).encode() + "==").decode()


@pytest.mark.parametrize(
    "text",
    [
        "not-a-cursor",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(b'{"q": "d", "p": 5, "s": 0}').decode(),
        base64.urlsafe_b64encode(b'{"q": "d", "p": null, "s": 1000}').decode(),
        base64.urlsafe_b64encode(b'{"q": "d", "p": null, "s": true}').decode(),
        "x" * 5000,
    ],
)
def test_what_the_gateway_did_not_give_out_is_refused(text: str) -> None:
    with pytest.raises(BadInput, match="not a cursor"):
        Cursor.decode(text, "d", PageLimits())
