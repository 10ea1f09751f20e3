"""How the connector shapes a search's Jira calls (pytest-httpx fails a test on any call no
response was added for, so each test also proves that no other call is made)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.capabilities import Operation
from connectors.errors import BadInput, ItsmError
from connectors.fields import TicketField
from connectors.jira import JiraConnectorFactory
from connectors.search import SearchingConnector, SearchRequest, TicketFilter
from tests.connectors.jira.conftest import SITE, connection

F = TicketField
SEARCH = f"{SITE}/rest/api/3/search/jql"
ANY_SEARCH = re.compile(re.escape(SEARCH) + r"\?.*")
ORDER = " ORDER BY created DESC, key ASC"
ACCOUNT = "5b10a2844c20165700ede21f"


def issue(number: int, project: str = "DESK", **fields: Any) -> dict[str, Any]:
    return {
        "id": str(10000 + number),
        "key": f"{project}-{number}",
        "fields": {"project": {"id": "10000", "key": project}, **fields},
    }


def comment(text: str, *, public: bool = True) -> dict[str, Any]:
    body = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": text}]}]}  # fmt: skip
    return {
        "id": "1",
        "author": {"displayName": "Agent Smith"},
        "body": body,
        "created": "2026-03-11T07:00:00.000-0700",
        "jsdPublic": public,
    }


@pytest.fixture
def connector(factory: JiraConnectorFactory):
    return factory.open(connection(table="DESK"))


def test_jira_declares_search() -> None:
    assert Operation.SEARCH in JiraConnectorFactory.capabilities.operations


async def test_one_call_for_a_page_with_comments_and_the_next_token(httpx_mock, connector) -> None:
    assert isinstance(connector, SearchingConnector)
    httpx_mock.add_response(
        url=SEARCH,
        match_params={
            "jql": 'project = "DESK" AND statusCategory != Done' + ORDER,
            "fields": "comment,project,summary",
            "maxResults": "2",
        },
        json={
            "issues": [
                issue(1, summary="Mail down", comment={"comments": [comment("hi")], "total": 1}),
                issue(2, summary="VPN", comment={"comments": [comment("x", public=False)]}),
            ],
            "nextPageToken": "CAEaAggD",
            "isLast": False,
        },
    )

    page = await connector.search(
        SearchRequest(TicketFilter(active=True), first=2),
        {F.TICKET_NUMBER, F.SHORT_DESCRIPTION, F.COMMENTS, F.WORK_NOTES},
        UTC,
    )

    assert page.position == "CAEaAggD" and page.total is None
    first, second = page.tickets
    assert first.values[F.TICKET_NUMBER] == "DESK-1"
    assert [n.text for n in first.values[F.COMMENTS]] == ["hi"]  # type: ignore[union-attr]
    assert second.values[F.COMMENTS] == ()
    assert [n.text for n in second.values[F.WORK_NOTES]] == ["x"]  # type: ignore[union-attr]
    assert len(httpx_mock.get_requests()) == 1


async def test_the_position_goes_as_next_page_token_and_the_last_page_ends(
    httpx_mock, connector
) -> None:
    httpx_mock.add_response(
        url=SEARCH,
        match_params={
            "jql": 'project = "DESK"' + ORDER,
            "fields": "project",
            "maxResults": "20",
            "nextPageToken": "CAEaAggD",
        },
        json={"issues": [issue(3)], "isLast": True},
    )
    page = await connector.search(
        SearchRequest(TicketFilter(), position="CAEaAggD"), {F.TICKET_NUMBER}, UTC
    )
    assert [t.values[F.TICKET_NUMBER] for t in page.tickets] == ["DESK-3"]
    assert page.position is None


async def test_comments_that_did_not_all_fit_are_read_for_that_issue_only(
    httpx_mock, connector
) -> None:
    httpx_mock.add_response(
        url=ANY_SEARCH,
        json={
            "issues": [
                issue(1, comment={"comments": [comment("a")], "total": 2}),
                issue(2, comment={"comments": [], "total": 0}),
            ],
            "isLast": True,
        },
    )
    httpx_mock.add_response(
        url=f"{SITE}/rest/api/3/issue/10001/comment?startAt=0&maxResults=100&orderBy=created",
        json={"comments": [comment("a"), comment("b")], "total": 2},
    )
    page = await connector.search(SearchRequest(TicketFilter()), {F.COMMENTS}, UTC)
    assert [len(t.values[F.COMMENTS]) for t in page.tickets] == [2, 0]


async def test_people_are_found_first_and_times_read_in_the_profile_zone(
    httpx_mock, connector
) -> None:
    httpx_mock.add_response(
        url=f"{SITE}/rest/api/3/user/search",
        match_params={"query": "Agent Smith", "maxResults": "20"},
        json=[{"accountId": ACCOUNT, "displayName": "Agent Smith"}],
    )
    httpx_mock.add_response(
        url=f"{SITE}/rest/api/3/myself", json={"timeZone": "America/Los_Angeles"}
    )
    httpx_mock.add_response(
        url=SEARCH,
        match_params={
            "jql": f'project = "DESK" AND assignee = "{ACCOUNT}" AND reporter = "{ACCOUNT}" '
            'AND created >= "2026/03/11 07:00"' + ORDER,
            "fields": "project",
            "maxResults": "20",
        },
        json={"issues": [], "isLast": True},
    )
    filter = TicketFilter(
        assigned_to="Agent Smith",
        caller=ACCOUNT,  # an accountId is sent as is
        created_after=datetime(2026, 3, 11, 14, 0, tzinfo=UTC),
    )
    page = await connector.search(SearchRequest(filter), {F.TICKET_NUMBER}, UTC)
    assert page.tickets == () and page.position is None


@pytest.mark.parametrize(
    ("request_", "fields", "message"),
    [
        (SearchRequest(TicketFilter(assigned_group="Net")), {F.SYS_ID}, "assignedGroup"),
        (SearchRequest(TicketFilter(text="a\nb")), {F.SYS_ID}, "filter.text"),
        (SearchRequest(TicketFilter(), position="x y"), {F.SYS_ID}, "after"),
        (SearchRequest(TicketFilter()), {F.TICKET_BUSINESS_TIME_LEFT}, "ticketBusinessTimeLeft"),
    ],
)
async def test_refusals_send_nothing(
    httpx_mock, connector, request_: SearchRequest, fields: set[TicketField], message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        await connector.search(request_, fields, UTC)
    assert httpx_mock.get_requests() == []


async def test_an_unknown_person_is_a_400_naming_the_filter_key(httpx_mock, connector) -> None:
    httpx_mock.add_response(
        url=f"{SITE}/rest/api/3/user/search?query=Nobody&maxResults=20", json=[]
    )
    with pytest.raises(BadInput, match=r"filter\.caller 'Nobody'"):
        await connector.search(SearchRequest(TicketFilter(caller="Nobody")), {F.SYS_ID}, UTC)


async def test_an_issue_from_another_project_is_not_answered(httpx_mock, connector) -> None:
    httpx_mock.add_response(
        url=ANY_SEARCH, json={"issues": [issue(1, project="OPS")], "isLast": True}
    )
    with pytest.raises(ItsmError, match="outside project DESK"):
        await connector.search(SearchRequest(TicketFilter()), {F.SYS_ID}, UTC)


async def test_keys_jira_does_not_know_are_searched_without(httpx_mock, connector) -> None:
    def unknown(*keys: str) -> dict[str, Any]:
        messages = [f"An issue with key '{k}' does not exist for field 'key'." for k in keys]
        return {"errorMessages": messages, "errors": {}}

    httpx_mock.add_response(
        url=SEARCH,
        match_params={
            "jql": 'project = "DESK" AND key in ("DESK-1", "DESK-9", "desk-8")' + ORDER,
            "fields": "project",
            "maxResults": "20",
        },
        status_code=400,
        json=unknown("DESK-9", "DESK-8"),
    )
    httpx_mock.add_response(
        url=SEARCH,
        match_params={
            "jql": 'project = "DESK" AND key = "DESK-1"' + ORDER,
            "fields": "project",
            "maxResults": "20",
        },
        json={"issues": [issue(1)], "isLast": True},
    )
    filter = TicketFilter(numbers=("DESK-1", "DESK-9", "desk-8"))
    page = await connector.search(SearchRequest(filter), {F.TICKET_NUMBER}, UTC)
    assert [t.values[F.TICKET_NUMBER] for t in page.tickets] == ["DESK-1"]


async def test_no_known_key_is_an_empty_page_and_unknown_values_are_400s(
    httpx_mock, connector
) -> None:
    httpx_mock.add_response(
        url=ANY_SEARCH,
        status_code=400,
        json={"errorMessages": ["An issue with key 'DESK-9' does not exist for field 'key'."]},
    )
    page = await connector.search(
        SearchRequest(TicketFilter(numbers=("DESK-9",))), {F.TICKET_NUMBER}, UTC
    )
    assert page.tickets == () and len(httpx_mock.get_requests()) == 1
    httpx_mock.add_response(
        url=ANY_SEARCH,
        status_code=400,
        json={"errorMessages": ["The value 'Nope' does not exist for the field 'status'."]},
    )
    with pytest.raises(BadInput, match=r"filter\.statuses: Jira has no status 'Nope'"):
        await connector.search(SearchRequest(TicketFilter(statuses=("Nope",))), {F.SYS_ID}, UTC)
    httpx_mock.add_response(url=ANY_SEARCH, status_code=400, json={"errorMessages": ["Bad JQL"]})
    with pytest.raises(ItsmError, match="Bad JQL"):
        await connector.search(SearchRequest(TicketFilter()), {F.SYS_ID}, UTC)
