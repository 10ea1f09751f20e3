"""How the connector shapes its Jira calls: which calls, which parameters, which headers, in
which order, and that a write judged bad sends nothing.

pytest-httpx fails a test on any request no response was added for, so each test also proves
that no other call is made.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from connectors.errors import BadInput, TicketNotFound
from connectors.fields import TicketField
from connectors.jira import JiraConnectorFactory
from connectors.jira.adf import text_to_adf
from connectors.model import Note, WriteRequest
from tests.connectors.jira.conftest import API_TOKEN, EMAIL, SITE, connection

F = TicketField
ISSUE = f"{SITE}/rest/api/3/issue"
DESK1 = f"{ISSUE}/DESK-1"
COMMENTS = f"{DESK1}/comment"
SLA = f"{SITE}/rest/servicedeskapi/request/DESK-1/sla"
COMMENT_PAGE = {"startAt": "0", "maxResults": "100", "orderBy": "created"}
SLA_PAGE = {"start": "0", "limit": "50"}
Payload = Callable[[str], Any]


def issue(key: str = "DESK-1", issue_id: str = "10001", **fields: Any) -> dict[str, Any]:
    project = {"id": "10000", "key": key.split("-")[0], "projectTypeKey": "service_desk"}
    return {"id": issue_id, "key": key, "fields": {"project": project, **fields}}


def body(request: httpx.Request) -> Any:
    return orjson.loads(request.content)


@pytest.fixture
def connector(factory: JiraConnectorFactory):
    return factory.open(connection(), extra_headers={"X-Request-ID": "req-42"})


async def test_one_issue_call_with_only_the_needed_fields(httpx_mock, connector) -> None:
    httpx_mock.add_response(
        url=DESK1,
        match_params={"fields": "project,summary"},
        json=issue(summary="Cannot send email"),
    )

    ticket = await connector.fetch("DESK-1", {F.SHORT_DESCRIPTION}, UTC)

    assert ticket.values == {F.SHORT_DESCRIPTION: "Cannot send email"}
    (request,) = httpx_mock.get_requests()
    assert request.method == "GET"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["X-Request-ID"] == "req-42"
    expected = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert "Content-Type" not in request.headers


async def test_comments_and_sla_are_read_only_when_asked_and_concurrently(
    httpx_mock, connector, payload: Payload
) -> None:
    started = {"issue": asyncio.Event(), "comments": asyncio.Event(), "sla": asyncio.Event()}

    def waiting(name: str, answer: Any) -> Callable[[httpx.Request], Any]:
        async def respond(request: httpx.Request) -> httpx.Response:
            started[name].set()
            # Deadlocks (and fails after the bound) if the three calls were made one by one.
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started.values())), 2)
            return httpx.Response(200, json=answer)

        return respond

    httpx_mock.add_callback(
        waiting("issue", issue()), url=DESK1, match_params={"fields": "project"}
    )
    httpx_mock.add_callback(
        waiting("comments", payload("comments_desk2")), url=COMMENTS, match_params=COMMENT_PAGE
    )
    httpx_mock.add_callback(waiting("sla", payload("sla_desk1")), url=SLA, match_params=SLA_PAGE)

    ticket = await connector.fetch("DESK-1", {F.WORK_NOTES, F.TICKET_BUSINESS_TIME_LEFT}, UTC)

    assert ticket.values == {
        F.WORK_NOTES: (
            Note(
                "David Loo",
                datetime(2026, 3, 10, 10, 0, tzinfo=UTC),
                "Known issue with 5.2.x; upgrade to 5.3.",
            ),
        ),
        F.TICKET_BUSINESS_TIME_LEFT: "3600",
    }


async def test_comments_are_read_page_by_page(httpx_mock, connector, payload: Payload) -> None:
    comments = payload("comments_desk2")["comments"]
    first = {"startAt": 0, "maxResults": 100, "total": 101, "comments": comments[:1] * 100}
    rest = {"startAt": 100, "maxResults": 100, "total": 101, "comments": comments[1:2]}
    httpx_mock.add_response(url=DESK1, match_params={"fields": "project"}, json=issue())
    httpx_mock.add_response(url=COMMENTS, match_params=COMMENT_PAGE, json=first)
    httpx_mock.add_response(
        url=COMMENTS, match_params={**COMMENT_PAGE, "startAt": "100"}, json=rest
    )

    ticket = await connector.fetch("DESK-1", {F.COMMENTS}, UTC)

    assert len(ticket.values[F.COMMENTS]) == 101


async def test_sla_of_an_issue_that_is_no_request_is_no_value(httpx_mock, connector) -> None:
    httpx_mock.add_response(url=DESK1, match_params={"fields": "project"}, json=issue())
    httpx_mock.add_response(
        url=SLA,
        match_params=SLA_PAGE,
        status_code=404,
        json={"errorMessage": "The request does not exist", "i18nErrorMessage": {}},
    )

    ticket = await connector.fetch("DESK-1", {F.TICKET_BUSINESS_TIME_LEFT}, UTC)

    assert ticket.values == {F.TICKET_BUSINESS_TIME_LEFT: None}


async def test_a_refused_sla_read_is_a_refused_field_not_a_failed_fetch(
    httpx_mock, connector
) -> None:
    httpx_mock.add_response(
        url=DESK1, match_params={"fields": "project,summary"}, json=issue(summary="Printer")
    )
    httpx_mock.add_response(
        url=SLA,
        match_params=SLA_PAGE,
        status_code=403,
        json={
            "errorMessage": "You do not have permission to view the SLAs of this request.",
            "i18nErrorMessage": {"i18nKey": "sd.sla.error.no.permission", "parameters": []},
        },
    )

    fields = {F.TICKET_BUSINESS_TIME_LEFT, F.SHORT_DESCRIPTION}
    ticket = await connector.fetch("DESK-1", fields, UTC)

    assert ticket.values == {F.TICKET_BUSINESS_TIME_LEFT: None, F.SHORT_DESCRIPTION: "Printer"}
    assert list(ticket.refused) == [F.TICKET_BUSINESS_TIME_LEFT]
    assert "the account lacks read access" in ticket.refused[F.TICKET_BUSINESS_TIME_LEFT]


@pytest.mark.parametrize("number", ["", "DESK", "DESK-0", "10001", "DESK-1/comment", "DE SK-1"])
async def test_a_number_that_is_no_issue_key_is_refused(connector, number: str) -> None:
    with pytest.raises(BadInput, match="Jira issue key"):
        await connector.fetch(number, {F.TICKET_NUMBER}, UTC)


async def test_a_pinned_project_reaches_only_its_issues(httpx_mock, factory) -> None:
    httpx_mock.add_response(
        url=f"{ISSUE}/OPS-1", match_params={"fields": "project"}, json=issue("OPS-1", "10006")
    )
    connector = factory.open(connection(table="DESK"))

    with pytest.raises(TicketNotFound, match="project DESK"):
        await connector.fetch("OPS-1", {F.TICKET_NUMBER}, UTC)


# -- create ------------------------------------------------------------------------------------


async def test_create_reads_the_project_creates_comments_and_reads_back(
    httpx_mock, factory, payload: Payload
) -> None:
    connector = factory.open(connection(table="DESK"))
    httpx_mock.add_response(url=f"{SITE}/rest/api/3/project/DESK", json=payload("project_desk"))
    httpx_mock.add_response(
        url=ISSUE, method="POST", status_code=201, json={"id": "10007", "key": "DESK-6"}
    )
    httpx_mock.add_response(url=f"{ISSUE}/10007/comment", method="POST", status_code=201, json={})
    httpx_mock.add_response(
        url=f"{SITE}/rest/servicedeskapi/request/10007/comment",
        method="POST",
        status_code=201,
        json={},
    )
    httpx_mock.add_response(
        url=f"{ISSUE}/10007",
        # The asked fields, and every field sent: the read back judges whether they took.
        match_params={"fields": "description,project,summary"},
        json=issue("DESK-6", "10007", summary="Disk full"),
    )

    ticket = await connector.create(
        WriteRequest(
            native={"summary": "Disk full", "description": "a\n\nb"},
            canonical={"comments": "Seen", "workNotes": "Disk 98%"},
        ),
        {F.TICKET_NUMBER, F.SYS_ID, F.SHORT_DESCRIPTION},
        UTC,
    )

    assert ticket.values == {
        F.TICKET_NUMBER: "DESK-6",
        F.SYS_ID: "10007",
        F.SHORT_DESCRIPTION: "Disk full",
    }
    requests = httpx_mock.get_requests()
    assert [(r.method, r.url.path) for r in requests] == [
        ("GET", "/rest/api/3/project/DESK"),
        ("POST", "/rest/api/3/issue"),
        ("POST", "/rest/api/3/issue/10007/comment"),
        ("POST", "/rest/servicedeskapi/request/10007/comment"),
        ("GET", "/rest/api/3/issue/10007"),
    ]
    assert body(requests[1]) == {
        "fields": {
            "project": {"key": "DESK"},
            "issuetype": {"name": "[System] Incident"},
            "summary": "Disk full",
            "description": text_to_adf("a\n\nb"),
        }
    }
    assert requests[1].headers["Content-Type"] == "application/json"
    assert body(requests[2]) == {"body": text_to_adf("Seen")}
    assert body(requests[3]) == {"body": "Disk 98%", "public": False}


async def test_create_without_a_project_sends_nothing(connector) -> None:
    with pytest.raises(BadInput, match=r"connectionDetails\.table must name the Jira project"):
        await connector.create(WriteRequest(native={"summary": "x"}), {F.SYS_ID}, UTC)


async def test_internal_note_in_a_software_project_is_refused_after_reading_it(
    httpx_mock, factory
) -> None:
    connector = factory.open(connection(table="OPS"))
    httpx_mock.add_response(
        url=f"{SITE}/rest/api/3/project/OPS",
        json={"key": "OPS", "projectTypeKey": "software", "issueTypes": [{"name": "Task"}]},
    )

    with pytest.raises(BadInput, match="internal comments exist only in Jira Service Management"):
        await connector.create(
            WriteRequest(native={"summary": "x"}, canonical={"workNotes": "y"}), {F.SYS_ID}, UTC
        )
    assert len(httpx_mock.get_requests()) == 1


async def test_create_in_a_project_without_a_default_type_names_its_types(
    httpx_mock, factory
) -> None:
    connector = factory.open(connection(table="OPS"))
    httpx_mock.add_response(
        url=f"{SITE}/rest/api/3/project/OPS",
        json={"key": "OPS", "issueTypes": [{"name": "Bug"}, {"name": "Sub", "subtask": True}]},
    )

    with pytest.raises(BadInput, match=r"its issue types are Bug$"):
        await connector.create(WriteRequest(native={"summary": "x"}), {F.SYS_ID}, UTC)


# -- update ------------------------------------------------------------------------------------


def transitions_issue(payload: Payload) -> dict[str, Any]:
    return payload("issue_desk1_transitions")


async def test_update_edits_transitions_comments_then_reads_back(
    httpx_mock, connector, payload: Payload
) -> None:
    httpx_mock.add_response(
        url=f"{ISSUE}/10001",
        match_params={"fields": "project,status", "expand": "transitions"},
        json=transitions_issue(payload),
    )
    httpx_mock.add_response(url=f"{ISSUE}/10001", method="PUT", status_code=204)
    httpx_mock.add_response(url=f"{ISSUE}/10001/transitions", method="POST", status_code=204)
    httpx_mock.add_response(url=f"{ISSUE}/10001/comment", method="POST", status_code=201, json={})
    httpx_mock.add_response(
        url=f"{ISSUE}/10001",
        match_params={"fields": "labels,project,status"},
        json=issue(status={"id": "5", "name": "Resolved"}),
    )

    ticket = await connector.update(
        "10001",
        WriteRequest(
            native={"labels": ["mail"], "resolution": {"name": "Duplicate"}},
            canonical={"ticketStatus": "resolved", "comments": "Fixed"},
        ),
        {F.TICKET_STATUS},
        UTC,
    )

    assert ticket.values == {F.TICKET_STATUS: "Resolved"}
    requests = httpx_mock.get_requests()
    assert [(r.method, r.url.path) for r in requests] == [
        ("GET", "/rest/api/3/issue/10001"),
        ("PUT", "/rest/api/3/issue/10001"),
        ("POST", "/rest/api/3/issue/10001/transitions"),
        ("POST", "/rest/api/3/issue/10001/comment"),
        ("GET", "/rest/api/3/issue/10001"),
    ]
    assert body(requests[1]) == {"fields": {"labels": ["mail"]}}
    assert body(requests[2]) == {
        "transition": {"id": "51"},
        "fields": {"resolution": {"name": "Duplicate"}},
    }


async def test_a_status_no_transition_reaches_is_refused_before_any_write(
    httpx_mock, connector, payload: Payload
) -> None:
    httpx_mock.add_response(
        url=f"{ISSUE}/10001",
        match_params={"fields": "project,status", "expand": "transitions"},
        json=transitions_issue(payload),
    )

    with pytest.raises(BadInput) as error:
        await connector.update(
            "10001",
            WriteRequest(canonical={"ticketStatus": "Closed", "shortDescription": "x"}),
            {F.TICKET_STATUS},
            UTC,
        )

    assert error.value.message == (
        "ticketStatus 'Closed': no available transition reaches it (DESK-1 is Open; the statuses "
        "it can reach are Canceled, Resolved, Waiting for customer, Work in progress); nothing "
        "was written"
    )
    assert [r.method for r in httpx_mock.get_requests()] == ["GET"]


async def test_the_current_status_needs_no_transition(
    httpx_mock, connector, payload: Payload
) -> None:
    httpx_mock.add_response(
        url=f"{ISSUE}/DESK-1",
        match_params={"fields": "project,status", "expand": "transitions"},
        json=transitions_issue(payload),
    )
    httpx_mock.add_response(
        url=f"{ISSUE}/10001",
        match_params={"fields": "project,status"},
        json=transitions_issue(payload),
    )

    ticket = await connector.update(
        "DESK-1", WriteRequest(native={"status": {"id": "1"}}), {F.TICKET_STATUS}, UTC
    )

    assert ticket.values == {F.TICKET_STATUS: "Open"}
    assert [r.method for r in httpx_mock.get_requests()] == ["GET", "GET"]


@pytest.mark.parametrize("sys_id", ["", "abc", "0", "10001/transitions", "DESK-1?x=1"])
async def test_a_sys_id_that_is_no_issue_id_is_refused(connector, sys_id: str) -> None:
    with pytest.raises(BadInput, match="sysId must be a Jira issue id"):
        await connector.update(sys_id, WriteRequest(native={"summary": "x"}), {F.SYS_ID}, UTC)


async def test_a_bad_write_is_refused_before_the_issue_is_read(connector) -> None:
    with pytest.raises(BadInput, match="set by Jira"):
        await connector.update("10001", WriteRequest(native={"created": "x"}), {F.SYS_ID}, UTC)
