"""What ``bench.load`` sends through the gateway: the scenarios and the request each one makes.

A scenario is data (door, operation, fields, the ITSM calls it must make per request); the
request is built here for a token kind and the ITSM instance in use, so the same scenario runs
against the emulator and the stand-in.

Search needs a page of 20 matching incidents, and the emulator seeds 7: ``SEARCH_INCIDENTS``
are 20 more, with fixed sys_ids, numbers and times, stored raw after every reset of the
emulator (``POST /_emulator/records/incident``), so that the answer recorded for the stand-in
and every emulator run see the same page.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bench.wrk import HttpRequest
from connectors.fields import DEFAULT_FIELD_NAMES

THREE_FIELDS = ("ticketNumber", "ticketStatus", "shortDescription")
ALL_FIELDS = tuple(DEFAULT_FIELD_NAMES)  # the contract's original 25
NUMBER = "INC0010001"
SEARCH_PAGE = 20
SEARCH_TEXT = "bench search"  # in the short description of every SEARCH_INCIDENTS row only
# Sub-selections of the list fields in GraphQL.
_OBJECT_FIELDS = {
    "comments": "{ comment commentBy commentTime }",
    "workNotes": "{ workNote workNoteBy workNoteTime }",
    "closureNotes": "{ closureNote closureNoteBy closureNoteTime }",
}


@dataclass(frozen=True)
class Scenario:
    name: str
    door: str  # "rest" or "graphql"
    operation: str  # "fetch", "search", "create" or "update"
    fields: tuple[str, ...]
    expected_calls: int | None = None  # checked: ITSM calls per gateway request
    workers: int = 1  # gateway processes (``serve --workers``)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("REST fetch 3 fields", "rest", "fetch", THREE_FIELDS, expected_calls=1),
    Scenario("REST fetch all 25", "rest", "fetch", ALL_FIELDS, expected_calls=3),
    Scenario("GraphQL fetch 3 fields", "graphql", "fetch", THREE_FIELDS, expected_calls=1),
    Scenario("GraphQL fetch all 25", "graphql", "fetch", ALL_FIELDS, expected_calls=3),
    Scenario("REST search 20", "rest", "search", THREE_FIELDS, expected_calls=1),
    Scenario("GraphQL search 20", "graphql", "search", THREE_FIELDS, expected_calls=1),
    Scenario("REST create", "rest", "create", THREE_FIELDS),
    Scenario("REST update", "rest", "update", THREE_FIELDS),
    Scenario("GraphQL create", "graphql", "create", THREE_FIELDS),
    Scenario("GraphQL update", "graphql", "update", THREE_FIELDS),
    # The same as the first and third, through `serve --workers 2` (not pinned: both cores).
    Scenario("REST fetch 3 fields (2 workers)", "rest", "fetch", THREE_FIELDS, 1, workers=2),
    Scenario("GraphQL fetch 3 fields (2 workers)", "graphql", "fetch", THREE_FIELDS, 1, workers=2),
)


def search_incidents() -> list[dict[str, str]]:
    """The 20 incidents a search page finds: New, P5, one second apart (newest first is by
    creation time, so the page's order is fixed too)."""
    rows = []
    for n in range(1, SEARCH_PAGE + 1):
        opened = f"2026-11-02 09:00:{n:02d}"
        rows.append(
            {
                "number": f"INC009{n:04d}",
                "sys_id": hashlib.md5(f"bench:search:{n}".encode()).hexdigest(),  # noqa: S324
                "state": "1",
                "impact": "3",
                "urgency": "3",
                "priority": "5",
                "active": "true",
                "short_description": f"{SEARCH_TEXT} {n:02d}",
                "opened_at": opened,
                "sys_created_on": opened,
                "sys_updated_on": opened,
                "sys_created_by": "gateway.integration",
                "sys_updated_by": "gateway.integration",
                "sys_mod_count": "0",
            }
        )
    return rows


def gateway_request(
    scenario: Scenario, credential: str, token: str, instance_url: str, sys_id: str
) -> HttpRequest:
    """The scenario's request: ``credential`` "access" sends ``token`` as a bearer token,
    "offline" as ``X-Offline-Token``; ``sys_id`` is what an update changes."""
    headers = {"Content-Type": "application/json"}
    if credential == "access":
        headers["Authorization"] = f"Bearer {token}"
    else:
        headers["X-Offline-Token"] = token
    connection = {
        "itsmType": "servicenow",
        "instanceUrl": instance_url,
        "authType": "basic",
        "username": "gateway.integration",
        "password": "integration-password",
    }
    if scenario.door == "rest":
        body: dict[str, Any] = {"connectionDetails": connection}
        body["ticketFields"] = list(scenario.fields)
        if scenario.operation == "fetch":
            body["ticketNumber"] = NUMBER
        elif scenario.operation == "search":
            body["filter"] = {"text": SEARCH_TEXT}
            body["first"] = SEARCH_PAGE
        else:
            body["ticketJSON"] = _ticket_json(scenario.operation)
        if scenario.operation == "update":
            body["sysId"] = sys_id
        path = f"/itsm/v1/ticket/{scenario.operation}"
    else:
        body = _graphql(scenario, connection, sys_id)
        path = "/graphql"
    return HttpRequest("POST", path, headers, json.dumps(body))


def _ticket_json(operation: str) -> dict[str, str]:
    if operation == "create":
        return {"short_description": "bench.load create", "urgency": "3", "impact": "3"}
    return {"short_description": "bench.load update"}


def _graphql(scenario: Scenario, connection: dict[str, str], sys_id: str) -> dict[str, Any]:
    """Variables, never literals: a cached parse and validation can then hit."""
    selection = " ".join(f"{f} {_OBJECT_FIELDS.get(f, '')}".strip() for f in scenario.fields)
    variables: dict[str, Any] = {"connection": connection}
    if scenario.operation == "fetch":
        query = (
            "query Fetch($number: String!, $connection: ConnectionInput!) "
            f"{{ ticket(number: $number, connection: $connection) {{ {selection} }} }}"
        )
        variables["number"] = NUMBER
    elif scenario.operation == "search":
        query = (
            "query Search($connection: ConnectionInput!, $filter: TicketFilterInput, "
            "$first: Int) { tickets(connection: $connection, filter: $filter, first: $first) "
            f"{{ edges {{ node {{ {selection} }} }} }} }}"
        )
        variables["filter"] = {"text": SEARCH_TEXT}
        variables["first"] = SEARCH_PAGE
    elif scenario.operation == "create":
        query = (
            "mutation Create($connection: ConnectionInput!, $ticketJSON: JSON) "
            "{ createTicket(connection: $connection, ticketJSON: $ticketJSON) "
            f"{{ {selection} }} }}"
        )
        variables["ticketJSON"] = _ticket_json("create")
    else:
        query = (
            "mutation Update($sysId: String!, $connection: ConnectionInput!, $ticketJSON: JSON) "
            "{ updateTicket(sysId: $sysId, connection: $connection, ticketJSON: $ticketJSON) "
            f"{{ {selection} }} }}"
        )
        variables["ticketJSON"] = _ticket_json("update")
        variables["sysId"] = sys_id
    return {"query": query, "variables": variables}
