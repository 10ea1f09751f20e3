"""Jira's correlationId (``connectors.jira.correlation``) against the emulator: the custom field
"Correlation ID" found through ``GET /rest/api/3/field`` once per site and account, read, written,
searched as ``cf[<id>]``, looked up by ``find_correlated``; and a site without the field."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC
from typing import TYPE_CHECKING

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.correlation import CorrelatingConnector, CorrelationHolder
from connectors.errors import BadInput, Conflict
from connectors.fields import TicketField
from connectors.jira import JiraConnector, JiraConnectorFactory
from connectors.jira.correlation import field_id_in
from connectors.model import WriteRequest
from connectors.search import SearchRequest, TicketFilter
from emulators.jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, seed
from emulators.jira.projects import CORRELATION_ID

if TYPE_CHECKING:  # conftest is not importable under --import-mode=importlib
    from tests.emulators.jira.conftest import Jira

F = TicketField
ASKED = frozenset({F.TICKET_NUMBER, F.SYS_ID, F.CORRELATION_ID})


@pytest.fixture
async def factory() -> AsyncIterator[JiraConnectorFactory]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield JiraConnectorFactory(http)


def open_desk(factory: JiraConnectorFactory, jira: Jira) -> JiraConnector:
    return factory.open(
        Connection(
            itsm_type="jira",
            instance_url=jira.url,
            credentials=Credentials(
                auth_type=AuthType.BASIC, username=DEFAULT_EMAIL, password=DEFAULT_API_TOKEN
            ),
            table="DESK",
        )
    )


def field_reads(jira: Jira) -> int:
    return sum(1 for r in jira.state.requests if r.path.endswith("/rest/api/3/field"))


def without_the_field(jira: Jira) -> None:
    jira.state.projects = {
        key: dataclasses.replace(
            project,
            custom_fields={k: v for k, v in project.custom_fields.items() if v != CORRELATION_ID},
        )
        for key, project in jira.state.projects.items()
    }


async def create(connector: JiraConnector, correlation: str | None = None) -> str:
    canonical = {"shortDescription": "VPN drops"}
    if correlation is not None:
        canonical["correlationId"] = correlation
    ticket = await connector.create(WriteRequest(canonical=canonical), ASKED, UTC)
    assert ticket.values[F.CORRELATION_ID] == correlation
    return str(ticket.values[F.TICKET_NUMBER])


async def test_the_emulator_lists_the_field(jira: Jira) -> None:
    answer = await jira.http.get(jira.api("field"))
    assert answer.status_code == 200
    assert field_id_in(answer.json(), "emulator") == CORRELATION_ID.id


async def test_it_is_written_read_and_found_with_one_field_list_per_site_and_account(
    factory: JiraConnectorFactory, jira: Jira
) -> None:
    connector = open_desk(factory, jira)
    assert isinstance(connector, CorrelatingConnector | CorrelationHolder)
    key = await create(connector, "MON-4711 a")
    fetched = await open_desk(factory, jira).fetch(key, ASKED, UTC)
    assert fetched.values[F.CORRELATION_ID] == "MON-4711 a"
    found = await open_desk(factory, jira).find_correlated("MON-4711 a", ASKED, UTC)
    assert found is not None and found.values[F.TICKET_NUMBER] == key
    assert await open_desk(factory, jira).holds_correlation_ids()
    assert field_reads(jira) == 1  # cached in the factory


async def test_only_the_exact_value_is_found(factory: JiraConnectorFactory, jira: Jira) -> None:
    connector = open_desk(factory, jira)
    await create(connector, "igw-0123456789abcdef0123456789abcdef")
    assert await connector.find_correlated("igw-0123456789abcdef", ASKED, UTC) is None
    assert await connector.find_correlated("igw-ffff", ASKED, UTC) is None


async def test_two_issues_with_it_are_a_conflict(factory: JiraConnectorFactory, jira: Jira) -> None:
    connector = open_desk(factory, jira)
    await create(connector, "MON-1")
    await create(connector, "MON-1")
    with pytest.raises(Conflict):
        await connector.find_correlated("MON-1", ASKED, UTC)


async def test_it_is_searched_by_the_fields_id(factory: JiraConnectorFactory, jira: Jira) -> None:
    connector = open_desk(factory, jira)
    key = await create(connector, "MON-4712")
    page = await connector.search(
        SearchRequest(TicketFilter(correlation_id="MON-4712"), first=10), ASKED, UTC
    )
    assert [t.values[F.TICKET_NUMBER] for t in page.tickets] == [key]
    assert page.tickets[0].values[F.CORRELATION_ID] == "MON-4712"
    searched = [r for r in jira.state.requests if r.path.endswith("/search/jql")]
    assert 'cf[10053] ~ "MON\\\\-4712"' in searched[-1].query["jql"]


async def test_an_update_sets_and_clears_it(factory: JiraConnectorFactory, jira: Jira) -> None:
    connector = open_desk(factory, jira)
    key, _ = seed.DESK_1
    set_ = await connector.update(
        key, WriteRequest(canonical={"correlationId": "MON-9"}), ASKED, UTC
    )
    assert set_.values[F.CORRELATION_ID] == "MON-9" and not set_.untaken
    cleared = await connector.update(key, WriteRequest(canonical={"correlationId": ""}), ASKED, UTC)
    assert cleared.values[F.CORRELATION_ID] is None


async def test_a_site_without_the_field_refuses_a_named_correlation_id_and_says_what_to_add(
    factory: JiraConnectorFactory, jira: Jira
) -> None:
    without_the_field(jira)
    connector = open_desk(factory, jira)
    assert not await connector.holds_correlation_ids()
    before = len(jira.state.issues)
    for attempt in (
        connector.create(WriteRequest(canonical={"shortDescription": "x"}), ASKED, UTC),
        connector.create(
            WriteRequest(canonical={"shortDescription": "x", "correlationId": "MON-1"}),
            {F.TICKET_NUMBER},
            UTC,
        ),
        connector.fetch(seed.DESK_1[0], ASKED, UTC),
        connector.search(SearchRequest(TicketFilter(correlation_id="MON-1")), {F.SYS_ID}, UTC),
    ):
        with pytest.raises(BadInput) as refused:
            await attempt
        assert "a Jira admin must add a text custom field (single line) named 'Correlation ID'" in (
            refused.value.message
        )
    assert len(jira.state.issues) == before  # nothing written
    # Not named: a create goes through without asking Jira for its fields again.
    await connector.create(WriteRequest(canonical={"shortDescription": "x"}), {F.SYS_ID}, UTC)
    assert field_reads(jira) == 1
