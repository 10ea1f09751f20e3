"""One way for a test to speak through either door and compare the answers.

``Outcome`` is what both doors promise alike: a status, a message and the ticket's details in
REST's spelling (GraphQL's ``null`` read as REST's ``""``). A write that did not take whole is its
status (201 or 200) with the ticket's details in both doors, GraphQL's ``WRITE_NOT_TAKEN`` error
giving the message and code; an error after a write reached a ticket has that ticket's
``{"ticketNumber", "sysId"}`` as details in both (GraphQL's ``extensions.ticket``).
Tests parametrised over ``DOORS`` hold
the two doors to the same behaviour, which docs/contract.md#doors requires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from connectors.connection_keys import GRAPHQL_ARGUMENT, REST_OBJECT
from connectors.fields import DEFAULT_FIELD_NAMES

NOTE_SUBFIELDS = {
    "comments": "commentBy commentTime comment",
    "workNotes": "workNoteBy workNoteTime workNote",
    "closureNotes": "closureNoteBy closureNoteTime closureNote",
}


@dataclass
class Outcome:
    status: int
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    response: httpx.Response | None = None
    code: str | None = None  # GraphQL's extensions.code
    # GraphQL's error extensions (beyond code and statusCode), e.g. a write that did not take
    # whole: {"untaken": [...], "ticket": {...}}; a REST answer has none.
    extensions: dict[str, Any] = field(default_factory=dict)


def selection(fields: list[str] | None) -> str:
    names = fields or list(DEFAULT_FIELD_NAMES)
    return " ".join(f"{n} {{ {NOTE_SUBFIELDS[n]} }}" if n in NOTE_SUBFIELDS else n for n in names)


def _as_rest(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return [{k: _as_rest(v) for k, v in item.items()} for item in value]
    return value


class Door(Protocol):
    """What a test may ask of either door."""

    name: str

    async def fetch(
        self,
        stack: Any,
        number: str,
        fields: list[str] | None = None,
        connection: dict[str, Any] | None = None,
        zone: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Outcome: ...

    async def create(
        self,
        stack: Any,
        ticket_json: dict[str, Any],
        fields: list[str] | None = None,
        connection: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Outcome: ...

    async def update(
        self,
        stack: Any,
        sys_id: str,
        ticket_json: dict[str, Any],
        fields: list[str] | None = None,
        connection: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Outcome: ...


class RestDoor:
    name = "rest"
    connection_object = REST_OBJECT  # how messages name a connection key: connectionDetails.<key>

    async def fetch(
        self,
        stack: Any,
        number: str,
        fields: list[str] | None = None,
        connection: dict[str, Any] | None = None,
        zone: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Outcome:
        body: dict[str, Any] = {
            "ticketNumber": number,
            "connectionDetails": connection or stack.connection(),
            "ticketFields": fields or [],
        }
        if zone is not None:
            body["itsmTimeZoneOffset"] = zone
        return self._outcome(await stack.rest("GET", "fetch", body, headers=headers or {}))

    async def create(
        self,
        stack: Any,
        ticket_json: dict[str, Any],
        fields: list[str] | None = None,
        connection: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Outcome:
        body = {
            "connectionDetails": connection or stack.connection(),
            "ticketJSON": ticket_json,
            "ticketFields": fields or [],
        }
        return self._outcome(await stack.rest("POST", "create", body, headers=headers or {}))

    async def update(
        self,
        stack: Any,
        sys_id: str,
        ticket_json: dict[str, Any],
        fields: list[str] | None = None,
        connection: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Outcome:
        body = {
            "sysId": sys_id,
            "connectionDetails": connection or stack.connection(),
            "ticketJSON": ticket_json,
            "ticketFields": fields or [],
        }
        return self._outcome(await stack.rest("POST", "update", body, headers=headers or {}))

    @staticmethod
    def _outcome(response: httpx.Response) -> Outcome:
        payload = response.json()
        assert set(payload) == {"statusCode", "statusMessage", "ticketDetails"}, payload
        assert payload["statusCode"] == str(response.status_code)
        return Outcome(
            response.status_code, payload["statusMessage"], payload["ticketDetails"], response
        )


class GraphQLDoor:
    name = "graphql"
    connection_object = GRAPHQL_ARGUMENT  # the argument: messages say connection.<key>

    async def fetch(
        self,
        stack: Any,
        number: str,
        fields: list[str] | None = None,
        connection: dict[str, Any] | None = None,
        zone: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Outcome:
        query = (
            "query($n: String!, $c: ConnectionInput!, $z: String) "
            "{ ticket(number: $n, connection: $c, itsmTimeZoneOffset: $z) "
            f"{{ {selection(fields)} }} }}"
        )
        variables = {"n": number, "c": connection or stack.connection(), "z": zone}
        return self._outcome(await stack.graphql(query, variables, headers=headers or {}), "ticket")

    async def create(
        self,
        stack: Any,
        ticket_json: dict[str, Any],
        fields: list[str] | None = None,
        connection: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Outcome:
        query = (
            "mutation($c: ConnectionInput!, $j: JSON) "
            f"{{ createTicket(connection: $c, ticketJSON: $j) {{ {selection(fields)} }} }}"
        )
        variables = {"c": connection or stack.connection(), "j": ticket_json}
        return self._outcome(
            await stack.graphql(query, variables, headers=headers or {}), "createTicket"
        )

    async def update(
        self,
        stack: Any,
        sys_id: str,
        ticket_json: dict[str, Any],
        fields: list[str] | None = None,
        connection: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Outcome:
        query = (
            "mutation($s: String!, $c: ConnectionInput!, $j: JSON) "
            "{ updateTicket(sysId: $s, connection: $c, ticketJSON: $j) "
            f"{{ {selection(fields)} }} }}"
        )
        variables = {"s": sys_id, "c": connection or stack.connection(), "j": ticket_json}
        return self._outcome(
            await stack.graphql(query, variables, headers=headers or {}), "updateTicket"
        )

    @staticmethod
    def _outcome(response: httpx.Response, root: str) -> Outcome:
        payload = response.json()
        errors = payload.get("errors")
        if errors:
            extensions = errors[0]["extensions"]
            status = extensions["statusCode"]
            # Authentication happens before GraphQL runs: the HTTP status says it too.
            if status in (401, 403):
                assert response.status_code == status
            extra = {k: v for k, v in extensions.items() if k not in ("code", "statusCode")}
            data = (payload.get("data") or {}).get(root)
            if extensions["code"] == "WRITE_NOT_TAKEN":
                # The ticket exists and is answered as data; the error is on the field's path.
                assert response.status_code == 200 and data is not None, payload
                assert errors[0]["path"] == [root], errors
                details = {k: _as_rest(v) for k, v in data.items()}
            else:
                details = dict(extra.get("ticket", {}))
                if details:
                    # A write that reached a ticket and then failed: the ticket is answered as
                    # data too (its ids; the rest null), the error on the field's path.
                    assert data is not None and errors[0]["path"] == [root], payload
                    assert {k: v for k, v in data.items() if v is not None} == {
                        k: v for k, v in details.items() if k in data
                    }, payload
                else:
                    assert data is None, payload  # the failed field is null, nothing else
            return Outcome(
                status, errors[0]["message"], details, response, extensions["code"], extra
            )
        assert response.status_code == 200
        ticket = payload["data"][root]
        return Outcome(200, "", {k: _as_rest(v) for k, v in ticket.items()}, response)


DOORS: list[Door] = [RestDoor(), GraphQLDoor()]
DOOR_IDS = [door.name for door in DOORS]
