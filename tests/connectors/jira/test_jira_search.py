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


FIELDS = f"{SITE}/rest/api/3/field"
SLA_TYPE = "com.atlassian.servicedesk:sd-sla-field"


def sla_field(field_id: str, name: str) -> dict[str, Any]:
    number = int(field_id.removeprefix("customfield_"))
    schema = {"type": "sd-servicelevelagreement", "custom": SLA_TYPE, "customId": number}
    return {"id": field_id, "key": field_id, "name": name, "custom": True, "schema": schema}


def sla_value(name: str, millis: int | None, *, paused: bool = False, done: int = 0) -> Any:
    """An SLA field's value as "Get SLA information" shapes each SLA: ``millis`` None, no
    ongoing cycle; ``done``: the time left of a completed cycle."""
    completed = [{"breached": done < 0, "remainingTime": {"millis": done, "friendly": "x"}}]
    value: dict[str, Any] = {"id": "2", "name": name, "completedCycles": completed if done else []}
    if millis is not None:
        value["ongoingCycle"] = {
            "breached": millis < 0,
            "paused": paused,
            "withinCalendarHours": False,
            "remainingTime": {"millis": millis, "friendly": "x"},
        }
    return value


async def test_the_sla_time_left_comes_with_the_search(httpx_mock, connector) -> None:
    """The SLA fields, found once through the field list, are named in the search's fields:
    a page with the time left is one call, the next page one more (the list is cached). The
    rule is the fetch's: the smallest ongoing time left, paused ones included, completed cycles
    not; an issue whose SLA fields are null has none."""
    httpx_mock.add_response(
        url=FIELDS,
        json=[
            {"id": "summary", "name": "Summary", "custom": False, "schema": {"type": "string"}},
            sla_field("customfield_10030", "Time to resolution"),
            sla_field("customfield_10031", "Time to first response"),
        ],
    )
    for token in (None, "CAEaAggD"):
        httpx_mock.add_response(
            url=SEARCH,
            match_params={
                "jql": 'project = "DESK"' + ORDER,
                "fields": "customfield_10030,customfield_10031,project",
                "maxResults": "20",
                **({"nextPageToken": token} if token else {}),
            },
            json={
                "issues": [
                    issue(
                        1,
                        customfield_10030=sla_value("Time to resolution", 7_200_500, done=-5),
                        customfield_10031=sla_value(
                            "Time to first response", 1_800_999, paused=True
                        ),
                    ),
                    issue(
                        2,
                        customfield_10030=sla_value("Time to resolution", -90_500),
                        customfield_10031=sla_value("Time to first response", None, done=60_000),
                    ),
                    issue(3, customfield_10030=None, customfield_10031=None),
                ],
                **({"isLast": True} if token else {"isLast": False, "nextPageToken": "CAEaAggD"}),
            },
        )

    wanted = {F.TICKET_NUMBER, F.TICKET_BUSINESS_TIME_LEFT}
    first = await connector.search(SearchRequest(TicketFilter()), wanted, UTC)
    second = await connector.search(SearchRequest(TicketFilter(), position="CAEaAggD"), wanted, UTC)

    for page in (first, second):
        lefts = [t.values[F.TICKET_BUSINESS_TIME_LEFT] for t in page.tickets]
        assert lefts == ["1800", "-90", None]  # whole seconds, towards zero
        assert all(not t.refused for t in page.tickets)
    assert len(httpx_mock.get_requests(url=FIELDS)) == 1


async def test_a_site_without_sla_fields_leaves_the_time_left_empty_saying_why(
    httpx_mock, connector
) -> None:
    """Plain Jira Software: partial data, the rest of the page answered, no error."""
    httpx_mock.add_response(url=FIELDS, json=[sla_field("customfield_1", "x") | {"custom": False}])
    httpx_mock.add_response(
        url=SEARCH,
        match_params={
            "jql": 'project = "DESK"' + ORDER,
            "fields": "project,summary",
            "maxResults": "20",
        },
        json={"issues": [issue(1, summary="Mail down")], "isLast": True},
    )
    wanted = {F.TICKET_NUMBER, F.SHORT_DESCRIPTION, F.TICKET_BUSINESS_TIME_LEFT}
    page = await connector.search(SearchRequest(TicketFilter()), wanted, UTC)
    (ticket,) = page.tickets
    assert ticket.values[F.SHORT_DESCRIPTION] == "Mail down"
    assert ticket.values[F.TICKET_BUSINESS_TIME_LEFT] is None
    assert "no SLA custom field" in ticket.refused[F.TICKET_BUSINESS_TIME_LEFT]


async def test_sla_fields_left_out_of_the_answer_are_a_refused_read(httpx_mock, connector) -> None:
    """Jira leaves out fields the account may not view: the time left is refused, as a fetch's
    403 on the service desk SLA call is."""
    httpx_mock.add_response(url=FIELDS, json=[sla_field("customfield_10030", "Time to resolution")])
    httpx_mock.add_response(
        url=SEARCH,
        match_params={
            "jql": 'project = "DESK"' + ORDER,
            "fields": "customfield_10030,project",
            "maxResults": "20",
        },
        json={"issues": [issue(1)], "isLast": True},
    )
    page = await connector.search(
        SearchRequest(TicketFilter()), {F.TICKET_NUMBER, F.TICKET_BUSINESS_TIME_LEFT}, UTC
    )
    (ticket,) = page.tickets
    assert ticket.values[F.TICKET_BUSINESS_TIME_LEFT] is None
    assert "lacks read access" in ticket.refused[F.TICKET_BUSINESS_TIME_LEFT]
