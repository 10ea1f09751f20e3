"""How the connector shapes its REST 2.0 calls and reads RT's answers, with pytest-httpx.

pytest-httpx fails a test on any request no response was added for, so each test also proves that
no other call is made (no history call for plain fields, no message after a refused update).
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC

import httpx
import pytest

from connectors.connection import AuthType
from connectors.errors import BadInput, ItsmError, ItsmTimeout, TicketNotFound, Unavailable
from connectors.fields import TicketField
from connectors.model import UntakenValue, WriteRequest, WrittenTicket
from tests.connectors.rt.conftest import INSTANCE, PASSWORD, TOKEN, load

F = TicketField
API = f"{INSTANCE}/REST/2.0"


def search(columns: str = "", **expansions: str) -> dict[str, str]:
    params = {"query": "id = 7"}
    if columns:
        params["fields"] = columns
    params.update({f"fields[{k}]": v for k, v in expansions.items()})
    return params


def page(fields: str, number: int) -> dict[str, str]:
    params = {"fields": fields, "per_page": "100", "page": str(number)}
    if fields == HISTORY:  # each transaction's author expanded: answered by display name
        params["fields[Creator]"] = "Name,RealName"
    return params


HISTORY = "Type,Field,NewValue,Created,Creator"
ATTACHMENTS = "TransactionId,ContentType,Content"
EMPTY_PAGE = {"items": [], "count": 0, "page": 2, "pages": None, "per_page": 100, "total": None}


@pytest.fixture
def connector(factory, connection):
    return factory.open(connection(), extra_headers={"X-Request-ID": "req-42"})


async def test_plain_fields_are_one_search_with_only_their_columns(httpx_mock, connector):
    httpx_mock.add_response(
        url=f"{API}/tickets",
        match_params=search("Owner,Subject", Owner="Name,RealName"),
        json=load("ticket_resolved"),
    )

    ticket = await connector.fetch("7", {F.SHORT_DESCRIPTION, F.ASSIGNED_TO, F.SYS_ID}, UTC)

    assert ticket.values == {
        F.SYS_ID: "7",
        F.ASSIGNED_TO: "Agent One",
        F.SHORT_DESCRIPTION: "VPN drops every 10 minutes (site B)",
    }
    (request,) = httpx_mock.get_requests()
    assert request.headers["Authorization"] == f"token {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == "itsm-gateway"  # never a browser's: RT would 302
    assert request.headers["X-Request-ID"] == "req-42"


async def test_notes_read_history_and_attachments_concurrently(httpx_mock, connector):
    history_started, attachments_started = asyncio.Event(), asyncio.Event()

    async def history(request: httpx.Request) -> httpx.Response:
        history_started.set()
        await asyncio.wait_for(attachments_started.wait(), timeout=2)  # deadlocks if sequential
        return httpx.Response(200, json=load("history_resolved"))

    async def attachments(request: httpx.Request) -> httpx.Response:
        attachments_started.set()
        await asyncio.wait_for(history_started.wait(), timeout=2)
        return httpx.Response(200, json=load("attachments_resolved"))

    httpx_mock.add_response(url=f"{API}/tickets", match_params=search(), json=load("ticket_new"))
    httpx_mock.add_callback(history, url=f"{API}/ticket/7/history", match_params=page(HISTORY, 1))
    httpx_mock.add_callback(
        attachments, url=f"{API}/ticket/7/attachments", match_params=page(ATTACHMENTS, 1)
    )
    for path, fields in (("history", HISTORY), ("attachments", ATTACHMENTS)):
        httpx_mock.add_response(
            url=f"{API}/ticket/7/{path}", match_params=page(fields, 2), json=EMPTY_PAGE
        )

    ticket = await connector.fetch("7", {F.COMMENTS, F.WORK_NOTES, F.TICKET_NUMBER}, UTC)

    assert [n.text[:5] for n in ticket.values[F.COMMENTS]] == ["Hello", "Resol"]
    assert [n.text[:8] for n in ticket.values[F.WORK_NOTES]] == ["Internal"]


async def test_closure_notes_read_the_history_but_no_attachments(httpx_mock, connector):
    httpx_mock.add_response(
        url=f"{API}/tickets", match_params=search("CustomFields"), json=load("ticket_resolved")
    )
    history = load("history_resolved") | {"pages": 1, "total": 12}  # as a superuser sees it
    httpx_mock.add_response(
        url=f"{API}/ticket/7/history", match_params=page(HISTORY, 1), json=history
    )

    ticket = await connector.fetch("7", {F.CLOSURE_NOTES}, UTC)

    (note,) = ticket.values[F.CLOSURE_NOTES]
    assert note.text.startswith("Updated VPN client")


async def test_a_short_page_is_not_the_last_when_rt_gives_no_total(httpx_mock, connector):
    """RT leaves out of a page what the account may not see: page 1 can be short and page 2
    full of notes."""
    first = load("history_resolved")
    second = {**first, "page": 2, "items": [first["items"][8] | {"id": "300"}]}  # a Correspond
    httpx_mock.add_response(url=f"{API}/tickets", match_params=search(), json=load("ticket_new"))
    for number, body in ((1, first), (2, second), (3, EMPTY_PAGE)):
        httpx_mock.add_response(
            url=f"{API}/ticket/7/history", match_params=page(HISTORY, number), json=body
        )

    ticket = await connector.fetch("7", {F.RESOLVED_BY, F.CLOSED_BY}, UTC)

    assert ticket.values[F.RESOLVED_BY] == "gateway"
    assert len(httpx_mock.get_requests()) == 4


async def test_basic_auth(httpx_mock, factory, connection):
    httpx_mock.add_response(url=f"{API}/tickets", match_params=search(), json=load("ticket_new"))

    await factory.open(connection(AuthType.BASIC)).fetch("7", {F.SYS_ID}, UTC)

    expected = base64.b64encode(f"gateway:{PASSWORD}".encode()).decode()
    assert httpx_mock.get_requests()[0].headers["Authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    "auth_type", [AuthType.BEARER, AuthType.OAUTH_PASSWORD, AuthType.OAUTH_CLIENT_CREDENTIALS]
)
def test_auth_types_rt_does_not_know_are_refused_before_any_call(factory, connection, auth_type):
    with pytest.raises(BadInput, match=r"use basic .* or api_key"):
        factory.open(connection(auth_type))


def test_a_table_is_refused(factory, connection):
    with pytest.raises(BadInput, match="queues, not tables"):
        factory.open(connection(table="incident"))


@pytest.mark.parametrize("number", ["INC0010001", "0", "7 OR 1=1", "-7", "", "1" * 19])
async def test_a_number_that_is_no_ticket_id_is_refused_before_any_call(connector, number):
    with pytest.raises(BadInput, match="ticket id: a number such as 17"):
        await connector.fetch(number, {F.SYS_ID}, UTC)


async def test_no_such_ticket(httpx_mock, connector):
    empty = {"items": [], "count": 0, "page": 1, "pages": 0.0, "per_page": 20, "total": 0}
    httpx_mock.add_response(url=f"{API}/tickets", match_params=search(), json=empty)

    with pytest.raises(TicketNotFound, match=r"No ticket 7 in Request Tracker at rt\.example\.com"):
        await connector.fetch("7", {F.SYS_ID}, UTC)


async def test_another_tickets_answer_is_never_taken_for_it(httpx_mock, connector):
    httpx_mock.add_response(
        url=f"{API}/tickets", match_params=search(), json=load("notes_search_resolved")
    )
    with pytest.raises(TicketNotFound):
        await connector.fetch("7", {F.SYS_ID}, UTC)


async def test_refused_credentials_quote_rt_without_the_secret(httpx_mock, connector):
    httpx_mock.add_response(status_code=401, json={"message": f"Unauthorized token {TOKEN}"})

    with pytest.raises(ItsmError) as refused:
        await connector.fetch("7", {F.SYS_ID}, UTC)

    assert refused.value.status == 502
    assert refused.value.message == (
        "Request Tracker at rt.example.com rejected the gateway's credentials "
        "(401: Unauthorized token ***)"
    )


async def test_a_redirect_to_the_login_page_is_an_itsm_error(httpx_mock, connector):
    httpx_mock.add_response(status_code=302, headers={"Location": "/"}, text="Login required")
    with pytest.raises(ItsmError, match="answered 302 \\(a redirect, to '/'\\)"):
        await connector.fetch("7", {F.SYS_ID}, UTC)


async def test_an_html_page_is_an_itsm_error(httpx_mock, connector):
    httpx_mock.add_response(html="<html>Maintenance</html>")
    with pytest.raises(ItsmError, match="answered 200 with an HTML page instead of JSON"):
        await connector.fetch("7", {F.SYS_ID}, UTC)


@pytest.mark.parametrize(
    ("exception", "error"),
    [(httpx.ConnectError("refused"), Unavailable), (httpx.ReadTimeout("slow"), ItsmTimeout)],
)
async def test_transport_errors(httpx_mock, connector, exception, error):
    httpx_mock.add_exception(exception)
    with pytest.raises(error, match=r"Request Tracker at rt\.example\.com"):
        await connector.fetch("7", {F.SYS_ID}, UTC)


# -- writes --


async def test_create_sends_rt_fields_then_reads_back(httpx_mock, connector):
    httpx_mock.add_response(
        method="POST", url=f"{API}/ticket", status_code=201, json={"id": "7", "type": "ticket"}
    )
    httpx_mock.add_response(
        url=f"{API}/tickets",
        match_params=search("Queue,Subject", Queue="Name"),
        json={"items": [{"id": "7", "Queue": {"id": "1", "Name": "General"}, "Subject": "VPN"}]},
    )

    ticket = await connector.create(
        WriteRequest(native={"Subject": "VPN", "Content": "It drops."}), {F.TICKET_NUMBER}, UTC
    )

    assert ticket.values == {F.TICKET_NUMBER: "7"}
    create = httpx_mock.get_requests()[0]
    assert json.loads(create.content) == {
        "Subject": "VPN",
        "Content": "It drops.",
        "ContentType": "text/plain",
        "Queue": "General",
    }
    assert create.headers["Content-Type"] == "application/json"


async def test_a_status_sent_with_a_reply_goes_after_it(httpx_mock, connector):
    """RT reopens an inactive ticket on every reply, so a resolve sent first would be undone."""
    httpx_mock.add_response(method="PUT", url=f"{API}/ticket/7", json=["Subject changed"])
    httpx_mock.add_response(
        url=f"{API}/tickets",
        match_params=search("Subject"),
        json={"items": [{"id": "7", "Subject": "Fixed"}]},
    )
    httpx_mock.add_response(
        method="POST", url=f"{API}/ticket/7/correspond", status_code=201, json=["Added"]
    )
    httpx_mock.add_response(
        url=f"{API}/tickets",
        match_params=search("Status"),
        json={"items": [{"id": "7", "Status": "resolved"}]},
    )

    await connector.update(
        "7",
        WriteRequest(native={"Subject": "Fixed", "Status": "resolved", "Correspond": "Done."}),
        {F.SYS_ID},
        UTC,
    )

    put, _, reply, _ = httpx_mock.get_requests()
    assert json.loads(put.content) == {"Subject": "Fixed"}
    assert json.loads(reply.content) == {
        "Content": "Done.",
        "Status": "resolved",
        "ContentType": "text/plain",
    }


async def test_a_refused_value_is_reported_and_the_messages_still_posted(httpx_mock, connector):
    """The ticket exists and the note is a value the caller asked for too: it is posted, and
    the value RT did not take is answered in ``untaken``, named as the caller named it."""
    httpx_mock.add_response(method="PUT", url=f"{API}/ticket/7", json=load("update_refused"))
    httpx_mock.add_response(
        url=f"{API}/tickets",
        match_params=search("Status,Subject"),
        json={"items": [{"id": "7", "Status": "open", "Subject": "VPN drops (site B)"}]},
    )
    httpx_mock.add_response(
        method="POST", url=f"{API}/ticket/7/comment", status_code=201, json=["Comments added"]
    )
    httpx_mock.add_response(
        url=f"{API}/tickets", match_params=search(), json={"items": [{"id": "7"}]}
    )

    ticket = await connector.update(
        "7",
        WriteRequest(
            native={"Subject": "VPN drops (site B)", "Comment": "note"},
            canonical={"ticketStatus": "bogus"},
        ),
        {F.SYS_ID},
        UTC,
    )

    assert ticket.values == {F.SYS_ID: "7"}
    assert ticket.untaken == (
        UntakenValue(
            "ticketStatus",
            "bogus",
            "open",
            "Ticket 7: Status 'bogus' isn't a valid status for this ticket.",
        ),
    )
    comment = httpx_mock.get_requests()[2]
    assert json.loads(comment.content) == {"Content": "note", "ContentType": "text/plain"}


async def test_a_value_from_ticket_json_is_named_as_there(httpx_mock, connector):
    httpx_mock.add_response(method="PUT", url=f"{API}/ticket/7", json=[])
    httpx_mock.add_response(
        url=f"{API}/tickets",
        match_params=search("CustomFields"),
        json={"items": [{"id": "7", "CustomFields": [{"id": "3", "name": "Urgency"}]}]},
    )

    ticket = await connector.update(
        "7", WriteRequest(native={"CustomFields": {"Urgency": "9-Now"}}), {F.SYS_ID}, UTC
    )

    assert ticket.untaken == (UntakenValue("ticketJSON.CustomFields.Urgency", "9-Now", ""),)


async def test_a_message_only_update_checks_the_ticket_exists_first(httpx_mock, connector):
    empty = {"items": [], "count": 0, "page": 1, "pages": 0.0, "per_page": 20, "total": 0}
    httpx_mock.add_response(url=f"{API}/tickets", match_params=search(), json=empty)

    with pytest.raises(TicketNotFound):
        await connector.update("7", WriteRequest(native={"Comment": "note"}), {F.SYS_ID}, UTC)


async def test_an_update_of_no_such_ticket(httpx_mock, connector):
    httpx_mock.add_response(
        method="PUT",
        url=f"{API}/ticket/7",
        status_code=404,
        json={"message": "Resource does not exist; use POST to create"},
    )
    with pytest.raises(TicketNotFound, match="No ticket 7"):
        await connector.update("7", WriteRequest(native={"Subject": "x"}), {F.SYS_ID}, UTC)


async def test_a_failure_after_the_create_says_the_ticket_exists(httpx_mock, connector):
    httpx_mock.add_response(
        method="POST", url=f"{API}/ticket", status_code=201, json={"id": "7", "type": "ticket"}
    )
    httpx_mock.add_response(
        url=f"{API}/tickets",
        match_params=search("Queue,Subject", Queue="Name"),
        json={"items": [{"id": "7", "Queue": {"id": "1", "Name": "General"}, "Subject": "VPN"}]},
    )
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/ticket/7/comment",
        status_code=400,
        json={"message": "Message could not be recorded"},
    )

    with pytest.raises(ItsmError) as failed:
        await connector.create(
            WriteRequest(native={"Subject": "VPN", "Comment": "note"}), {F.SYS_ID}, UTC
        )

    assert failed.value.outcome_unknown
    assert failed.value.written == WrittenTicket("7", "7")
    assert failed.value.message == (
        "Request Tracker at rt.example.com created ticket 7 (applied Subject, Queue), but then: "
        "Request Tracker at rt.example.com refused the request (400: Message could not be "
        "recorded); the ticket exists: correct it with an update rather than creating it again"
    )
