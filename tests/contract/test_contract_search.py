"""The connector contract for search and list (issue 14, item 6), generic over the tools.

Each test seeds its own tickets through the gateway's create (the backend's ``create_json``,
with a marker in the summary that no other ticket carries) and searches them by that marker, so
the suite needs no more of a backend than the fetch and write tests do. Calls are counted from
the gateway's own metrics by operation (``read_journal``, ``read_sla``; the rows are every other
call but the lookups, which are cached). A tool whose capabilities do not declare
``Operation.SEARCH`` skips with "search not yet implemented for <tool>".
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from connectors.capabilities import Operation
from connectors.fields import DEFAULT_FIELDS, TicketField
from tests.contract.conftest import Contract

# Calls that are lookups (cached per account), not a page's reads: Jira's field list
# (read_fields) finds its SLA and correlation id fields once per site and account.
_LOOKUPS = frozenset({"read_directory", "read_account", "read_fields"})

SEARCH = """
query($c: ConnectionInput!, $f: TicketFilterInput, $first: Int, $after: String,
      $order: [TicketOrder!]) {
  tickets(connection: $c, filter: $f, first: $first, after: $after, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { %s } }
  }
}
"""


def needs_search(tool: Contract) -> None:
    if Operation.SEARCH not in tool.backend.capabilities.operations:
        pytest.skip(f"search not yet implemented for {tool.backend.name}")


async def seed(tool: Contract, count: int) -> tuple[str, list[str]]:
    """``count`` new tickets whose summary carries a fresh marker: ``(marker, numbers)``."""
    marker = f"srch{uuid.uuid4().hex[:10]}"
    numbers = []
    for index in range(count):
        answer = await tool.rest(
            "POST",
            "create",
            {
                "connectionDetails": tool.connection(),
                "ticketJSON": tool.backend.create_json(f"{marker} ticket {index}"),
                "ticketFields": ["ticketNumber"],
            },
        )
        assert answer.status_code == 201, answer.text
        numbers.append(answer.json()["ticketDetails"]["ticketNumber"])
    return marker, numbers


async def search(tool: Contract, fields: str = "ticketNumber", **variables: Any) -> dict[str, Any]:
    answer = await tool.graphql(SEARCH % fields, {"c": tool.connection(), **variables})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def page_of(body: dict[str, Any]) -> dict[str, Any]:
    assert not body.get("errors"), body.get("errors")
    return dict(body["data"]["tickets"])


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    return dict(body["errors"][0])


async def test_paging_to_the_end_shows_every_ticket_once(tool: Contract) -> None:
    needs_search(tool)
    marker, numbers = await seed(tool, 7)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = page_of(await search(tool, f={"text": marker}, first=3, after=after))
        seen.extend(edge["node"]["ticketNumber"] for edge in page["edges"])
        assert page["totalCount"] in (None, 7)
        pages += 1
        assert pages <= 4, "paging does not end"
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(numbers)  # none twice, none missed
    assert len(seen) == len(set(seen))


async def test_paging_after_any_edge_continues_right_after_it(tool: Contract) -> None:
    needs_search(tool)
    marker, _ = await seed(tool, 5)
    first = page_of(await search(tool, f={"text": marker}, first=5))
    order = [edge["node"]["ticketNumber"] for edge in first["edges"]]
    resumed = page_of(
        await search(tool, f={"text": marker}, first=2, after=first["edges"][1]["cursor"])
    )
    assert [edge["node"]["ticketNumber"] for edge in resumed["edges"]] == order[2:4]


async def test_the_numbers_filter_answers_exactly_those(tool: Contract) -> None:
    needs_search(tool)
    _, numbers = await seed(tool, 3)
    page = page_of(await search(tool, f={"numbers": numbers[:2]}))
    assert sorted(e["node"]["ticketNumber"] for e in page["edges"]) == sorted(numbers[:2])
    assert page["pageInfo"]["hasNextPage"] is False


async def test_time_and_order_filters(tool: Contract) -> None:
    needs_search(tool)
    marker, numbers = await seed(tool, 3)
    future = page_of(await search(tool, f={"text": marker, "createdAfter": "2999-01-01T00:00:00Z"}))
    assert future["edges"] == []
    past = page_of(
        await search(
            tool,
            f={"text": marker, "createdAfter": "2000-01-01T00:00:00+02:00"},
            order=[{"field": "TICKET_NUMBER", "descending": False}],
        )
    )
    shown = [e["node"]["ticketNumber"] for e in past["edges"]]
    assert sorted(shown) == sorted(numbers)


async def test_projection_one_call_per_page_for_rows_journal_and_sla(tool: Contract) -> None:
    """The selection drives the page's reads: 20 tickets cost one row call; comments add the
    tool's notes reads for the whole page (ServiceNow one journal call, Jira none, its search
    brings them, RT its history and attachment searches); the SLA time left one SLA call at most
    (Jira none: its SLA fields come with the search). Never one per ticket."""
    needs_search(tool)
    marker, numbers = await seed(tool, 20)
    await search(tool, f={"text": marker}, first=1)  # lookups (people, zone) now cached

    async def reads_for(fields: str) -> tuple[dict[str, float], dict[str, Any]]:
        before = await tool.itsm_calls_by_operation()
        page = page_of(await search(tool, fields, f={"text": marker}, first=20))
        after = await tool.itsm_calls_by_operation()
        spent = {op: after.get(op, 0) - before.get(op, 0) for op in after}
        return {op: n for op, n in spent.items() if n and op not in _LOOKUPS}, page

    spent, page = await reads_for("ticketNumber shortDescription")
    assert len(page["edges"]) == 20
    assert sorted(e["node"]["ticketNumber"] for e in page["edges"]) == sorted(numbers)
    assert set(page["edges"][0]["node"]) == {"ticketNumber", "shortDescription"}
    costs = tool.backend.search_costs
    assert sum(spent.values()) == costs.rows, spent
    if TicketField.COMMENTS in tool.backend.capabilities.readable:
        spent, page = await reads_for("ticketNumber comments { comment }")
        assert sum(spent.values()) == costs.rows + costs.notes, spent
    if costs.sla is not None:
        spent, page = await reads_for("ticketNumber comments { comment } ticketBusinessTimeLeft")
        assert spent.get("read_sla", 0) == costs.sla, spent
        assert sum(spent.values()) == costs.rows + costs.notes + costs.sla, spent


async def test_a_cursor_reused_with_another_filter_is_refused(tool: Contract) -> None:
    needs_search(tool)
    marker, _ = await seed(tool, 3)
    page = page_of(await search(tool, f={"text": marker}, first=1))
    cursor = page["pageInfo"]["endCursor"]
    error = error_of(await search(tool, f={"text": marker + "x"}, first=1, after=cursor))
    assert error["extensions"]["statusCode"] == 400
    assert "another search" in error["message"]
    forged = error_of(await search(tool, f={"text": marker}, first=1, after="not-a-cursor"))
    assert forged["extensions"]["statusCode"] == 400


async def test_a_value_the_query_language_cannot_carry_is_400_naming_the_key(
    tool: Contract,
) -> None:
    """Each tool's own: what its language cannot carry safely (ServiceNow's ``^``, a line break,
    what RT's TicketSQL would read as a field) is refused before any call."""
    needs_search(tool)
    for key, value in tool.backend.search_costs.unsafe:
        before = await tool.itsm_calls()
        error = error_of(await search(tool, f={key: value}))
        assert error["extensions"]["statusCode"] == 400, (key, value)
        assert f"filter.{key}" in error["message"]
        assert await tool.itsm_calls() == before, (key, value)


async def test_the_page_size_is_bounded(tool: Contract) -> None:
    needs_search(tool)
    error = error_of(await search(tool, first=100_000))
    assert error["extensions"]["statusCode"] == 400
    assert "first" in error["message"]


async def rest_search(tool: Contract, **body: Any) -> dict[str, Any]:
    answer = await tool.rest("POST", "search", {"connectionDetails": tool.connection(), **body})
    payload = dict(answer.json())
    assert payload["statusCode"] == str(answer.status_code)
    return payload


async def test_rest_pages_to_the_end_with_the_asked_fields(tool: Contract) -> None:
    needs_search(tool)
    marker, numbers = await seed(tool, 5)
    seen: list[str] = []
    after: str | None = None
    for _ in range(4):
        body: dict[str, Any] = {
            "filter": {"text": marker},
            "first": 2,
            "ticketFields": ["ticketNumber", "shortDescription"],
        }
        if after:
            body["after"] = after
        page = await rest_search(tool, **body)
        assert page["statusCode"] == "200", page["statusMessage"]
        assert set(page) == {"statusCode", "statusMessage", "tickets", "nextCursor", "totalCount"}
        for ticket in page["tickets"]:
            assert set(ticket) == {"ticketNumber", "shortDescription"}
            assert marker in ticket["shortDescription"]
        seen.extend(ticket["ticketNumber"] for ticket in page["tickets"])
        after = page["nextCursor"]
        if not after:
            break
    assert sorted(seen) == sorted(numbers)
    assert len(seen) == len(set(seen))


async def test_rest_without_ticket_fields_answers_the_original_fields(tool: Contract) -> None:
    """No ``ticketFields``: the contract's original fields, as the other three operations answer
    them (correlationId only when named); a field a tool cannot provide is answered empty, never
    a reason to fail (Jira's SLA time left once was)."""
    needs_search(tool)
    marker, numbers = await seed(tool, 2)
    page = await rest_search(tool, filter={"text": marker})
    assert page["statusCode"] == "200", page["statusMessage"]
    original = {field.value for field in DEFAULT_FIELDS}
    assert all(set(ticket) == original for ticket in page["tickets"])
    assert sorted(ticket["ticketNumber"] for ticket in page["tickets"]) == sorted(numbers)


async def test_rest_refuses_what_graphql_refuses(tool: Contract) -> None:
    needs_search(tool)
    key, value = tool.backend.search_costs.unsafe[0]
    unsafe = await rest_search(tool, filter={key: value}, ticketFields=["ticketNumber"])
    assert unsafe["statusCode"] == "400" and f"filter.{key}" in unsafe["statusMessage"]
    unknown = await rest_search(tool, filter={"txt": "x"})
    assert unknown["statusCode"] == "400" and "filter.txt" in unknown["statusMessage"]
    naive = await rest_search(tool, filter={"createdAfter": "2026-01-01T00:00:00"})
    assert naive["statusCode"] == "400" and "filter.createdAfter" in naive["statusMessage"]
    marker, _ = await seed(tool, 2)
    one = ["ticketNumber"]
    first = await rest_search(tool, filter={"text": marker}, first=1, ticketFields=one)
    assert first["statusCode"] == "200", first["statusMessage"]
    other = await rest_search(
        tool, filter={"text": "other"}, first=1, after=first["nextCursor"], ticketFields=one
    )
    assert other["statusCode"] == "400" and "another search" in other["statusMessage"]


async def test_aliased_tickets_are_one_row_call_and_one_journal_call(tool: Contract) -> None:
    """Item 7: the ``ticket`` fields of one document on one connection are batched (a page's
    cost, whatever the number of fields); an unknown number fails only its own field, with its
    own 404."""
    needs_search(tool)
    _, numbers = await seed(tool, 3)
    seeded = await tool.backend.seeded()
    unknown = re.sub(r"\d", "9", seeded.number) + "9"  # as test_an_unknown_ticket_is_404
    document = """
    query($c: ConnectionInput!, $a: String!, $b: String!, $d: String!%s) {
      a: ticket(number: $a, connection: $c) { ticketNumber %s }
      b: ticket(number: $b, connection: $c) { ticketNumber shortDescription }
      d: ticket(number: $d, connection: $c) { ticketNumber }
      %s
    }
    """

    async def reads_for(extra: str, *, with_unknown: bool = False) -> tuple[dict[str, float], Any]:
        variables = {"c": tool.connection(), "a": numbers[0], "b": numbers[1], "d": numbers[2]}
        x = ("", "")
        if with_unknown:
            variables["x"] = unknown
            x = (", $x: String!", "x: ticket(number: $x, connection: $c) { ticketNumber }")
        before = await tool.itsm_calls_by_operation()
        answer = await tool.graphql(document % (x[0], extra, x[1]), variables)
        after = await tool.itsm_calls_by_operation()
        spent = {op: after.get(op, 0) - before.get(op, 0) for op in after}
        return {op: n for op, n in spent.items() if n and op not in _LOOKUPS}, answer.json()

    costs = tool.backend.search_costs
    await reads_for("")  # lookups cached
    spent, body = await reads_for("")
    assert sum(spent.values()) == costs.rows, spent
    assert not body.get("errors"), body
    assert body["data"]["a"]["ticketNumber"] == numbers[0]
    assert body["data"]["b"]["ticketNumber"] == numbers[1]
    assert body["data"]["d"] == {"ticketNumber": numbers[2]}
    if TicketField.COMMENTS in tool.backend.capabilities.readable:
        spent, body = await reads_for("comments { comment }")
        assert sum(spent.values()) == costs.rows + costs.notes, spent
        assert body["data"]["a"]["comments"] == []
    spent, body = await reads_for("", with_unknown=True)
    assert sum(spent.values()) == costs.rows + costs.unknown_number, spent
    assert [error["path"] for error in body["errors"]] == [["x"]]
    assert body["errors"][0]["extensions"]["statusCode"] == 404
    assert unknown in body["errors"][0]["message"]


async def test_a_refused_optional_read_leaves_the_rest_of_the_page_answered(
    tool: Contract,
) -> None:
    needs_search(tool)
    optional = tool.backend.optional_read
    if optional is None:
        pytest.skip(f"{tool.backend.name} has no optional read")
    if tool.backend.search_costs.sla is None:
        pytest.skip(f"{tool.backend.name}'s search does not read {optional.value} yet")
    marker, numbers = await seed(tool, 2)
    tool.backend.refuse_optional_read()
    body = await search(tool, f"ticketNumber {optional.value}", f={"text": marker})
    assert body["data"], body
    edges = body["data"]["tickets"]["edges"]
    assert sorted(edge["node"]["ticketNumber"] for edge in edges) == sorted(numbers)
    assert all(edge["node"][optional.value] is None for edge in edges)
    paths = sorted(tuple(error["path"]) for error in body["errors"])
    assert paths == [("tickets", "edges", i, "node", optional.value) for i in range(2)]
    assert {error["extensions"]["code"] for error in body["errors"]} == {"OPTIONAL_READ_REFUSED"}
    answer = await rest_search(tool, filter={"text": marker}, ticketFields=[optional.value])
    assert answer["statusCode"] == "200"
    assert f"{optional.value} left empty" in answer["statusMessage"]


async def test_a_tool_that_cannot_search_refuses_before_any_call(tool: Contract) -> None:
    if Operation.SEARCH in tool.backend.capabilities.operations:
        pytest.skip(f"{tool.backend.name} searches")
    before = await tool.itsm_calls()
    error = error_of(await search(tool))
    assert error["extensions"]["statusCode"] == 400
    assert "cannot search" in error["message"]
    refused = await rest_search(tool)
    assert refused["statusCode"] == "400" and "cannot search" in refused["statusMessage"]
    assert await tool.itsm_calls() == before
