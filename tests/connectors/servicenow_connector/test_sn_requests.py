"""How the connector shapes its Table API calls: which calls, which parameters, which headers.

pytest-httpx fails a test on any request no response was added for, so each test also proves that
no other call is made.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.errors import BadInput, Conflict, TicketNotFound
from connectors.fields import ALL_FIELDS, TicketField
from connectors.model import Note, WriteRequest
from tests.connectors.servicenow_connector.conftest import vendor_calls

pytestmark = pytest.mark.usefixtures("lookups")

INSTANCE = "https://acme.service-now.com"
TABLE_URL = f"{INSTANCE}/api/now/table/incident"
JOURNAL_URL = f"{INSTANCE}/api/now/table/sys_journal_field"
SLA_URL = f"{INSTANCE}/api/now/table/task_sla"
SYS_ID = "1c741bd70b2322007518478d83673af3"
F = TicketField
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def fetch_params(fields: str) -> dict[str, str]:
    return {
        "sysparm_query": "number=INC0010001",
        "sysparm_display_value": "all",
        "sysparm_exclude_reference_link": "true",
        "sysparm_fields": fields,
        "sysparm_limit": "2",
    }


JOURNAL_PARAMS = {
    "sysparm_query": f"element_id={SYS_ID}^elementINcomments,work_notes^ORDERBYsys_created_on",
    "sysparm_fields": "element,element_id,value,sys_created_on,sys_created_by",
    "sysparm_display_value": "false",
}
SLA_PARAMS = {
    "sysparm_query": f"task={SYS_ID}^active=true",
    "sysparm_fields": "task,business_time_left,active",
    "sysparm_display_value": "false",
}


def any_query(url: str) -> re.Pattern[str]:
    """``url`` with whatever query string (pytest-httpx matches a plain URL's query exactly)."""
    return re.compile(re.escape(url) + r"(\?.*)?$")


RECORD_PARAMS = {"sysparm_display_value": "all", "sysparm_exclude_reference_link": "true"}


@pytest.fixture
def connector(factory, connection):
    return factory.open(connection(), extra_headers={"X-Request-ID": "req-42"})


async def test_one_call_with_only_the_needed_columns(httpx_mock, connector, payload):
    httpx_mock.add_response(
        url=TABLE_URL,
        match_params=fetch_params("number,short_description,sys_id"),
        json=payload("incident_resolved"),
    )

    ticket = await connector.fetch("INC0010001", {F.SHORT_DESCRIPTION}, UTC)

    assert ticket.values == {F.SHORT_DESCRIPTION: "Printer on floor 3 jams"}
    (request,) = httpx_mock.get_requests()
    assert request.method == "GET"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["X-Request-ID"] == "req-42"
    assert request.headers["Authorization"].startswith("Basic ")
    assert "Content-Type" not in request.headers


async def test_comments_add_one_journal_call(httpx_mock, connector, payload):
    httpx_mock.add_response(
        url=TABLE_URL,
        match_params=fetch_params("comments,number,sys_id"),
        json=payload("incident_resolved"),
    )
    httpx_mock.add_response(
        url=JOURNAL_URL, match_params=JOURNAL_PARAMS, json=payload("journal_rows")
    )

    ticket = await connector.fetch("INC0010001", {F.COMMENTS}, LOS_ANGELES)

    assert ticket.values == {
        F.COMMENTS: (
            Note(
                "Fred Luddy",
                datetime(2026, 3, 8, 0, 20, tzinfo=UTC),
                "The printer on floor 3 jams on every job.",
            ),
            Note(
                "Beth Anglin",
                datetime(2026, 3, 9, 17, 15, tzinfo=UTC),
                "The printer works again.\n\nThanks for your patience.",
            ),
        )
    }
    assert len(vendor_calls(httpx_mock)) == 2
    # and one sys_user call for the display names of all the authors (issue 12, item 5)
    (names,) = [r for r in httpx_mock.get_requests() if r.url.path.endswith("/sys_user")]
    assert names.url.params["sysparm_query"] == "user_nameINbeth.anglin,fred.luddy"
    assert (
        httpx_mock.get_request(url=JOURNAL_URL, match_params=JOURNAL_PARAMS).headers["X-Request-ID"]
        == "req-42"
    )


async def test_business_time_left_adds_one_sla_call(httpx_mock, connector, payload):
    httpx_mock.add_response(
        url=TABLE_URL, match_params=fetch_params("number,sys_id"), json=payload("incident_resolved")
    )
    httpx_mock.add_response(url=SLA_URL, match_params=SLA_PARAMS, json=payload("task_sla_rows"))

    ticket = await connector.fetch("INC0010001", {F.TICKET_BUSINESS_TIME_LEFT}, UTC)

    assert ticket.values == {F.TICKET_BUSINESS_TIME_LEFT: "7200"}
    assert len(httpx_mock.get_requests()) == 2


async def test_journal_and_sla_calls_run_concurrently(httpx_mock, connector, payload):
    journal_started, sla_started = asyncio.Event(), asyncio.Event()

    async def journal(request: httpx.Request) -> httpx.Response:
        journal_started.set()
        await asyncio.wait_for(sla_started.wait(), timeout=2)  # deadlocks if sequential
        return httpx.Response(200, json=payload("journal_rows"))

    async def sla(request: httpx.Request) -> httpx.Response:
        sla_started.set()
        await asyncio.wait_for(journal_started.wait(), timeout=2)
        return httpx.Response(200, json=payload("task_sla_rows"))

    httpx_mock.add_response(
        url=TABLE_URL,
        json=payload("incident_resolved"),
        match_params=fetch_params("comments,number,sys_id,work_notes"),
    )
    httpx_mock.add_callback(journal, url=JOURNAL_URL, match_params=JOURNAL_PARAMS)
    httpx_mock.add_callback(sla, url=SLA_URL, match_params=SLA_PARAMS)

    ticket = await connector.fetch(
        "INC0010001", {F.COMMENTS, F.WORK_NOTES, F.TICKET_BUSINESS_TIME_LEFT}, UTC
    )

    assert [note.text for note in ticket.values[F.WORK_NOTES]] == ["Replaced the pickup roller."]
    assert ticket.values[F.TICKET_BUSINESS_TIME_LEFT] == "7200"


async def test_journal_refused_falls_back_to_display_text(httpx_mock, connector, payload):
    httpx_mock.add_response(
        url=TABLE_URL,
        match_params=fetch_params("comments,number,sys_id,work_notes"),
        json=payload("incident_resolved"),
    )
    httpx_mock.add_response(
        url=JOURNAL_URL,
        match_params=JOURNAL_PARAMS,
        status_code=403,
        json={
            "error": {"message": "Insufficient rights to query records", "detail": None},
            "status": "failure",
        },
    )

    ticket = await connector.fetch("INC0010001", {F.COMMENTS, F.WORK_NOTES}, LOS_ANGELES)

    # full names and times from the display text, in the zone given (PST then PDT)
    assert ticket.values[F.COMMENTS] == (
        Note(
            "Fred Luddy",
            datetime(2026, 3, 8, 0, 20, tzinfo=UTC),
            "The printer on floor 3 jams on every job.",
        ),
        Note(
            "Beth Anglin",
            datetime(2026, 3, 9, 17, 15, tzinfo=UTC),
            "The printer works again.\n\nThanks for your patience.",
        ),
    )
    assert ticket.values[F.WORK_NOTES] == (
        Note("Beth Anglin", datetime(2026, 3, 9, 16, 5, tzinfo=UTC), "Replaced the pickup roller."),
    )


async def test_every_field_is_answered(httpx_mock, connector, payload):
    httpx_mock.add_response(url=any_query(TABLE_URL), json=payload("incident_resolved"))
    httpx_mock.add_response(
        url=JOURNAL_URL, match_params=JOURNAL_PARAMS, json=payload("journal_rows")
    )
    httpx_mock.add_response(url=SLA_URL, match_params=SLA_PARAMS, json=payload("task_sla_rows"))

    ticket = await connector.fetch("INC0010001", ALL_FIELDS, UTC)

    assert set(ticket.values) == set(ALL_FIELDS)
    assert list(ticket.values) == list(TicketField)  # the contract's order
    fields = httpx_mock.get_requests()[0].url.params["sysparm_fields"].split(",")
    assert "business_duration" in fields
    assert "close_code" not in fields


async def test_a_row_with_another_number_is_not_the_ticket(httpx_mock, connector, payload):
    # ServiceNow ignores a query part it cannot read and answers other records.
    other = payload("incident_new")
    httpx_mock.add_response(url=any_query(TABLE_URL), json=other)

    with pytest.raises(TicketNotFound, match="No incident with number INC0010001 in acme"):
        await connector.fetch("INC0010001", {F.SHORT_DESCRIPTION}, UTC)


async def test_the_number_matches_regardless_of_case(httpx_mock, connector, payload):
    httpx_mock.add_response(url=any_query(TABLE_URL), json=payload("incident_resolved"))

    ticket = await connector.fetch("inc0010001", {F.TICKET_NUMBER}, UTC)

    assert ticket.values == {F.TICKET_NUMBER: "INC0010001"}


async def test_two_records_with_the_number_are_a_conflict(httpx_mock, connector, payload):
    row = payload("incident_resolved")["result"][0]
    httpx_mock.add_response(url=any_query(TABLE_URL), json={"result": [row, row]})

    with pytest.raises(Conflict, match="INC0010001"):
        await connector.fetch("INC0010001", {F.SHORT_DESCRIPTION}, UTC)


@pytest.mark.parametrize(
    "number", ["INC0010001^ORnumber=INC0010002", "INC1=2", "INC1,INC2", "INC1\nINC2", "", " "]
)
async def test_a_number_that_would_change_the_query_is_refused(httpx_mock, connector, number):
    with pytest.raises(BadInput, match="ticketNumber"):
        await connector.fetch(number, {F.SHORT_DESCRIPTION}, UTC)
    assert httpx_mock.get_requests() == []


async def test_another_table(httpx_mock, factory, connection, payload):
    connector = factory.open(connection(table="u_facilities_ticket"))
    httpx_mock.add_response(
        url=f"{INSTANCE}/api/now/table/u_facilities_ticket",
        match_params=fetch_params("number,sys_id"),
        json=payload("incident_resolved"),
    )

    await connector.fetch("INC0010001", {F.SYS_ID}, UTC)


def test_a_table_that_is_not_a_table_name_is_refused(factory, connection):
    with pytest.raises(BadInput, match=r"connectionDetails\.table"):
        factory.open(connection(table="incident/../../oauth_token.do"))


def test_incomplete_credentials_are_refused_when_opening(factory):
    incomplete = Connection("servicenow", INSTANCE, Credentials(auth_type=AuthType.API_KEY))

    with pytest.raises(BadInput, match="apiKey"):
        factory.open(incomplete)


# --- create and update -------------------------------------------------------------------------


def record(payload, name: str) -> dict:
    return {"result": payload(name)["result"][0]}


async def test_create_posts_the_native_body_and_reads_the_answer(httpx_mock, connector, payload):
    httpx_mock.add_response(
        method="POST",
        url=TABLE_URL,
        # the asked columns and the written ones, to judge whether each took
        match_params={
            **RECORD_PARAMS,
            "sysparm_fields": "number,short_description,sys_id,u_site,urgency",
        },
        match_json={"short_description": "VPN drops every hour", "urgency": "3", "u_site": "Lyon"},
        status_code=201,
        headers={"Location": f"{TABLE_URL}/9d385017c611228701d22104cc95c371"},
        json=record(payload, "incident_new"),
    )
    write = WriteRequest(
        native={"short_description": "VPN drops every hour", "u_site": "Lyon"},
        canonical={"urgency": "3 - Low"},
    )

    ticket = await connector.create(write, {F.SHORT_DESCRIPTION, F.TICKET_NUMBER}, UTC)

    assert ticket.values == {
        F.TICKET_NUMBER: "INC0010002",
        F.SHORT_DESCRIPTION: "VPN drops every hour",
    }
    (request,) = vendor_calls(httpx_mock)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"


async def test_create_asking_for_comments_adds_the_journal_call(httpx_mock, connector, payload):
    new = record(payload, "incident_new")
    sys_id = new["result"]["sys_id"]["value"]
    httpx_mock.add_response(method="POST", url=any_query(TABLE_URL), status_code=201, json=new)
    httpx_mock.add_response(
        url=JOURNAL_URL,
        match_params={
            **JOURNAL_PARAMS,
            "sysparm_query": JOURNAL_PARAMS["sysparm_query"].replace(SYS_ID, sys_id),
        },
        json={"result": []},
    )

    ticket = await connector.create(
        WriteRequest(canonical={"shortDescription": "x"}), {F.COMMENTS}, UTC
    )

    assert ticket.values == {F.COMMENTS: ()}


async def test_update_patches_the_record(httpx_mock, connector, payload):
    httpx_mock.add_response(
        method="PATCH",
        url=f"{TABLE_URL}/{SYS_ID}",
        match_params={**RECORD_PARAMS, "sysparm_fields": "number,state,sys_id,work_notes"},
        match_json={"state": "2", "work_notes": "Looking into it"},
        json=record(payload, "incident_resolved"),
    )
    write = WriteRequest(canonical={"ticketStatus": "in progress", "workNotes": "Looking into it"})

    ticket = await connector.update(SYS_ID, write, {F.TICKET_STATUS}, UTC)

    assert ticket.values == {F.TICKET_STATUS: "Resolved"}


async def test_update_of_a_missing_record_is_not_found(httpx_mock, connector):
    httpx_mock.add_response(
        method="PATCH",
        url=f"{TABLE_URL}/{SYS_ID}",
        match_params={**RECORD_PARAMS, "sysparm_fields": "impact,number,sys_id"},
        status_code=404,
        json={
            "error": {
                "message": "No Record found",
                "detail": "Record doesn't exist or ACL restricts the record retrieval",
            },
            "status": "failure",
        },
    )

    with pytest.raises(TicketNotFound, match=f"No incident with sys_id {SYS_ID}"):
        await connector.update(SYS_ID, WriteRequest(native={"impact": "2"}), set(), UTC)


@pytest.mark.parametrize("sys_id", ["INC0010001", SYS_ID[:-1], SYS_ID + "0", "g" * 32, ""])
async def test_update_refuses_a_malformed_sys_id(httpx_mock, connector, sys_id):
    with pytest.raises(BadInput, match="sysId"):
        await connector.update(sys_id, WriteRequest(native={"impact": "2"}), set(), UTC)
    assert httpx_mock.get_requests() == []


# --- resolving: close_code and close_notes -----------------------------------------------------

CLOSE_READ = {"sysparm_fields": "close_code,close_notes", "sysparm_display_value": "false"}


async def test_create_resolving_without_close_fields_is_refused_unsent(httpx_mock, connector):
    write = WriteRequest(
        native={"short_description": "x", "close_notes": "done"},
        canonical={"ticketStatus": "Resolved"},
    )

    with pytest.raises(BadInput, match="close_code") as refused:
        await connector.create(write, set(), UTC)

    assert refused.value.message.endswith("; add close_code to ticketJSON")
    assert httpx_mock.get_requests() == []


async def test_update_resolving_reads_the_record_and_refuses_when_it_lacks_them(
    httpx_mock, connector
):
    httpx_mock.add_response(
        url=f"{TABLE_URL}/{SYS_ID}",
        match_params=CLOSE_READ,
        json={"result": {"close_code": "", "close_notes": "Rebooted the router"}},
    )

    with pytest.raises(BadInput, match="the incident has no close_code yet, so add close_code"):
        await connector.update(SYS_ID, WriteRequest(native={"state": 6}), set(), UTC)

    (read,) = vendor_calls(httpx_mock)  # besides the sys_choice lookup
    assert read.method == "GET"


async def test_update_resolving_proceeds_when_the_record_has_them(httpx_mock, connector, payload):
    httpx_mock.add_response(
        url=f"{TABLE_URL}/{SYS_ID}",
        match_params=CLOSE_READ,
        json={"result": {"close_code": "Solution provided", "close_notes": "Rebooted the router"}},
    )
    httpx_mock.add_response(
        method="PATCH",
        url=any_query(f"{TABLE_URL}/{SYS_ID}"),
        match_json={"state": "7"},
        json=record(payload, "incident_resolved"),
    )

    await connector.update(SYS_ID, WriteRequest(canonical={"ticketStatus": "Closed"}), set(), UTC)

    assert [r.method for r in vendor_calls(httpx_mock)] == ["GET", "PATCH"]


async def test_update_resolving_with_both_fields_sends_no_read(httpx_mock, connector, payload):
    httpx_mock.add_response(
        method="PATCH",
        url=any_query(f"{TABLE_URL}/{SYS_ID}"),
        json=record(payload, "incident_resolved"),
    )
    write = WriteRequest(
        native={"state": "6", "close_code": "Solution provided", "close_notes": "Rebooted"}
    )

    await connector.update(SYS_ID, write, set(), UTC)

    assert len(vendor_calls(httpx_mock)) == 1


async def test_resolve_read_of_a_missing_record_is_not_found(httpx_mock, connector):
    httpx_mock.add_response(
        url=f"{TABLE_URL}/{SYS_ID}",
        match_params=CLOSE_READ,
        status_code=404,
        json={"error": {"message": "No Record found", "detail": None}, "status": "failure"},
    )

    with pytest.raises(TicketNotFound, match=SYS_ID):
        await connector.update(SYS_ID, WriteRequest(native={"state": "6"}), set(), UTC)


async def test_the_close_rule_is_the_incidents_only(httpx_mock, factory, connection, payload):
    # sc_task state 7 is "Closed Skipped" and sc_task has no close_code.
    connector = factory.open(connection(table="sc_task"))
    httpx_mock.add_response(
        method="PATCH",
        url=any_query(f"{INSTANCE}/api/now/table/sc_task/{SYS_ID}"),
        json=record(payload, "incident_resolved"),
    )

    await connector.update(SYS_ID, WriteRequest(native={"state": "7"}), set(), UTC)
