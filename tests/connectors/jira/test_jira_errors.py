"""Jira's failures as gateway errors (docs/contract.md#errors): statuses, quoted messages without
secrets, writes that may have been applied, and the resilience layer's view of each call."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC
from typing import Any

import httpx
import pytest

from connectors.errors import (
    BadInput,
    ItsmError,
    ItsmTimeout,
    RateLimited,
    TicketNotFound,
    Unavailable,
)
from connectors.fields import TicketField
from connectors.http import Resilience, ResilienceObserver, ResiliencePolicy, Target
from connectors.jira import JiraConnectorFactory
from connectors.model import WriteRequest, WrittenTicket
from tests.connectors.jira.conftest import API_TOKEN, EMAIL, OAUTH_TOKEN, SITE, connection

F = TicketField
ISSUE = f"{SITE}/rest/api/3/issue"
FIELDS = {"fields": "project"}
BASIC_SECRET = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
Payload = Callable[[str], Any]


@pytest.fixture
def connector(factory: JiraConnectorFactory):
    return factory.open(connection())


async def fetch(connector) -> Any:
    return await connector.fetch("DESK-1", {F.TICKET_NUMBER}, UTC)


async def test_missing_issue_is_ticket_not_found(httpx_mock, connector) -> None:
    httpx_mock.add_response(
        url=f"{ISSUE}/DESK-1",
        match_params=FIELDS,
        status_code=404,
        json={"errorMessages": ["Issue does not exist or you do not have permission to see it."]},
    )
    with pytest.raises(TicketNotFound) as error:
        await fetch(connector)
    assert (error.value.status, error.value.message) == (
        404,
        "No Jira issue DESK-1 in acme.atlassian.net",
    )


async def test_refused_credentials_are_a_502_quoting_jira_without_secrets(
    httpx_mock, factory
) -> None:
    # Bearer tokens are refused at the cloudId lookup first: test_jira_oauth.py.
    echoed = f"bad credential {API_TOKEN} {BASIC_SECRET} {OAUTH_TOKEN}"
    httpx_mock.add_response(
        url=f"{ISSUE}/DESK-1",
        match_params=FIELDS,
        status_code=401,
        json={"errorMessages": [echoed], "errors": {}},
    )
    with pytest.raises(ItsmError) as error:
        await fetch(factory.open(connection()))
    message = error.value.message
    assert error.value.status == 502
    assert message.startswith("Jira at acme.atlassian.net rejected the gateway's credentials")
    assert "bad credential *** *** ***" in message
    for secret in (API_TOKEN, BASIC_SECRET, OAUTH_TOKEN):
        assert secret not in message


async def test_a_401_login_page_still_means_credentials(httpx_mock, connector) -> None:
    httpx_mock.add_response(
        url=f"{ISSUE}/DESK-1", match_params=FIELDS, status_code=401, text="<html>Log in</html>"
    )
    with pytest.raises(ItsmError, match="rejected the gateway's credentials \\(401: no error"):
        await fetch(connector)


REFUSALS = [
    (
        403,
        {"errorMessages": ["You do not have permission."]},
        "refused the gateway's account access (403: You do not have permission.)",
    ),
    (
        400,
        {"errorMessages": [], "errors": {"summary": "You must specify a summary of the issue."}},
        "refused the request (400: summary: You must specify a summary of the issue.)",
    ),
    (
        404,
        {"errorMessage": "The request does not exist", "i18nErrorMessage": {}},
        "answered 404 (The request does not exist)",
    ),
    (500, {"errorMessages": ["Internal server error"]}, "answered 500 (Internal server error)"),
    (503, {"code": 503, "message": "Unavailable"}, "answered 503 (Unavailable)"),
]


@pytest.mark.parametrize(("status", "answer", "words"), REFUSALS)
async def test_refusals_quote_jiras_messages(httpx_mock, connector, status, answer, words) -> None:
    httpx_mock.add_response(
        url=f"{ISSUE}/DESK-1/comment",
        match_params={"startAt": "0", "maxResults": "100", "orderBy": "created"},
        status_code=status,
        json=answer,
    )
    httpx_mock.add_response(
        url=f"{ISSUE}/DESK-1", match_params=FIELDS, json={"id": "1", "key": "DESK-1"}
    )
    with pytest.raises(ItsmError) as error:
        await connector.fetch("DESK-1", {F.COMMENTS}, UTC)
    assert error.value.status == 502
    assert words in error.value.message


async def test_rate_limited_keeps_retry_after(httpx_mock, connector) -> None:
    httpx_mock.add_response(
        url=f"{ISSUE}/DESK-1", match_params=FIELDS, status_code=429, headers={"Retry-After": "30"}
    )
    with pytest.raises(RateLimited) as error:
        await fetch(connector)
    assert error.value.status == 429
    assert error.value.headers == {"Retry-After": "30"}


async def test_an_html_page_is_a_502(httpx_mock, connector) -> None:
    httpx_mock.add_response(
        url=f"{ISSUE}/DESK-1",
        match_params=FIELDS,
        html="<!DOCTYPE html><title>Log in with Atlassian account</title>",
    )
    with pytest.raises(ItsmError, match="answered 200 with an HTML page instead of JSON"):
        await fetch(connector)


@pytest.mark.parametrize(
    ("exception", "kind", "status"),
    [
        (httpx.ReadTimeout("slow"), ItsmTimeout, 504),
        (httpx.ConnectError("refused"), Unavailable, 503),
        (httpx.RemoteProtocolError("dropped"), ItsmError, 502),
    ],
)
async def test_transport_failures(httpx_mock, connector, exception, kind, status) -> None:
    httpx_mock.add_exception(exception, url=f"{ISSUE}/DESK-1", match_params=FIELDS)
    with pytest.raises(kind) as error:
        await fetch(connector)
    assert error.value.status == status
    assert not error.value.outcome_unknown


async def test_a_create_that_timed_out_may_have_been_applied(httpx_mock, factory) -> None:
    connector = factory.open(connection(table="DESK"))
    httpx_mock.add_response(
        url=f"{SITE}/rest/api/3/project/DESK",
        json={"key": "DESK", "issueTypes": [{"name": "Task"}]},
    )
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=ISSUE, method="POST")
    with pytest.raises(ItsmTimeout) as error:
        await connector.create(WriteRequest(native={"summary": "x"}), {F.SYS_ID}, UTC)
    assert error.value.outcome_unknown
    assert "may have been applied" in error.value.message


async def test_a_failure_after_a_write_says_what_was_applied(
    httpx_mock, connector, payload: Payload
) -> None:
    httpx_mock.add_response(
        url=f"{ISSUE}/10001",
        match_params={"fields": "project,status", "expand": "transitions"},
        json=payload("issue_desk1_transitions"),
    )
    httpx_mock.add_response(url=f"{ISSUE}/10001", method="PUT", status_code=204)
    httpx_mock.add_response(
        url=f"{ISSUE}/10001/transitions",
        method="POST",
        status_code=400,
        json={"errorMessages": ["Transition id '51' is not valid for this issue."]},
    )
    with pytest.raises(ItsmError) as error:
        await connector.update(
            "10001",
            WriteRequest(canonical={"ticketStatus": "Resolved", "shortDescription": "x"}),
            {F.SYS_ID},
            UTC,
        )
    assert error.value.outcome_unknown
    assert error.value.message.startswith(
        "Jira at acme.atlassian.net applied part of the write to DESK-1 (its fields), then "
        "failed: Jira at acme.atlassian.net refused the request (400: Transition id '51'"
    )
    assert error.value.message.endswith("do not send the write again, fetch the issue instead")


async def test_a_failed_read_back_says_the_issue_was_created(httpx_mock, factory) -> None:
    connector = factory.open(connection(table="DESK"))
    httpx_mock.add_response(
        url=f"{SITE}/rest/api/3/project/DESK",
        json={"key": "DESK", "issueTypes": [{"name": "Task"}]},
    )
    httpx_mock.add_response(
        url=ISSUE, method="POST", status_code=201, json={"id": "7", "key": "DESK-7"}
    )
    # The read back asks for every field sent too: it judges whether they took.
    httpx_mock.add_response(
        url=f"{ISSUE}/7", match_params={"fields": "project,summary"}, status_code=503, json={}
    )
    with pytest.raises(ItsmError) as error:
        await connector.create(WriteRequest(native={"summary": "x"}), {F.SYS_ID}, UTC)
    assert error.value.outcome_unknown
    assert "created DESK-7, but reading it back failed" in error.value.message
    assert error.value.written == WrittenTicket("DESK-7", "7")


async def test_a_missing_project_is_the_callers_to_fix(httpx_mock, factory) -> None:
    connector = factory.open(connection(table="NOPE"))
    httpx_mock.add_response(
        url=f"{SITE}/rest/api/3/project/NOPE",
        status_code=404,
        json={"errorMessages": ["No project could be found with key 'NOPE'."]},
    )
    with pytest.raises(TicketNotFound, match="no Jira project NOPE"):
        await connector.create(WriteRequest(native={"summary": "x"}), {F.SYS_ID}, UTC)


def test_a_table_that_is_no_project_key_is_refused(factory) -> None:
    with pytest.raises(BadInput, match="not a Jira project key"):
        factory.open(connection(table="2bad"))


class Recorder(ResilienceObserver):
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def itsm_call(self, target: Target, operation: str, outcome: str, seconds: float) -> None:
        self.calls.append((target.itsm_type, operation, outcome))


async def test_every_call_goes_through_resilience_with_its_operation(
    httpx_mock, http, payload: Payload
) -> None:
    recorder = Recorder()

    async def no_wait(_: float) -> None:
        return None

    resilience = Resilience(
        ResiliencePolicy(retries=1, backoff_seconds=0), observer=recorder, sleep=no_wait
    )
    connector = JiraConnectorFactory(http, resilience=resilience).open(connection())
    httpx_mock.add_response(url=f"{ISSUE}/DESK-1", match_params=FIELDS, status_code=503, json={})
    httpx_mock.add_response(
        url=f"{ISSUE}/DESK-1", match_params=FIELDS, json={"id": "1", "key": "DESK-1"}
    )
    httpx_mock.add_response(
        url=f"{ISSUE}/DESK-1/comment",
        match_params={"startAt": "0", "maxResults": "100", "orderBy": "created"},
        json={"total": 0, "comments": []},
    )
    httpx_mock.add_response(
        url=f"{SITE}/rest/servicedeskapi/request/DESK-1/sla",
        match_params={"start": "0", "limit": "50"},
        json=payload("sla_desk1"),
    )

    ticket = await connector.fetch("DESK-1", {F.COMMENTS, F.TICKET_BUSINESS_TIME_LEFT}, UTC)

    assert ticket.values[F.TICKET_BUSINESS_TIME_LEFT] == "3600"
    assert sorted(recorder.calls) == [
        ("jira", "read_journal", "200"),
        ("jira", "read_sla", "200"),
        ("jira", "read_ticket", "200"),
        ("jira", "read_ticket", "503"),  # retried: a GET is safe to send again
    ]
