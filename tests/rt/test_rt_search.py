"""Searching a real Request Tracker 5 through the connector: the TicketSQL it builds is what RT
reads, paging reaches the end with no ticket twice or missed, a profile's queues hold, and the
notes of a whole page come in one history call and one attachment call."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.errors import BadInput
from connectors.fields import TicketField
from connectors.rt import RtConnectorFactory
from connectors.rt.connector import RtConnector
from connectors.search import Order, SearchRequest, SortField, TicketFilter
from emulators.rt_launcher import RtServer

F = TicketField


class Counting(httpx.AsyncBaseTransport):
    """The real transport, counting the calls by path."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path.rsplit("/", 1)[-1])
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def calls() -> AsyncIterator[Counting]:
    transport = Counting()
    yield transport
    await transport.aclose()


def open_connector(
    rt: RtServer, calls: Counting, http: httpx.AsyncClient, queues: frozenset[str] | None = None
) -> RtConnector:
    connection = Connection(
        itsm_type="rt",
        instance_url=rt.url,
        credentials=Credentials(auth_type=AuthType.API_KEY, api_key=rt.api_token),
        scopes=queues,
    )
    return RtConnectorFactory(http).open(connection)


@pytest.fixture
async def http(calls: Counting) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=calls, timeout=60) as client:
        yield client


async def make_tickets(rt: RtServer, tag: str, count: int, **extra: str) -> list[str]:
    ids = []
    async with rt.admin_client() as admin:
        for n in range(count):
            body = {"Queue": "General", "Subject": f"{tag} {n}", "Content": f"about {n}", **extra}
            answer = await admin.post("/ticket", json=body)
            answer.raise_for_status()
            ids.append(str(answer.json()["id"]))
    return ids


async def test_paging_to_the_end_sees_every_ticket_once(
    rt_server: RtServer, calls: Counting, http: httpx.AsyncClient
) -> None:
    tag = f"search-{uuid.uuid4().hex[:10]}"
    made = await make_tickets(rt_server, tag, 7)
    connector = open_connector(rt_server, calls, http)
    seen: list[str] = []
    position: str | None = None
    order = (Order(SortField.CREATED_TIME, descending=True), Order(SortField.TICKET_NUMBER))
    for _ in range(10):
        page = await connector.search(
            SearchRequest(TicketFilter(text=tag), order=order, first=3, position=position),
            {F.TICKET_NUMBER, F.SHORT_DESCRIPTION},
            UTC,
        )
        assert page.total == 7
        seen += [str(t.values[F.TICKET_NUMBER]) for t in page.tickets]
        position = page.position
        if position is None:
            break
    assert sorted(seen, key=int) == made and len(seen) == len(set(seen))
    assert calls.paths == ["tickets"] * 3


async def test_filters_as_rt_reads_them(
    rt_server: RtServer, calls: Counting, http: httpx.AsyncClient
) -> None:
    tag = f"filter-{uuid.uuid4().hex[:10]}"
    before = datetime.now(UTC) - timedelta(seconds=2)
    first, second = await make_tickets(rt_server, tag, 2, Requestor="o'brien@example.com")
    async with rt_server.admin_client() as admin:
        (await admin.put(f"/ticket/{second}", json={"Status": "resolved"})).raise_for_status()
    connector = open_connector(rt_server, calls, http)

    async def found(**filter: object) -> list[str]:
        request = SearchRequest(TicketFilter(text=tag, **filter), first=50)  # type: ignore[arg-type]
        page = await connector.search(request, {F.TICKET_NUMBER}, UTC)
        return sorted((str(t.values[F.TICKET_NUMBER]) for t in page.tickets), key=int)

    assert await found() == [first, second]
    assert await found(numbers=(second,)) == [second]
    assert await found(statuses=("resolved",)) == [second]
    assert await found(active=True) == [first]
    assert await found(active=False) == [second]
    assert await found(caller="o'brien@example.com") == [first, second]
    assert await found(assigned_group="General") == [first, second]
    assert await found(assigned_group="Network") == []
    assert await found(created_after=before) == [first, second]
    assert await found(created_before=before) == []
    assert await found(priorities=("0",)) == [first, second]
    with pytest.raises(BadInput, match=r"filter\.statuses"):
        await found(statuses=("CF.{Category}",))


async def test_a_profiles_queues_hold(
    rt_server: RtServer, calls: Counting, http: httpx.AsyncClient
) -> None:
    tag = f"queues-{uuid.uuid4().hex[:10]}"
    (in_general,) = await make_tickets(rt_server, tag, 1)
    network = open_connector(rt_server, calls, http, frozenset({"network"}))
    page = await network.search(SearchRequest(TicketFilter(text=tag)), {F.TICKET_NUMBER}, UTC)
    assert page.tickets == ()
    general = open_connector(rt_server, calls, http, frozenset({"general"}))
    fields = {F.TICKET_NUMBER, F.ASSIGNED_GROUP}
    page = await general.search(SearchRequest(TicketFilter(text=tag)), fields, UTC)
    assert [(t.values[F.TICKET_NUMBER], t.values[F.ASSIGNED_GROUP]) for t in page.tickets] == [
        (in_general, "General")
    ]


async def test_a_pages_notes_in_one_history_and_one_attachment_call(
    rt_server: RtServer, calls: Counting, http: httpx.AsyncClient
) -> None:
    tag = f"notes-{uuid.uuid4().hex[:10]}"
    ids = await make_tickets(rt_server, tag, 3)
    async with rt_server.admin_client() as admin:
        for ticket_id in ids:
            body = {"Content": f"reply to {ticket_id}", "ContentType": "text/plain"}
            (await admin.post(f"/ticket/{ticket_id}/correspond", json=body)).raise_for_status()
            body = {"Content": f"note on {ticket_id}", "ContentType": "text/plain"}
            (await admin.post(f"/ticket/{ticket_id}/comment", json=body)).raise_for_status()
    connector = open_connector(rt_server, calls, http)
    page = await connector.search(
        SearchRequest(TicketFilter(text=tag), order=(Order(SortField.TICKET_NUMBER),)),
        {F.TICKET_NUMBER, F.COMMENTS, F.WORK_NOTES, F.LONG_DESCRIPTION},
        UTC,
    )
    assert calls.paths == ["tickets", "transactions", "attachments"]
    for n, (ticket_id, ticket) in enumerate(zip(ids, page.tickets, strict=True)):
        assert ticket.values[F.TICKET_NUMBER] == ticket_id
        assert ticket.values[F.LONG_DESCRIPTION] == f"about {n}"
        assert [note.text for note in ticket.values[F.COMMENTS]] == [f"reply to {ticket_id}"]  # type: ignore[union-attr]
        assert [note.text for note in ticket.values[F.WORK_NOTES]] == [f"note on {ticket_id}"]  # type: ignore[union-attr]
