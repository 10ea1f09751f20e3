"""``find_correlated``: one TicketSQL search on the custom field CorrelationId, the match checked
again on the answer, then the ticket found read as a fetch reads it."""

from __future__ import annotations

import copy
from datetime import UTC
from typing import Any

import pytest

from connectors.correlation import CorrelatingConnector
from connectors.errors import BadInput, Conflict
from connectors.fields import TicketField
from tests.connectors.rt.conftest import INSTANCE, load

F = TicketField
API = f"{INSTANCE}/REST/2.0"
CORRELATION = "igw-0123456789abcdef0123456789abcdef"
LOOK_UP = {
    "query": f"CF.{{CorrelationId}} = '{CORRELATION}'",
    "fields": "CustomFields",
    "per_page": "2",
}
READ = {"query": "id = 7", "fields": "Subject"}


def correlated(value: str = CORRELATION, copies: int = 1) -> dict[str, Any]:
    answer = copy.deepcopy(load("ticket_resolved"))
    entry = {"name": "CorrelationId", "id": "7", "type": "customfield", "values": [value]}
    answer["items"][0]["CustomFields"].append(entry)
    answer["items"] = answer["items"] * copies
    return answer


@pytest.fixture
def connector(factory, connection):
    return factory.open(connection())


def test_the_connector_can_look_up_by_correlation(connector) -> None:
    assert isinstance(connector, CorrelatingConnector)


async def test_one_search_then_the_ticket_as_fetched(httpx_mock, connector):
    httpx_mock.add_response(url=f"{API}/tickets", match_params=LOOK_UP, json=correlated())
    httpx_mock.add_response(url=f"{API}/tickets", match_params=READ, json=load("ticket_resolved"))

    ticket = await connector.find_correlated(CORRELATION, {F.SYS_ID, F.SHORT_DESCRIPTION}, UTC)

    assert ticket is not None
    assert ticket.values == {
        F.SYS_ID: "7",
        F.SHORT_DESCRIPTION: "VPN drops every 10 minutes (site B)",
    }
    assert len(httpx_mock.get_requests()) == 2


async def test_none_found_is_none(httpx_mock, connector):
    empty = {**load("ticket_resolved"), "items": [], "count": 0, "total": 0}
    httpx_mock.add_response(url=f"{API}/tickets", match_params=LOOK_UP, json=empty)
    assert await connector.find_correlated(CORRELATION, {F.SYS_ID}, UTC) is None


async def test_a_ticket_of_another_value_is_not_a_match(httpx_mock, connector):
    httpx_mock.add_response(url=f"{API}/tickets", match_params=LOOK_UP, json=correlated("other"))
    assert await connector.find_correlated(CORRELATION, {F.SYS_ID}, UTC) is None


async def test_two_matches_are_a_conflict(httpx_mock, connector):
    httpx_mock.add_response(url=f"{API}/tickets", match_params=LOOK_UP, json=correlated(copies=2))
    with pytest.raises(Conflict, match="matches more than one ticket"):
        await connector.find_correlated(CORRELATION, {F.SYS_ID}, UTC)


@pytest.mark.parametrize("value", ["", "a' OR id > 0 OR 'x", "a b", "-a", "x" * 256])
async def test_a_value_ticketsql_would_misread_is_refused_before_any_call(
    httpx_mock, connector, value
):
    with pytest.raises(BadInput, match="correlationId cannot be looked up"):
        await connector.find_correlated(value, {F.SYS_ID}, UTC)
    assert httpx_mock.get_requests() == []
