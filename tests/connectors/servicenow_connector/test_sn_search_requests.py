"""How ServiceNow's search shapes its calls: one row call for the page (only the needed columns,
the window as ``sysparm_limit``/``sysparm_offset``), one ``sys_journal_field`` call and one
``task_sla`` call for every ticket of the page, and each ticket gets only its own rows.

pytest-httpx fails a test on any request no response was added for, so each test also proves
that no other call is made.
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.fields import TicketField
from connectors.search import SearchRequest, TicketFilter
from connectors.zones import ACCOUNT_ZONE
from tests.connectors.servicenow_connector.conftest import vendor_calls

pytestmark = pytest.mark.usefixtures("lookups")

INSTANCE = "https://acme.service-now.com"
TABLE_URL = f"{INSTANCE}/api/now/table/incident"
JOURNAL_URL = f"{INSTANCE}/api/now/table/sys_journal_field"
SLA_URL = f"{INSTANCE}/api/now/table/task_sla"
ONE, TWO = "1" * 32, "2" * 32
F = TicketField


def row(number: str, sys_id: str) -> dict[str, Any]:
    return {
        "number": {"display_value": number, "value": number},
        "sys_id": {"display_value": sys_id, "value": sys_id},
        "comments": {"display_value": "", "value": ""},
        "sys_created_on": {"display_value": "", "value": "2026-03-08 00:20:00"},
        "sys_updated_on": {"display_value": "", "value": "2026-03-08 00:20:00"},
    }


def journal(sys_id: str, text: str) -> dict[str, str]:
    return {
        "element": "comments",
        "element_id": sys_id,
        "value": text,
        "sys_created_on": "2026-03-08 00:20:00",
        "sys_created_by": "fred.luddy",
    }


@pytest.fixture
def connector(factory: Any, connection: Any) -> Any:
    return factory.open(connection())


async def test_a_page_is_one_row_call_one_journal_call_and_one_sla_call(
    httpx_mock: Any, connector: Any
) -> None:
    httpx_mock.add_response(
        url=TABLE_URL,
        match_params={
            "sysparm_query": "short_descriptionLIKEprinter^ORDERBYDESCsys_created_on^ORDERBYnumber",
            "sysparm_display_value": "all",
            "sysparm_exclude_reference_link": "true",
            "sysparm_fields": "comments,number,sys_created_on,sys_id,sys_updated_on",
            "sysparm_limit": "2",
            "sysparm_offset": "4",
        },
        json={"result": [row("INC0010001", ONE), row("INC0010002", TWO)]},
        headers={"X-Total-Count": "7"},
    )
    httpx_mock.add_response(
        url=JOURNAL_URL,
        match_params={
            "sysparm_query": (
                f"element_idIN{ONE},{TWO}^elementINcomments,work_notes^ORDERBYsys_created_on"
            ),
            "sysparm_fields": "element,element_id,value,sys_created_on,sys_created_by",
            "sysparm_display_value": "false",
            "sysparm_limit": "10000",
        },
        json={"result": [journal(ONE, "first's"), journal(TWO, "second's")]},
    )
    httpx_mock.add_response(
        url=SLA_URL,
        match_params={
            "sysparm_query": f"taskIN{ONE},{TWO}^active=true",
            "sysparm_fields": "task,business_time_left,active",
            "sysparm_display_value": "false",
        },
        json={"result": [{"task": TWO, "business_time_left": "600", "active": "true"}]},
    )

    page = await connector.search(
        SearchRequest(TicketFilter(text="printer"), first=2, position="4"),
        {F.TICKET_NUMBER, F.SYS_ID, F.COMMENTS, F.TICKET_BUSINESS_TIME_LEFT},
        ACCOUNT_ZONE,
    )

    assert len(vendor_calls(httpx_mock)) == 3
    assert (page.position, page.total) == ("6", 7)
    first, second = page.tickets
    assert [note.text for note in first.get(F.COMMENTS)] == ["first's"]
    assert [note.text for note in second.get(F.COMMENTS)] == ["second's"]
    assert first.get(F.COMMENTS)[0].author == "Fred Luddy"  # one sys_user call for the page
    assert (first.get(F.TICKET_BUSINESS_TIME_LEFT), second.get(F.TICKET_BUSINESS_TIME_LEFT)) == (
        None,
        "600",
    )


async def test_the_last_page_has_no_position(httpx_mock: Any, connector: Any) -> None:
    httpx_mock.add_response(
        url=TABLE_URL,
        match_params={
            "sysparm_query": "numberININC0010001^ORDERBYDESCsys_created_on^ORDERBYnumber",
            "sysparm_display_value": "all",
            "sysparm_exclude_reference_link": "true",
            "sysparm_fields": "number,sys_id",
            "sysparm_limit": "20",
            "sysparm_offset": "0",
        },
        # An instance that dropped the condition answers other rows too: they are not counted.
        json={"result": [row("INC0010001", ONE), row("INC0010002", TWO)]},
        headers={"X-Total-Count": "2"},
    )
    page = await connector.search(
        SearchRequest(TicketFilter(numbers=("INC0010001",))), {F.TICKET_NUMBER}, ACCOUNT_ZONE
    )
    assert [t.get(F.TICKET_NUMBER) for t in page.tickets] == ["INC0010001"]
    assert page.position is None
