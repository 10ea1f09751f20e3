"""The schema: one query and two mutations over the canonical ticket (docs/contract.md#graphql).

Every root field's result is nullable, so that one failing field never nulls its siblings (by the
GraphQL spec an error in a non-null field nulls its parent, and for a root field that is the whole
``data``): ``a: createTicket(...) b: updateTicket(<unknown>)`` answers ``a``'s ticket and ``b``'s
error. A write that reached a ticket and then failed answers the ticket's ids and the error
(``graph.write_notices.note_written``), never only the error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from typing import Annotated

import strawberry
from graphql import GraphQLError
from opentelemetry import trace
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from connectors.errors import BadInput, GatewayError
from connectors.model import WriteRequest
from graph.context import Info
from graph.documents import checked_documents
from graph.errors import translate_errors
from graph.limits import DEFAULT_LIMITS, GraphQLLimits, limit_rules
from graph.loaders import TicketKey
from graph.search_types import TicketConnection, TicketFilterInput, TicketOrder, node_fields
from graph.selection import selected_names
from graph.spans import execution_spans
from graph.types import (
    SCALARS,
    ConnectionInput,
    ConnectorInfo,
    TicketInput,
    TicketType,
    field_value,
)
from graph.write_notices import WriteNotices, note_write_not_taken, note_written
from resolvers.idempotency import parse_idempotency_key
from resolvers.idempotency_store import HEADER
from resolvers.tickets import CallContext, TicketAnswer

ZoneArgument = Annotated[
    str | None,
    strawberry.argument(
        name="itsmTimeZoneOffset",
        description="The ITSM's local zone, for times it gives only in local time.",
    ),
]
TicketJsonArgument = Annotated[
    JSON | None,
    strawberry.argument(
        name="ticketJSON",
        description="The ITSM's own field names and values, sent as given.",
    ),
]

ConnectionArgument = Annotated[
    ConnectionInput,
    strawberry.argument(
        description=(
            "Where the ITSM is and how to sign in (REST's connectionDetails), or only "
            "connectionId to use a connection configured on the gateway."
        )
    ),
]
TicketArgument = Annotated[
    TicketInput | None,
    strawberry.argument(
        description="Canonical fields to write; the connector maps them to the tool's own."
    ),
]
IdempotencyKeyArgument = Annotated[
    str | None,
    strawberry.argument(
        name="idempotencyKey",
        description=(
            "The Idempotency-Key header as an argument, with the same guarantees: a retry with "
            "the same key and request answers the first create's ticket without creating "
            "another; the same key with another request is a CONFLICT. Given with a different "
            "Idempotency-Key header: 400."
        ),
    ),
]


def _asked_fields(info: Info) -> list[str]:
    return selected_names(info.selected_fields[0].selections)


def _write(ticket_json: object, ticket: TicketInput | None) -> WriteRequest:
    if ticket_json is not None and not isinstance(ticket_json, dict):
        raise BadInput('ticketJSON must be a JSON object, e.g. {"short_description": "..."}')
    return WriteRequest(native=ticket_json or {}, canonical=ticket.to_canonical() if ticket else {})


def _keyed(call: CallContext, idempotency_key: str | None) -> CallContext:
    """The call with ``createTicket``'s ``idempotencyKey`` as its key: the argument and the
    ``Idempotency-Key`` header are one key, so both given and different is the caller's mistake
    (which one would it mean?)."""
    if idempotency_key is None:
        return call
    try:
        parse_idempotency_key(idempotency_key)
    except BadInput as refused:  # named as this door names it
        raise BadInput(refused.message.replace(HEADER, "idempotencyKey", 1)) from None
    if call.idempotency_key is not None and call.idempotency_key != idempotency_key:
        raise BadInput(
            "idempotencyKey and the Idempotency-Key header differ; give one of them, or the "
            "same key in both"
        )
    return dataclasses.replace(call, idempotency_key=idempotency_key)


async def _written(
    info: Info, write: Awaitable[TicketAnswer], status: int, done: str
) -> TicketType:
    """The ticket a write answers, with a ``WRITE_NOT_TAKEN`` error noted when it did not take
    whole (``done``: "Created", "Updated"; ``status``: 201, 200). When the write failed after it
    reached a ticket (``GatewayError.written``), that ticket's ids, with the error noted on the
    field's path: the caller learns of the ticket and does not write it again."""
    try:
        answer = await write
    except GatewayError as error:
        if error.written is None:
            raise
        note_written(info, error)
        return TicketType(ticket_number=error.written.number, sys_id=error.written.sys_id)
    note_write_not_taken(info, status, f"{done} {answer.noun} {answer.number}", answer)
    return TicketType.from_canonical(answer.ticket)


@strawberry.type(description="Reading tickets, and what each connector can do.")
class Query:
    @strawberry.field(description="The ticket with this human number (ServiceNow: INC0010001).")
    async def ticket(
        self,
        info: Info,
        number: Annotated[
            str, strawberry.argument(description="The ticket's number: INC0010001, DESK-1, 17.")
        ],
        connection: ConnectionArgument,
        itsm_time_zone_offset: ZoneArgument = None,
    ) -> TicketType | None:
        call = await info.context.call("read")
        answer = await info.context.tickets.load(
            TicketKey(
                number=number,
                fields=tuple(_asked_fields(info)),
                connection=connection.to_details(),
                zone=itsm_time_zone_offset,
                call=call,
            )
        )
        return TicketType.from_canonical(answer.ticket)

    @strawberry.field(
        description=(
            "A page of the tickets matching filter, in orderBy's order (newest first by "
            "default); after: the endCursor (or an edge's cursor) of the page before, valid "
            "only with the same connection, filter and orderBy."
        )
    )
    async def tickets(
        self,
        info: Info,
        connection: ConnectionArgument,
        filter: Annotated[
            TicketFilterInput | None,
            strawberry.argument(description="Which tickets; none: every ticket of the table."),
        ] = None,
        first: Annotated[
            int | None,
            strawberry.argument(description="The page size (20 by default; the gateway's cap)."),
        ] = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="Where to go on: a cursor of the page before."),
        ] = None,
        order_by: Annotated[
            list[TicketOrder] | None,
            strawberry.argument(description="The order (newest first by default)."),
        ] = None,
        itsm_time_zone_offset: ZoneArgument = None,
    ) -> TicketConnection | None:  # nullable: a failing search never blanks its siblings
        call = await info.context.call("read")
        answer = await info.context.service.search(
            connection=connection.to_details(),
            filter=filter.to_mapping() if filter else None,
            first=first,
            after=after,
            order=[item.to_mapping() for item in order_by] if order_by else None,
            fields=node_fields(info.selected_fields[0].selections),
            zone=itsm_time_zone_offset,
            context=call,
        )
        return TicketConnection.of(answer, after)

    @strawberry.field(
        description="The ITSM tools this gateway connects to, and what each can read and write."
    )
    async def connectors(self, info: Info) -> list[ConnectorInfo] | None:
        await info.context.call("read")
        return [
            ConnectorInfo.of(capabilities) for capabilities in info.context.service.connectors()
        ]


@strawberry.type(description="Writing tickets.")
class Mutation:
    @strawberry.mutation(description="Create a ticket; select from it as from a query.")
    async def create_ticket(
        self,
        info: Info,
        connection: ConnectionArgument,
        ticket_json: TicketJsonArgument = None,
        ticket: TicketArgument = None,
        itsm_time_zone_offset: ZoneArgument = None,
        idempotency_key: IdempotencyKeyArgument = None,
    ) -> TicketType | None:
        call = _keyed(await info.context.call("write"), idempotency_key)
        created = info.context.service.create(
            write=_write(ticket_json, ticket),
            connection=connection.to_details(),
            fields=_asked_fields(info),
            zone=itsm_time_zone_offset,
            context=call,
        )
        return await _written(info, created, 201, "Created")

    @strawberry.mutation(description="Update the ticket with this record id (sysId).")
    async def update_ticket(
        self,
        info: Info,
        sys_id: Annotated[
            str,
            strawberry.argument(description="The record id (sysId) that create or fetch answered."),
        ],
        connection: ConnectionArgument,
        ticket_json: TicketJsonArgument = None,
        ticket: TicketArgument = None,
        itsm_time_zone_offset: ZoneArgument = None,
    ) -> TicketType | None:
        call = await info.context.call("write")
        updated = info.context.service.update(
            sys_id=sys_id,
            write=_write(ticket_json, ticket),
            connection=connection.to_details(),
            fields=_asked_fields(info),
            zone=itsm_time_zone_offset,
            context=call,
        )
        return await _written(info, updated, 200, "Updated")


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Give every error its code, and log only the unexpected ones (once, in
        ``translate_errors``): a caller's mistake is not an operator's problem."""
        translate_errors(errors, execution_context)


def build_schema(
    limits: GraphQLLimits = DEFAULT_LIMITS,
    *,
    introspection: bool = True,
    tracer: trace.Tracer | None = None,
) -> strawberry.Schema:
    """The schema, with ``limits`` enforced on every document and, with a recording ``tracer``, a
    span per execution. No argument changes the SDL (``itsm-gateway export-schema`` builds it
    with the defaults)."""
    return _Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(scalar_map=SCALARS, default_resolver=field_value),
        extensions=[
            checked_documents(
                limit_rules(limits, introspection=introspection),
                limits.max_tokens,
                limits.max_document_bytes,
            ),
            *execution_spans(tracer),
            WriteNotices,
        ],
    )
