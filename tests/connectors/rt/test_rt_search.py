"""How the connector shapes a search's REST 2.0 calls (pytest-httpx fails a test on any call no
response was added for, so each test also proves that no other call is made)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from connectors.capabilities import Operation
from connectors.connection import Connection
from connectors.errors import BadInput, ItsmError
from connectors.fields import TicketField
from connectors.rt import RtConnectorFactory
from connectors.search import SearchRequest, TicketFilter
from tests.connectors.rt.conftest import INSTANCE

F = TicketField
API = f"{INSTANCE}/REST/2.0"
ORDER = [("orderby", "Created"), ("order", "DESC"), ("orderby", "id"), ("order", "ASC")]


def starting(prefix: str) -> re.Pattern[str]:
    return re.compile(re.escape(prefix) + ".*")


def pairs(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(str(request.url)).query)


def ticket(ident: int, **columns: Any) -> dict[str, Any]:
    return {"id": str(ident), "type": "ticket", **columns}


def collection(items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"items": items, "count": len(items), "per_page": 100, "page": 1, **extra}


@pytest.fixture
def open_connector(factory: RtConnectorFactory, connection: Callable[..., Connection]):
    def make(queues: frozenset[str] | None = None):
        base = connection()
        return factory.open(
            Connection(base.itsm_type, base.instance_url, base.credentials, scopes=queues)
        )

    return make


def test_rt_declares_search() -> None:
    assert Operation.SEARCH in RtConnectorFactory.capabilities.operations


async def test_one_call_for_the_rows_with_the_columns_order_and_page(
    httpx_mock, open_connector
) -> None:
    httpx_mock.add_response(
        url=starting(f"{API}/tickets?"),
        json=collection(
            [ticket(9, Subject="Mail", Queue={"Name": "General"})],
            total=3,
            pages=2,
            per_page=2,
        ),
    )
    page = await open_connector(frozenset({"general"})).search(
        SearchRequest(TicketFilter(statuses=("open",)), first=2),
        {F.TICKET_NUMBER, F.SHORT_DESCRIPTION},
        UTC,
    )
    (request,) = httpx_mock.get_requests()
    assert pairs(request) == [
        ("query", "Queue = 'general' AND Status = 'open'"),
        ("fields", "Queue,Subject"),
        ("fields[Queue]", "Name"),
        *ORDER,
        ("page", "1"),
        ("per_page", "2"),
    ]
    assert [t.values for t in page.tickets] == [{F.TICKET_NUMBER: "9", F.SHORT_DESCRIPTION: "Mail"}]
    assert (page.position, page.total) == ("2:2", 3)


async def test_the_position_keeps_its_page_size_and_the_last_page_ends(
    httpx_mock, open_connector
) -> None:
    httpx_mock.add_response(
        url=starting(f"{API}/tickets?"), json=collection([ticket(3)], total=3, pages=2)
    )
    page = await open_connector().search(
        SearchRequest(TicketFilter(), first=50, position="2:2"), {F.TICKET_NUMBER}, UTC
    )
    (request,) = httpx_mock.get_requests()
    assert pairs(request)[-2:] == [("page", "2"), ("per_page", "2")]
    assert page.position is None


async def test_without_a_total_paging_ends_with_an_empty_page(httpx_mock, open_connector) -> None:
    httpx_mock.add_response(url=starting(f"{API}/tickets?"), json=collection([]))
    page = await open_connector().search(
        SearchRequest(TicketFilter(), position="4:20"), {F.TICKET_NUMBER}, UTC
    )
    assert (page.tickets, page.position, page.total) == ((), None, None)


async def test_the_pages_notes_come_from_one_history_and_one_attachment_search(
    httpx_mock, open_connector
) -> None:
    httpx_mock.add_response(
        url=starting(f"{API}/tickets?"), json=collection([ticket(1), ticket(2)], total=2)
    )
    creator = {"id": "agent1", "Name": "agent1", "RealName": "Agent One"}
    history = [
        {"id": "10", "ObjectId": "1", "Type": "Create", "Created": "2026-11-28T02:35:51Z",
         "Creator": creator},
        {"id": "11", "ObjectId": "2", "Type": "Correspond", "Created": "2026-11-28T02:36:00Z",
         "Creator": creator},
        {"id": "12", "ObjectId": "1", "Type": "Comment", "Created": "2026-11-28T02:37:00Z",
         "Creator": creator},
    ]  # fmt: skip
    httpx_mock.add_response(url=starting(f"{API}/transactions?"), json=collection(history))
    attachments = [
        {"id": "20", "TransactionId": "10", "ContentType": "text/plain", "Content": "desc"},
        {"id": "21", "TransactionId": "11", "ContentType": "text/plain", "Content": "reply"},
        {"id": "22", "TransactionId": "12", "ContentType": "text/plain", "Content": "note"},
    ]
    httpx_mock.add_response(url=starting(f"{API}/attachments?"), json=collection(attachments))

    page = await open_connector().search(
        SearchRequest(TicketFilter()), {F.COMMENTS, F.WORK_NOTES, F.LONG_DESCRIPTION}, UTC
    )

    _, transactions, found = httpx_mock.get_requests()
    assert pairs(transactions) == [
        (
            "query",
            "ObjectType = 'RT::Ticket' AND (ObjectId = 1 OR ObjectId = 2) AND (Type = 'Create' "
            "OR Type = 'Correspond' OR Type = 'Status' OR Type = 'Set' OR Type = 'CustomField' "
            "OR Type = 'Comment')",
        ),
        ("fields", "Type,Field,NewValue,Created,Creator,ObjectId"),
        ("fields[Creator]", "Name,RealName"),
        ("orderby", "id"),
        ("per_page", "100"),
        ("page", "1"),
    ]
    query = dict(pairs(found))["query"]
    assert json.loads(query) == [
        {"field": "TransactionId", "operator": "IN", "value": [10, 11, 12]}
    ]
    one, two = page.tickets
    assert one.values[F.LONG_DESCRIPTION] == "desc"
    assert [n.text for n in one.values[F.WORK_NOTES]] == ["note"]
    assert one.values[F.COMMENTS] == ()
    assert [(n.author, n.text) for n in two.values[F.COMMENTS]] == [("Agent One", "reply")]


async def test_no_history_call_for_fields_of_the_ticket_alone(httpx_mock, open_connector) -> None:
    httpx_mock.add_response(url=starting(f"{API}/tickets?"), json=collection([ticket(1)]))
    await open_connector().search(SearchRequest(TicketFilter()), {F.TICKET_STATUS}, UTC)
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SearchRequest(TicketFilter(text="CF.{x}")), r"filter\.text"),
        (SearchRequest(TicketFilter(numbers=("x",))), r"filter\.numbers"),
        (SearchRequest(TicketFilter(), position="2"), "after"),
        (SearchRequest(TicketFilter(), position="2:500"), "after"),
    ],
)
async def test_refusals_send_nothing(
    httpx_mock, open_connector, request_: SearchRequest, message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        await open_connector().search(request_, {F.TICKET_NUMBER}, UTC)
    assert httpx_mock.get_requests() == []


async def test_a_ticket_outside_the_profiles_queues_is_not_answered(
    httpx_mock, open_connector
) -> None:
    httpx_mock.add_response(
        url=starting(f"{API}/tickets?"),
        json=collection([ticket(1, Queue={"Name": "Network"})]),
    )
    with pytest.raises(ItsmError, match="outside the profile's queues"):
        await open_connector(frozenset({"general"})).search(
            SearchRequest(TicketFilter()), {F.TICKET_NUMBER}, UTC
        )
