"""Fetch, create and update: the three use cases behind both doors.

Each checks everything it can judge before the connector is called (fields, time zone,
connection, required values), so bad input never reaches the ITSM.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass

from connectors.capabilities import Capabilities, Operation
from connectors.errors import BadInput, ItsmTimeout
from connectors.fields import TicketField, WritableField
from connectors.model import Ticket, WriteRequest
from connectors.port import Connector
from connectors.registry import ConnectorRegistry
from resolvers.connections import ConnectionDetails, ConnectionResolver
from resolvers.field_sets import parse_ticket_fields
from resolvers.idempotency import Idempotency, IdempotentCall, parse_idempotency_key
from resolvers.idempotency_store import IdempotencyStore, MemoryIdempotencyStore
from resolvers.limits import InputLimits
from resolvers.timezones import parse_zone
from resolvers.trail import current_trail

# Always read: the number names the record in messages and the sys_id drives follow-up calls;
# both come in the first call at no extra cost.
_ALWAYS_READ = frozenset({TicketField.TICKET_NUMBER, TicketField.SYS_ID})

# How long past its deadline a create in flight keeps its idempotency key's claim: beyond it, a
# retry takes the claim's owner for gone (a crashed process) and answers "outcome unknown".
_CLAIM_LEASE_MARGIN_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class TicketAnswer:
    ticket: Ticket
    fields: frozenset[TicketField]  # what the caller asked for: exactly what the doors return
    noun: str  # what the ITSM calls the record ("incident")

    @property
    def number(self) -> str:
        value = self.ticket.get(TicketField.TICKET_NUMBER)
        return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class _Opened:
    connector: Connector
    noun: str  # what messages call the record ("incident", "issue")
    table: str  # the table or project written to (part of an idempotency fingerprint)
    fields: frozenset[TicketField]  # what to read: the asked fields the tool has, and the ids


@dataclass(frozen=True, slots=True)
class CallContext:
    """Per-request facts: for the ITSM (the request id), for policies (the caller's roles, as
    realm roles and ``client:role``), and the caller's ``Idempotency-Key`` for a create."""

    request_id: str | None = None
    roles: frozenset[str] = frozenset()
    idempotency_key: str | None = None

    def headers(self) -> Mapping[str, str]:
        return {"X-Request-ID": self.request_id} if self.request_id else {}


class TicketService:
    def __init__(
        self,
        registry: ConnectorRegistry,
        connections: ConnectionResolver,
        *,
        limits: InputLimits | None = None,
        deadline_seconds: float = 60.0,
        idempotency: IdempotencyStore | None = None,
    ) -> None:
        """``idempotency``: where creates' ``Idempotency-Key``s are kept (default: in this
        process's memory, 24 hours)."""
        self._registry = registry
        self._connections = connections
        self._limits = limits or InputLimits()
        self._deadline = deadline_seconds
        self._idempotency = Idempotency(
            idempotency if idempotency is not None else MemoryIdempotencyStore(),
            wait_seconds=deadline_seconds,
            lease_seconds=deadline_seconds + _CLAIM_LEASE_MARGIN_SECONDS,
        )

    async def fetch(
        self,
        *,
        number: str | None,
        connection: ConnectionDetails,
        fields: Iterable[str] | None,
        zone: str | None,
        context: CallContext,
    ) -> TicketAnswer:
        names = _names(fields)
        asked = parse_ticket_fields(names)
        tz = parse_zone(zone)
        if not number or not number.strip():
            raise BadInput("ticketNumber is required, e.g. INC0010001")
        self._limits.check_text("ticketNumber", number)
        _note("fetch", number.strip())
        opened = await self._open(connection, context, Operation.FETCH, asked, explicit=bool(names))
        async with self._deadline_of("fetch"):
            ticket = await opened.connector.fetch(number.strip(), opened.fields, tz)
        return _answered(TicketAnswer(ticket=ticket, fields=asked, noun=opened.noun))

    async def create(
        self,
        *,
        write: WriteRequest,
        connection: ConnectionDetails,
        fields: Iterable[str] | None,
        zone: str | None,
        context: CallContext,
    ) -> TicketAnswer:
        names = _names(fields)
        asked = parse_ticket_fields(names)
        tz = parse_zone(zone)
        _require_write(write)
        self._limits.check_write(write)
        key = parse_idempotency_key(context.idempotency_key)
        _note("create")
        opened = await self._open(
            connection, context, Operation.CREATE, asked, explicit=bool(names), write=write
        )

        async def send() -> Ticket:
            async with self._deadline_of("create"):
                return await opened.connector.create(write, opened.fields, tz)

        if key is None:
            ticket = await send()
        else:
            # A retry with the key gets the first create's ticket; asked fields and the zone are
            # part of the request's fingerprint, so the stored ticket answers it exactly.
            call = IdempotentCall.for_create(
                key, connection, table=opened.table, write=write, fields=asked, zone=tz
            )
            ticket = await self._idempotency.run(call, send)
        return _answered(TicketAnswer(ticket=ticket, fields=asked, noun=opened.noun))

    async def update(
        self,
        *,
        sys_id: str | None,
        write: WriteRequest,
        connection: ConnectionDetails,
        fields: Iterable[str] | None,
        zone: str | None,
        context: CallContext,
    ) -> TicketAnswer:
        names = _names(fields)
        asked = parse_ticket_fields(names)
        tz = parse_zone(zone)
        if not sys_id or not sys_id.strip():
            raise BadInput("sysId is required: the record id returned by create or fetch")
        self._limits.check_text("sysId", sys_id)
        _require_write(write)
        self._limits.check_write(write)
        _note("update")
        opened = await self._open(
            connection, context, Operation.UPDATE, asked, explicit=bool(names), write=write
        )
        async with self._deadline_of("update"):
            ticket = await opened.connector.update(sys_id.strip(), write, opened.fields, tz)
        return _answered(TicketAnswer(ticket=ticket, fields=asked, noun=opened.noun))

    def connectors(self) -> list[Capabilities]:
        """What each configured ITSM tool supports (operations and fields)."""
        return self._registry.all_capabilities()

    @contextlib.asynccontextmanager
    async def _deadline_of(self, operation: str) -> AsyncIterator[None]:
        """The whole ITSM part of a request (every call, retry and wait) within the deadline."""
        try:
            async with asyncio.timeout(self._deadline):
                yield
        except TimeoutError:
            error = ItsmTimeout(
                f"the {operation} did not finish within the gateway's deadline of "
                f"{self._deadline:g} s"
            )
            # A write cut short may still have been applied by the ITSM.
            error.outcome_unknown = operation != "fetch"
            raise error from None

    async def _open(
        self,
        details: ConnectionDetails,
        context: CallContext,
        operation: Operation,
        asked: frozenset[TicketField],
        *,
        explicit: bool,
        write: WriteRequest | None = None,
    ) -> _Opened:
        """The connector, what the ITSM calls its records, and the fields to read, once the
        tool's declared capabilities allow the request (checked before any ITSM call). Fields
        named explicitly must all be provided; "every field" means every field the tool has,
        the others answered as having no value."""
        connection = await self._connections.resolve(details, context.roles)
        capabilities = self._registry.capabilities(connection)
        capabilities.check_connection(connection)
        capabilities.check_operation(operation)
        if explicit:
            capabilities.check_readable(asked)
        if write is not None:
            capabilities.check_writable(WritableField(name) for name in write.canonical)
        read = frozenset(field for field in asked if field in capabilities.readable)
        connector = self._registry.open(connection, extra_headers=context.headers())
        return _Opened(
            connector=connector,
            noun=self._registry.display_noun(connection),
            table=self._registry.record_noun(connection),
            fields=read | _ALWAYS_READ,
        )


def _names(fields: Iterable[str] | None) -> list[str]:
    return [] if fields is None else list(fields)


def _note(operation: str, number: str | None = None) -> None:
    trail = current_trail()
    if trail is not None:
        trail.note_operation(operation)
        if number:
            trail.note_ticket(number)


def _answered(answer: TicketAnswer) -> TicketAnswer:
    trail = current_trail()
    if trail is not None:
        trail.note_ticket(answer.number)
    return answer


def _require_write(write: WriteRequest) -> None:
    if write.is_empty():
        raise BadInput(
            "ticketJSON needs at least one field to write, e.g. "
            '{"short_description": "Mail server down"}'
        )
