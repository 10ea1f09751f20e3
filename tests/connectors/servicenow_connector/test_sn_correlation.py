"""``find_correlated``: one Table API query on ``correlation_id``, the match checked again on
the answer, and none, one or several matches told apart."""

from __future__ import annotations

import copy
from datetime import UTC

import pytest

from connectors.correlation import CorrelatingConnector
from connectors.errors import BadInput, Conflict
from connectors.fields import TicketField
from tests.connectors.servicenow_connector.conftest import vendor_calls

pytestmark = pytest.mark.usefixtures("lookups")

TABLE_URL = "https://acme.service-now.com/api/now/table/incident"
CORRELATION = "igw-0123456789abcdef0123456789abcdef"
F = TicketField


def look_up_params(fields: str) -> dict[str, str]:
    return {
        "sysparm_query": f"correlation_id={CORRELATION}",
        "sysparm_display_value": "all",
        "sysparm_exclude_reference_link": "true",
        "sysparm_fields": fields,
        "sysparm_limit": "2",
    }


def correlated(payload, value: str = CORRELATION):
    body = copy.deepcopy(payload("incident_resolved"))
    body["result"][0]["correlation_id"] = {"display_value": value, "value": value}
    return body


@pytest.fixture
def connector(factory, connection):
    return factory.open(connection())


def test_the_connector_can_look_up_by_correlation(connector) -> None:
    assert isinstance(connector, CorrelatingConnector)


async def test_one_query_finds_the_ticket(httpx_mock, connector, payload):
    httpx_mock.add_response(
        url=TABLE_URL,
        match_params=look_up_params("correlation_id,number,short_description,sys_id"),
        json=correlated(payload),
    )
    ticket = await connector.find_correlated(
        CORRELATION, {F.SHORT_DESCRIPTION, F.CORRELATION_ID}, UTC
    )
    assert ticket is not None
    assert ticket.values == {
        F.SHORT_DESCRIPTION: "Printer on floor 3 jams",
        F.CORRELATION_ID: CORRELATION,
    }
    assert len(vendor_calls(httpx_mock)) == 1


async def test_no_row_is_none(httpx_mock, connector):
    httpx_mock.add_response(
        url=TABLE_URL,
        match_params=look_up_params("correlation_id,number,sys_id"),
        json={"result": []},
    )
    assert await connector.find_correlated(CORRELATION, {F.TICKET_NUMBER}, UTC) is None


async def test_a_row_of_another_correlation_id_is_not_a_match(httpx_mock, connector, payload):
    # A query part ServiceNow cannot read is dropped silently: the whole table comes back.
    httpx_mock.add_response(
        url=TABLE_URL,
        match_params=look_up_params("correlation_id,number,sys_id"),
        json=correlated(payload, "MON-4711"),
    )
    assert await connector.find_correlated(CORRELATION, {F.TICKET_NUMBER}, UTC) is None


async def test_two_matches_are_a_conflict(httpx_mock, connector, payload):
    body = correlated(payload)
    body["result"].append(copy.deepcopy(body["result"][0]))
    httpx_mock.add_response(
        url=TABLE_URL, match_params=look_up_params("correlation_id,number,sys_id"), json=body
    )
    with pytest.raises(Conflict, match="matches more than one incident"):
        await connector.find_correlated(CORRELATION, {F.TICKET_NUMBER}, UTC)


@pytest.mark.parametrize("value", ["", " ", "a^ORactive=true", "a=b", "a,b", "a\nb"])
async def test_a_value_the_query_would_misread_is_refused_before_any_call(
    httpx_mock, connector, value
):
    with pytest.raises(BadInput, match="correlationId cannot be looked up"):
        await connector.find_correlated(value, {F.TICKET_NUMBER}, UTC)
    assert vendor_calls(httpx_mock) == []
