"""The schema: one query and two mutations over the canonical ticket (docs/contract.md#graphql)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from graphql import GraphQLError
from opentelemetry import trace
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from connectors.errors import BadInput
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
from graph.write_notices import WriteNotices, note_write_not_taken

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


def _asked_fields(info: Info) -> list[str]:
    return selected_names(info.selected_fields[0].selections)


def _write(ticket_json: object, ticket: TicketInput | None) -> WriteRequest:
    if ticket_json is not None and not isinstance(ticket_json, dict):
        raise BadInput('ticketJSON must be a JSON object, e.g. {"short_description": "..."}')
    return WriteRequest(native=ticket_json or {}, canonical=ticket.to_canonical() if ticket else {})


@strawberry.type
class Query:
    @strawberry.field(description="The ticket with this human number (ServiceNow: INC0010001).")
    async def ticket(
        self,
        info: Info,
        number: str,
        connection: ConnectionInput,
        itsm_time_zone_offset: ZoneArgument = None,
    ) -> TicketType:
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
        connection: ConnectionInput,
        filter: TicketFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: list[TicketOrder] | None = None,
        itsm_time_zone_offset: ZoneArgument = None,
    ) -> TicketConnection:
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
    async def connectors(self, info: Info) -> list[ConnectorInfo]:
        await info.context.call("read")
        return [
            ConnectorInfo.of(capabilities) for capabilities in info.context.service.connectors()
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a ticket; select from it as from a query.")
    async def create_ticket(
        self,
        info: Info,
        connection: ConnectionInput,
        ticket_json: TicketJsonArgument = None,
        ticket: TicketInput | None = None,
        itsm_time_zone_offset: ZoneArgument = None,
    ) -> TicketType:
        call = await info.context.call("write")
        answer = await info.context.service.create(
            write=_write(ticket_json, ticket),
            connection=connection.to_details(),
            fields=_asked_fields(info),
            zone=itsm_time_zone_offset,
            context=call,
        )
        note_write_not_taken(info, 201, f"Created {answer.noun} {answer.number}", answer)
        return TicketType.from_canonical(answer.ticket)

    @strawberry.mutation(description="Update the ticket with this record id (sysId).")
    async def update_ticket(
        self,
        info: Info,
        sys_id: str,
        connection: ConnectionInput,
        ticket_json: TicketJsonArgument = None,
        ticket: TicketInput | None = None,
        itsm_time_zone_offset: ZoneArgument = None,
    ) -> TicketType:
        call = await info.context.call("write")
        answer = await info.context.service.update(
            sys_id=sys_id,
            write=_write(ticket_json, ticket),
            connection=connection.to_details(),
            fields=_asked_fields(info),
            zone=itsm_time_zone_offset,
            context=call,
        )
        note_write_not_taken(info, 200, f"Updated {answer.noun} {answer.number}", answer)
        return TicketType.from_canonical(answer.ticket)


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
