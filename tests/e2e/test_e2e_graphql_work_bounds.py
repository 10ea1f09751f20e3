"""How much ITSM work one GraphQL document may cause (``graph/limits.py``), end to end: ``ticket``,
``createTicket`` and ``updateTicket`` fields count against ``ITSM_GATEWAY_MAX_TICKETS_PER_REQUEST``;
``tickets`` fields are search pages, at most ``ITSM_GATEWAY_GRAPHQL_MAX_SEARCHES`` of them, each
at most ``ITSM_GATEWAY_MAX_PAGE_SIZE`` tickets (``first``, variables resolved). Every refusal is a
400 before any ITSM call."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from emulators.servicenow.seed import INC_NEW
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.test_e2e_limits import data, fetches, refusal, variables
from tests.support.servers import serving, wait_until_ready

MAX_SEARCHES = 1
MAX_PAGE = 3


@pytest.fixture(scope="module")
async def narrow(stack: Stack) -> AsyncIterator[Stack]:
    """A gateway allowing one search of at most 3 tickets per document."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        graphql_max_searches=MAX_SEARCHES,
        max_page_size=MAX_PAGE,
    )
    async with serving(create_app(settings)) as url:
        await wait_until_ready(url)
        yield dataclasses.replace(stack, gateway_url=url)


def searches(count: int, first: str = "") -> str:
    fields = " ".join(
        f"s{i}: tickets(connection: $c{first}) {{ edges {{ node {{ ticketNumber }} }} }}"
        for i in range(count)
    )
    declared = ", $first: Int" if first else ""
    return f"query($c: ConnectionInput!{declared}) {{ {fields} }}"


async def test_searches_past_the_bound_are_refused_naming_the_settings(narrow: Stack) -> None:
    response = await narrow.graphql(searches(MAX_SEARCHES + 1), {"c": narrow.connection()})
    [error] = response.json()["errors"]  # only this refusal: the document is otherwise valid
    refusal(response, "2 searches", f"at most {MAX_SEARCHES}")
    assert "ITSM_GATEWAY_GRAPHQL_MAX_SEARCHES" in error["message"]
    assert f"at most {MAX_PAGE} tickets" in error["message"]
    assert "ITSM_GATEWAY_MAX_PAGE_SIZE" in error["message"]
    assert "fewer aliased tickets fields" in error["message"]
    assert narrow.table_requests() == []


async def test_a_page_past_the_page_size_is_refused_with_the_variables_resolved(
    narrow: Stack,
) -> None:
    query = searches(1, ", first: $first")
    response = await narrow.graphql(query, {"c": narrow.connection(), "first": MAX_PAGE + 1})
    assert response.status_code == 200  # execution ran: the field's own error
    refusal(response, "first", f"between 1 and {MAX_PAGE}")
    assert narrow.table_requests() == []
    page = data(await narrow.graphql(query, {"c": narrow.connection(), "first": MAX_PAGE}))
    assert len(page["s0"]["edges"]) == MAX_PAGE


async def test_searches_do_not_use_up_the_ticket_limit(stack: Stack) -> None:
    """The defaults: five aliased fetches and two searches in one document all run (a search
    counted as one ticket used to make this six, and refused)."""
    five = fetches(stack, 5).removesuffix(" }")
    pages = " ".join(
        f"s{i}: tickets(connection: $c, first: 1) {{ edges {{ node {{ ticketNumber }} }} }}"
        for i in range(2)
    )
    answer = data(
        await stack.graphql(f"{five} {pages} connectors {{ itsmType }} }}", variables(stack))
    )
    assert [answer[f"t{i}"]["ticketNumber"] for i in range(5)] == [INC_NEW[0]] * 5
    assert all(len(answer[f"s{i}"]["edges"]) == 1 for i in range(2))


async def test_the_default_bound_is_two_searches(stack: Stack) -> None:
    variables_: dict[str, Any] = {"c": stack.connection()}
    refusal(await stack.graphql(searches(3), variables_), "3 searches", "at most 2")
    assert stack.table_requests() == []
