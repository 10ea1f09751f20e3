"""The emulated enhanced search (``GET /rest/api/3/search/jql``) answering the JQL the connector
builds: each filter key, the order, and paging to the end with ``nextPageToken``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.errors import BadInput
from connectors.fields import TicketField
from connectors.jira import JiraConnector, JiraConnectorFactory
from connectors.search import Order, SearchRequest, SortField, TicketFilter
from emulators.jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, seed

if TYPE_CHECKING:  # conftest is not importable under --import-mode=importlib
    from tests.emulators.jira.conftest import Jira

F = TicketField


@pytest.fixture
async def connector(jira: Jira) -> AsyncIterator[JiraConnector]:
    async with httpx.AsyncClient(timeout=10) as http:
        connection = Connection(
            itsm_type="jira",
            instance_url=jira.url,
            credentials=Credentials(
                auth_type=AuthType.BASIC, username=DEFAULT_EMAIL, password=DEFAULT_API_TOKEN
            ),
            table="DESK",
        )
        yield JiraConnectorFactory(http).open(connection)


async def numbers(connector: JiraConnector, filter: TicketFilter, **kwargs: object) -> list[str]:
    page = await connector.search(SearchRequest(filter, **kwargs), {F.TICKET_NUMBER}, UTC)  # type: ignore[arg-type]
    return [str(t.values[F.TICKET_NUMBER]) for t in page.tickets]


async def test_jql_it_cannot_read_is_a_400(jira: Jira) -> None:
    answer = await jira.http.get(jira.api("search/jql"), params={"jql": "project = DESK OR x"})
    assert answer.status_code == 400
    assert answer.json()["errorMessages"]


async def test_the_probes_jql_still_answers(jira: Jira) -> None:
    answer = await jira.http.get(
        jira.api("search/jql"),
        params={"jql": "project = DESK ORDER BY created DESC", "maxResults": "1"},
    )
    assert [i["key"] for i in answer.json()["issues"]] == ["DESK-1"]  # the newest


async def test_each_filter_key(connector: JiraConnector, jira: Jira) -> None:
    key_1, key_3 = seed.DESK_1[0], seed.DESK_3[0]
    assert sorted(await numbers(connector, TicketFilter(numbers=(key_1, key_3)))) == [key_1, key_3]
    assert await numbers(connector, TicketFilter(statuses=("Open",))) == [key_1]
    resolved_or_closed = TicketFilter(statuses=("Resolved", "Closed"))
    assert set(await numbers(connector, resolved_or_closed)) == {"DESK-4", "DESK-5"}
    assert set(await numbers(connector, TicketFilter(active=False))) == {"DESK-4", "DESK-5"}
    assert set(await numbers(connector, TicketFilter(active=True))) == {
        "DESK-1",
        "DESK-2",
        "DESK-3",
    }
    assert await numbers(connector, TicketFilter(priorities=("Low",))) == ["DESK-3"]
    assert await numbers(connector, TicketFilter(text="floor 3")) == ["DESK-4"]
    assert await numbers(connector, TicketFilter(text="FLOOR")) == ["DESK-4"]
    fred = seed.FRED_LUDDY
    freds = {
        i.key for i in jira.state.issues.values() if i.values.get("reporter") == fred.account_id
    }
    assert freds and set(await numbers(connector, TicketFilter(caller=fred.display_name))) == freds
    assert set(await numbers(connector, TicketFilter(caller=fred.account_id))) == freds
    beth = seed.BETH_ANGLIN
    beths = {
        i.key for i in jira.state.issues.values() if i.values.get("assignee") == beth.account_id
    }
    assert beths and set(await numbers(connector, TicketFilter(assigned_to=beth.email))) == beths


async def test_times_and_order(connector: JiraConnector, jira: Jira) -> None:
    issues = sorted(
        (i for i in jira.state.issues.values() if i.project.key == "DESK"), key=lambda i: i.created
    )
    middle = issues[2].created.replace(second=0, microsecond=0)
    later = [i.key for i in issues if i.created >= middle]
    order = (Order(SortField.CREATED_TIME),)
    assert await numbers(connector, TicketFilter(created_after=middle), order=order) == later
    earlier = [i.key for i in issues if i.created < middle]
    assert await numbers(connector, TicketFilter(created_before=middle), order=order) == earlier
    after = middle + timedelta(minutes=1)
    updated = {i.key for i in issues if i.updated >= after}
    assert set(await numbers(connector, TicketFilter(updated_after=after))) == updated
    by_key = (Order(SortField.TICKET_NUMBER, descending=True),)
    assert await numbers(connector, TicketFilter(), order=by_key) == [
        f"DESK-{n}" for n in range(5, 0, -1)
    ]


async def test_paging_to_the_end_shows_every_ticket_once(
    connector: JiraConnector, jira: Jira
) -> None:
    project, creator = jira.state.projects["DESK"], seed.FRED_LUDDY.account_id
    for n in range(12):
        jira.state.create_issue(project, "10004", {"summary": f"bulk {n}"}, creator)
    expected = {i.key for i in jira.state.issues.values() if i.project.key == "DESK"}
    seen: list[str] = []
    position: str | None = None
    pages = 0
    while True:
        page = await connector.search(
            SearchRequest(TicketFilter(), first=5, position=position), {F.TICKET_NUMBER}, UTC
        )
        pages += 1
        seen += [str(t.values[F.TICKET_NUMBER]) for t in page.tickets]
        position = page.position
        if position is None:
            break
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert pages == 4  # 17 issues, 5 a page
    searches = [r for r in jira.state.requests if r.path.endswith("/search/jql")]
    assert len(searches) == pages


async def test_comments_come_with_the_search(connector: JiraConnector, jira: Jira) -> None:
    page = await connector.search(
        SearchRequest(TicketFilter(numbers=(seed.DESK_1[0],))), {F.COMMENTS, F.WORK_NOTES}, UTC
    )
    (ticket,) = page.tickets
    assert [n.text for n in ticket.values[F.COMMENTS]] == [seed.DESK_1_PUBLIC]  # type: ignore[union-attr]
    assert [n.text for n in ticket.values[F.WORK_NOTES]] == [seed.DESK_1_INTERNAL]  # type: ignore[union-attr]
    assert [r.path for r in jira.state.requests] == ["/rest/api/3/search/jql"]


async def test_an_unknown_key_refuses_the_search_and_the_connector_searches_without(
    connector: JiraConnector, jira: Jira
) -> None:
    answer = await jira.http.get(
        jira.api("search/jql"), params={"jql": 'key in ("DESK-1", "DESK-99", "NOPE-1")'}
    )
    assert answer.status_code == 400
    assert answer.json()["errorMessages"] == [
        "An issue with key 'DESK-99' does not exist for field 'key'.",
        "An issue with key 'NOPE-1' does not exist for field 'key'.",
    ]
    keys = ("DESK-2", "DESK-99")
    assert await numbers(connector, TicketFilter(numbers=keys)) == ["DESK-2"]
    assert await numbers(connector, TicketFilter(numbers=("DESK-99",))) == []


async def test_an_unknown_status_is_a_400_naming_the_filter_key(connector: JiraConnector) -> None:
    with pytest.raises(BadInput, match=r"filter\.statuses: Jira has no status 'Nope'"):
        await numbers(connector, TicketFilter(statuses=("Nope",)))
