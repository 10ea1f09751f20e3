"""The REST endpoints: the legacy three, and search. Each parses its contract, calls the use
case, and answers in the envelope. Errors are not rendered here: a ``GatewayError`` goes up to
the middleware, which answers it through :mod:`rest_compat.errors`, as it does the errors raised
before a handler runs.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
from aiohttp import web

from connectors.errors import BadInput
from connectors.model import WriteRequest
from resolvers.tickets import ContextProvider, TicketAnswer, TicketService
from resolvers.write_report import untaken_message
from rest_compat.contracts import (
    CreateRequest,
    FetchRequest,
    SearchRequest,
    UpdateRequest,
    parse_contract,
)
from rest_compat.envelope import envelope, search_envelope, ticket_details
from rest_compat.errors import UnsupportedMediaType, json_response
from rest_compat.openapi import build_openapi

_FETCH_QUERY_KEYS = ("ticketNumber", "ticketFields", "itsmTimeZoneOffset", "connectionId")


class RestDoor:
    def __init__(self, service: TicketService, context_of: ContextProvider[web.Request]) -> None:
        self._service = service
        self._context_of = context_of

    def routes(self) -> list[web.RouteDef]:
        """Each path also with a trailing slash, which callers often add (no redirect: a client
        may not send a POST body again). No HEAD on the fetch: it would call the ITSM to answer
        only a status (405, ``Allow: GET, POST``)."""
        paths = [
            web.post("/itsm/v1/ticket/create", self.create),
            web.post("/itsm/v1/ticket/update", self.update),
            web.get("/itsm/v1/ticket/fetch", self.fetch, allow_head=False),
            web.post("/itsm/v1/ticket/fetch", self.fetch),
            web.post("/itsm/v1/ticket/search", self.search),
        ]
        slashed = [
            web.route(route.method, route.path + "/", route.handler, **route.kwargs)
            for route in paths
        ]
        return [*paths, *slashed, web.get("/openapi.json", openapi)]

    async def create(self, request: web.Request) -> web.Response:
        context = await self._context_of(request, "write")
        body = parse_contract(CreateRequest, await _json_body(request))
        answer = await self._service.create(
            write=WriteRequest(native=body.ticketJSON),
            connection=body.connectionDetails.to_details(),
            fields=body.ticketFields,
            zone=body.itsmTimeZoneOffset,
            context=context,
        )
        return _ok(201, f"Created {answer.noun} {answer.number}", answer)

    async def update(self, request: web.Request) -> web.Response:
        context = await self._context_of(request, "write")
        body = parse_contract(UpdateRequest, await _json_body(request))
        answer = await self._service.update(
            sys_id=body.sysId,
            write=WriteRequest(native=body.ticketJSON),
            connection=body.connectionDetails.to_details(),
            fields=body.ticketFields,
            zone=body.itsmTimeZoneOffset,
            context=context,
        )
        return _ok(200, f"Updated {answer.noun} {answer.number}", answer)

    async def fetch(self, request: web.Request) -> web.Response:
        context = await self._context_of(request, "read")
        if request.method == "GET" and not request.body_exists:
            body = _fetch_from_query(request)
        else:
            body = parse_contract(FetchRequest, await _json_body(request))
        answer = await self._service.fetch(
            number=body.ticketNumber,
            connection=body.connectionDetails.to_details(),
            fields=body.ticketFields,
            zone=body.itsmTimeZoneOffset,
            context=context,
        )
        return _ok(200, f"Fetched {answer.noun} {answer.number}", answer)

    async def search(self, request: web.Request) -> web.Response:
        context = await self._context_of(request, "read")
        body = parse_contract(SearchRequest, await _json_body(request))
        answer = await self._service.search(
            connection=body.connectionDetails.to_details(),
            filter=body.filter.model_dump(exclude_none=True) if body.filter else None,
            first=body.first,
            after=body.after,
            order=[item.model_dump() for item in body.orderBy] if body.orderBy else None,
            fields=body.ticketFields,
            zone=body.itsmTimeZoneOffset,
            context=context,
        )
        tickets = [edge.ticket for edge in answer.edges]
        found = f"Found {len(tickets)} {answer.noun}{'' if len(tickets) == 1 else 's'}"
        refused = {  # one sentence per field, however many tickets it was refused on
            field.value: why
            for ticket in tickets
            for field, why in ticket.refused.items()
            if field in answer.fields
        }
        message = "; ".join(
            [found, *(f"{name} left empty: {why}" for name, why in refused.items())]
        )
        next_cursor = answer.end_cursor if answer.has_next_page else None
        return json_response(
            200,
            search_envelope(200, message, tickets, answer.fields, next_cursor, answer.total),
        )


async def openapi(request: web.Request) -> web.Response:
    """The door's OpenAPI 3.1 document; no credential needed, like the health checks."""
    return web.Response(body=_openapi_json(), content_type="application/json")


@functools.cache
def _openapi_json() -> bytes:
    return orjson.dumps(build_openapi())


def _fetch_from_query(request: web.Request) -> FetchRequest:
    query = request.query
    unknown = sorted(set(query) - set(_FETCH_QUERY_KEYS))
    if unknown:
        raise BadInput(
            f"unknown query parameters: {', '.join(unknown)}; "
            f"valid ones are {', '.join(_FETCH_QUERY_KEYS)}"
        )
    if "ticketNumber" not in query:
        raise BadInput(
            "ticketNumber is required: send the fetch contract as a JSON body, "
            "or ?ticketNumber=...&connectionId=... as query parameters"
        )
    fields = [name.strip() for name in query.get("ticketFields", "").split(",") if name.strip()]
    return parse_contract(
        FetchRequest,
        {
            "ticketNumber": query["ticketNumber"],
            "connectionDetails": {"connectionId": query.get("connectionId")},
            "ticketFields": fields,
            "itsmTimeZoneOffset": query.get("itsmTimeZoneOffset"),
        },
    )


async def _json_body(request: web.Request) -> Any:
    content_type = request.headers.get("Content-Type")
    if content_type is not None and request.content_type != "application/json":
        raise UnsupportedMediaType(
            f"Content-Type must be application/json, not {request.content_type}"
            + (
                " (curl sends a form unless told: add -H 'Content-Type: application/json')"
                if request.content_type == "application/x-www-form-urlencoded"
                else ""
            )
        )
    raw = await request.read()  # over the size limit: aiohttp raises, the middleware answers 413
    if not raw.strip():
        raise BadInput("the request body is empty; send the contract as a JSON object")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadInput(f"the request body is not valid JSON: {error}") from None


def _ok(status: int, message: str, answer: TicketAnswer) -> web.Response:
    """The answer. A write that did not take whole keeps its status (the ticket exists) and its
    message names each value that did not take ("Created incident INC0010009, but 1 value did
    not take: ticketJSON.state 'In Progress' (it holds ''; ...); correct it with an update"). A
    refused optional read leaves its field empty and is named in the message too ("Fetched
    incident INC0010001; ticketBusinessTimeLeft left empty: task_sla: ...")."""
    refusals = [f"{field.value} left empty: {why}" for field, why in answer.refused.items()]
    message = "; ".join([untaken_message(message, answer.untaken), *refusals])
    return json_response(
        status, envelope(status, message, ticket_details(answer.ticket, answer.fields))
    )
