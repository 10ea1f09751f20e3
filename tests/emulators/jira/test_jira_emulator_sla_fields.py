"""Jira Service Management's SLA custom fields on the emulator, and the connector's search reading
the SLA time left from them (``connectors.jira.sla_fields``): listed by ``GET /field`` with their
type, answered in issue and search answers as the service desk API answers each SLA, left out for
an account that may not view SLAs, never settable; and the time left a search lists is the one a
fetch reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from typing import TYPE_CHECKING

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.fields import TicketField
from connectors.jira import JiraConnector, JiraConnectorFactory
from connectors.jira.site_fields import SLA_FIELD_TYPE, site_fields_in
from connectors.search import SearchRequest, TicketFilter
from emulators.jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, seed
from emulators.jira.projects import TIME_TO_FIRST_RESPONSE, TIME_TO_RESOLUTION

if TYPE_CHECKING:  # conftest is not importable under --import-mode=importlib
    from tests.emulators.jira.conftest import Jira

F = TicketField
SLA_IDS = (TIME_TO_RESOLUTION.id, TIME_TO_FIRST_RESPONSE.id)


async def test_the_field_list_names_the_sla_fields_by_their_type(jira: Jira) -> None:
    answer = (await jira.http.get(jira.api("field"))).json()
    slas = {item["id"]: item for item in answer if item["schema"].get("custom") == SLA_FIELD_TYPE}
    assert sorted(slas) == sorted(SLA_IDS)
    assert slas[TIME_TO_RESOLUTION.id]["name"] == "Time to resolution"
    assert slas[TIME_TO_RESOLUTION.id]["schema"]["type"] == "sd-servicelevelagreement"
    assert site_fields_in(answer, "emulator").slas == tuple(sorted(SLA_IDS))


async def test_an_issue_answers_each_sla_as_the_service_desk_api_does(jira: Jira) -> None:
    key, _ = seed.DESK_1
    issue = await jira.http.get(jira.api(f"issue/{key}"), params={"fields": ",".join(SLA_IDS)})
    slas = (await jira.http.get(jira.desk(f"request/{key}/sla"))).json()["values"]
    by_id = {sla["id"]: sla for sla in slas}
    fields = issue.json()["fields"]
    assert set(fields) == set(SLA_IDS)
    assert fields[TIME_TO_RESOLUTION.id] == by_id[TIME_TO_RESOLUTION.metric]
    assert fields[TIME_TO_FIRST_RESPONSE.id] == by_id[TIME_TO_FIRST_RESPONSE.metric]
    lefts = [fields[i]["ongoingCycle"]["remainingTime"]["millis"] for i in SLA_IDS]
    assert min(lefts) == seed.DESK_1_TIME_LEFT_S * 1000


async def test_an_issue_that_is_no_request_answers_null(jira: Jira) -> None:
    key, _ = seed.OPS_1
    answer = await jira.http.get(jira.api(f"issue/{key}"), params={"fields": ",".join(SLA_IDS)})
    assert answer.json()["fields"] == dict.fromkeys(SLA_IDS)


async def test_an_account_that_may_not_view_slas_gets_them_left_out(jira: Jira) -> None:
    jira.state.faults.sla_forbidden = True
    key, _ = seed.DESK_1
    names = ",".join((*SLA_IDS, "summary"))
    issue = await jira.http.get(jira.api(f"issue/{key}"), params={"fields": names})
    assert set(issue.json()["fields"]) == {"summary"}
    found = await jira.http.get(
        jira.api("search/jql"), params={"jql": f"key = {key}", "fields": names}
    )
    assert set(found.json()["issues"][0]["fields"]) == {"summary"}
    listed = (await jira.http.get(jira.api("field"))).json()
    assert site_fields_in(listed, "emulator").slas  # the fields exist; their values are hidden


async def test_the_sla_fields_cannot_be_set(jira: Jira) -> None:
    key, _ = seed.DESK_1
    answer = await jira.http.put(
        jira.api(f"issue/{key}"), json={"fields": {TIME_TO_RESOLUTION.id: {"id": "2"}}}
    )
    assert answer.status_code == 400
    assert TIME_TO_RESOLUTION.id in answer.json()["errors"]


@pytest.fixture
async def desk(jira: Jira) -> AsyncIterator[JiraConnector]:
    async with httpx.AsyncClient(timeout=10) as http:
        credentials = Credentials(
            auth_type=AuthType.BASIC, username=DEFAULT_EMAIL, password=DEFAULT_API_TOKEN
        )
        yield JiraConnectorFactory(http).open(
            Connection(itsm_type="jira", instance_url=jira.url, credentials=credentials, table=None)
        )


async def test_a_search_lists_the_time_left_a_fetch_reads_in_one_call(
    jira: Jira, desk: JiraConnector
) -> None:
    """Every seeded issue: a running SLA, a breached one, a paused one, completed ones only,
    and a Jira Software issue without SLAs."""
    numbers = ("DESK-1", "DESK-2", "DESK-3", "DESK-4", "OPS-1")
    asked = frozenset({F.TICKET_NUMBER, F.TICKET_BUSINESS_TIME_LEFT})
    before = len(jira.state.requests)
    page = await desk.search(SearchRequest(TicketFilter(numbers=numbers), first=20), asked, UTC)
    calls = [r.path.removeprefix("/rest/api/3") for r in jira.state.requests[before:]]
    assert calls == ["/field", "/search/jql"]
    listed = {
        t.values[F.TICKET_NUMBER]: t.values[F.TICKET_BUSINESS_TIME_LEFT] for t in page.tickets
    }
    fetched = {
        n: (await desk.fetch(n, asked, UTC)).values[F.TICKET_BUSINESS_TIME_LEFT] for n in numbers
    }
    assert listed == fetched
    assert listed["DESK-1"] == str(seed.DESK_1_TIME_LEFT_S)
    assert listed["DESK-2"] == str(seed.DESK_2_TIME_LEFT_S)
    assert listed["DESK-4"] is None and listed["OPS-1"] is None
    assert all(not t.refused for t in page.tickets)
