"""Fetch, create, update and search: the use cases both doors call.

Each cleans its input once, before the connector is called (asked fields, time zone, the ticket
number or record id, the write, the connection), so bad input never reaches the ITSM. These are
the generic rules and their one owner: the doors parse only their own syntax (the REST contract's
keys and types, GraphQL's schema) and the connectors check only what their ITSM demands (a Jira
issue key, characters ServiceNow's query language would misread).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo
from functools import partial
from typing import Any, TypeVar

from connectors.capabilities import Capabilities, IdRule, Operation
from connectors.connection import Connection
from connectors.correlation import CorrelatingConnector, CorrelationHolder
from connectors.errors import BadInput, GatewayError, ItsmTimeout
from connectors.fields import TicketField, WritableField
from connectors.http import host_of
from connectors.model import Ticket, UntakenValue, WriteRequest
from connectors.port import Connector
from connectors.registry import ConnectorRegistry
from connectors.search import SearchingConnector
from resolvers.batch import TicketNames, fetch_by_search
from resolvers.connections import ConnectionDetails, ConnectionResolver
from resolvers.field_sets import parse_ticket_fields
from resolvers.idempotency import Idempotency, IdempotentCall, parse_idempotency_key
from resolvers.idempotency_store import IdempotencyStore, MemoryIdempotencyStore
from resolvers.limits import InputLimits
from resolvers.search import (
    Cursor,
    PageLimits,
    SearchAnswer,
    listed_fields,
    parse_filter,
    parse_order,
    query_digest,
    search_page,
)
from resolvers.timezones import parse_zone
from resolvers.trail import current_trail

# The longest ticket number or record id accepted (the REST contract documents it).
MAX_ID_LENGTH = 1024

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

    @property
    def sys_id(self) -> str:
        value = self.ticket.get(TicketField.SYS_ID)
        return value if isinstance(value, str) else ""

    @property
    def untaken(self) -> tuple[UntakenValue, ...]:
        """After a write: the values it asked for that the ITSM does not hold (the ticket exists;
        both doors answer it and name each of these)."""
        return self.ticket.untaken

    @property
    def refused(self) -> Mapping[TicketField, str]:
        """The asked fields whose optional read the ITSM refused the account, each with why
        (the table and what the account lacks). Their values are empty; the doors say why in
        their one error place (REST ``statusMessage``, GraphQL an error on the field's path)."""
        return {field: why for field, why in self.ticket.refused.items() if field in self.fields}


@dataclass(frozen=True, slots=True)
class _Opened:
    connection: Connection
    connector: Connector
    capabilities: Capabilities
    noun: str  # what messages call the record ("incident", "issue")
    table: str  # the table or project written to (part of an idempotency fingerprint)
    fields: frozenset[TicketField]  # what to read: the asked fields the tool has, and the ids


@dataclass(frozen=True, slots=True)
class CallContext:
    """Per-request facts: for the ITSM (the request id), for policies (the caller's roles, as
    realm roles and ``client:role``), the caller's ``Idempotency-Key`` for a create, and who the
    caller is (``caller``: its user and client), whose idempotency keys are its own."""

    request_id: str | None = None
    roles: frozenset[str] = frozenset()
    idempotency_key: str | None = None
    caller: str = ""

    def headers(self) -> Mapping[str, str]:
        return {"X-Request-ID": self.request_id} if self.request_id else {}


RequestT = TypeVar("RequestT")

# What the app gives both doors: checks the caller may perform the operation ("read" or "write")
# and returns the ``CallContext`` the use cases pass on; raises ``GatewayError`` (401, 403) when
# not. Generic in the request so that this layer names no web framework: the doors use
# ``ContextProvider[web.Request]``.
ContextProvider = Callable[[RequestT, str], Awaitable[CallContext]]


class TicketService:
    def __init__(
        self,
        registry: ConnectorRegistry,
        connections: ConnectionResolver,
        *,
        limits: InputLimits | None = None,
        deadline_seconds: float = 60.0,
        idempotency: IdempotencyStore | None = None,
        idempotency_share: int = 8 * 1_048_576,
        pages: PageLimits | None = None,
    ) -> None:
        """``idempotency``: where creates' ``Idempotency-Key``s are kept (default: in this
        process's memory, 24 hours); ``pages``: a search's page sizes."""
        self._pages = pages or PageLimits()
        self._registry = registry
        self._connections = connections
        self._limits = limits or InputLimits()
        self._deadline = deadline_seconds
        self._idempotency = Idempotency(
            idempotency if idempotency is not None else MemoryIdempotencyStore(),
            wait_seconds=deadline_seconds,
            lease_seconds=deadline_seconds + _CLAIM_LEASE_MARGIN_SECONDS,
            max_chars_per_caller=idempotency_share,
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
        reading = _Reading.of(fields, zone)
        number = _identifier("ticketNumber", number, "ticketNumber is required, e.g. INC0010001")
        _note("fetch", number)
        opened = await self._open(connection, context, Operation.FETCH, reading)
        _check_id(opened.capabilities.number_rule, "ticketNumber", number)
        async with self._deadline_of("fetch"):
            ticket = await opened.connector.fetch(number, opened.fields, reading.zone)
        return _answered(TicketAnswer(ticket=ticket, fields=reading.fields, noun=opened.noun))

    async def fetch_many(
        self,
        *,
        numbers: Sequence[str],
        connection: ConnectionDetails,
        fields: Iterable[str] | None,
        zone: str | None,
        context: CallContext,
    ) -> list[TicketAnswer | GatewayError]:
        """Several fetches on one connection (a GraphQL document's aliased ``ticket`` fields),
        each answered or failed in its place. Where the tool can search, one search for them all
        (one row call, one journal call, one SLA call: ``resolvers.batch``); else one fetch each.
        """
        if len(numbers) > 1:
            reading = _Reading.of(fields, zone)
            opened = await self._open(connection, context, Operation.FETCH, reading)
            if Operation.SEARCH in opened.capabilities.operations and isinstance(
                opened.connector, SearchingConnector
            ):
                for number in numbers:
                    _note("fetch", number.strip())
                async with self._deadline_of("fetch"):
                    found = await fetch_by_search(
                        opened.connector,
                        numbers,
                        opened.fields,
                        reading.zone,
                        check=partial(_checked_number, opened.capabilities.number_rule),
                        names=TicketNames(opened.noun, host_of(opened.connection.instance_url)),
                    )
                return [
                    answer
                    if isinstance(answer, GatewayError)
                    else _answered(TicketAnswer(answer, reading.fields, opened.noun))
                    for answer in found
                ]

        async def one(number: str) -> TicketAnswer | GatewayError:
            try:
                return await self.fetch(
                    number=number, connection=connection, fields=fields, zone=zone, context=context
                )
            except GatewayError as error:
                return error

        return list(await asyncio.gather(*(one(number) for number in numbers)))

    async def create(
        self,
        *,
        write: WriteRequest,
        connection: ConnectionDetails,
        fields: Iterable[str] | None,
        zone: str | None,
        context: CallContext,
    ) -> TicketAnswer:
        reading = _Reading.of(fields, zone)
        self._check_write(write)
        key = parse_idempotency_key(context.idempotency_key)
        if key is not None:
            _check_no_own_correlation(write)
        _note("create")
        opened = await self._open(connection, context, Operation.CREATE, reading, write)

        def send(sent: WriteRequest) -> Callable[[], Awaitable[Ticket]]:
            async def created() -> Ticket:
                async with self._deadline_of("create"):
                    return await opened.connector.create(sent, opened.fields, reading.zone)

            return created

        if key is None:
            ticket = await send(write)()
        else:
            # A retry with the key gets the first create's ticket; asked fields and the zone are
            # part of the request's fingerprint, so the stored ticket answers it exactly.
            call = IdempotentCall.for_create(
                key,
                connection,
                table=opened.table,
                write=write,
                fields=reading.fields,
                zone=reading.zone,
                caller=context.caller,
            )
            ticket = await self._keyed_create(call, opened, reading, write, send)
        return _answered(
            TicketAnswer(ticket=ticket, fields=reading.fields, noun=opened.noun), "create"
        )

    async def _keyed_create(
        self,
        call: IdempotentCall,
        opened: _Opened,
        reading: _Reading,
        write: WriteRequest,
        send: Callable[[WriteRequest], Callable[[], Awaitable[Ticket]]],
    ) -> Ticket:
        """The create under its key. Where the tool holds a correlation id, the key's
        ``correlation_id`` is written there, and where the connector can find a ticket by it,
        an unknown outcome is settled by that look-up (``Idempotency.run``'s ``settle``)."""
        if WritableField.CORRELATION_ID not in opened.capabilities.writable:
            return await self._idempotency.run(call, send(write))
        holder = opened.connector
        if isinstance(holder, CorrelationHolder):
            async with self._deadline_of("look-up"):
                holds = await holder.holds_correlation_ids()
            if not holds:  # this site has no place for it (Jira without the custom field)
                return await self._idempotency.run(call, send(write))
        keyed = replace(
            write,
            canonical={**write.canonical, WritableField.CORRELATION_ID.value: call.correlation_id},
        )
        connector = opened.connector
        if not isinstance(connector, CorrelatingConnector):
            return await self._idempotency.run(call, send(keyed))

        async def look_up() -> Ticket | None:
            async with self._deadline_of("look-up"):
                return await connector.find_correlated(
                    call.correlation_id, opened.fields, reading.zone
                )

        return await self._idempotency.run(call, send(keyed), settle=look_up)

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
        reading = _Reading.of(fields, zone)
        sys_id = _identifier(
            "sysId", sys_id, "sysId is required: the record id returned by create or fetch"
        )
        self._check_write(write)
        _note("update")
        opened = await self._open(connection, context, Operation.UPDATE, reading, write)
        _check_id(opened.capabilities.id_rule, "sysId", sys_id)
        async with self._deadline_of("update"):
            ticket = await opened.connector.update(sys_id, write, opened.fields, reading.zone)
        return _answered(
            TicketAnswer(ticket=ticket, fields=reading.fields, noun=opened.noun), "update"
        )

    async def search(
        self,
        *,
        connection: ConnectionDetails,
        filter: Mapping[str, Any] | None,
        first: int | None,
        after: str | None,
        order: Sequence[Mapping[str, Any]] | None,
        fields: Iterable[str] | None,
        zone: str | None,
        context: CallContext,
    ) -> SearchAnswer:
        """One page of the tickets matching ``filter`` (``resolvers.search``: the filter's
        canonical keys, the order, the opaque cursor ``after`` bound to this query)."""
        reading = _Reading.of(fields, zone)
        wanted, ordering = parse_filter(filter), parse_order(order)
        size = self._pages.size(first)
        _note("search")
        opened = await self._open(connection, context, Operation.SEARCH, reading)
        connector = opened.connector
        if not isinstance(connector, SearchingConnector):  # declared SEARCH, yet cannot
            raise BadInput(f"{opened.capabilities.name} connections cannot search tickets")
        fields = listed_fields(opened.capabilities, opened.fields, named=reading.explicit)
        digest = query_digest(opened.connection, opened.table, wanted, ordering)
        start = Cursor(digest, None) if after is None else Cursor.decode(after, digest, self._pages)
        async with self._deadline_of("search"):
            edges, following, total = await search_page(
                connector,
                wanted=wanted,
                order=ordering,
                size=size,
                start=start,
                fields=fields,
                zone=reading.zone,
            )
        return SearchAnswer(
            edges=edges,
            fields=reading.fields,
            noun=opened.noun,
            has_next_page=following is not None,
            end_cursor=edges[-1].cursor if edges else after,
            total=total,
        )

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
            error.outcome_unknown = operation in ("create", "update")
            raise error from None

    def _check_write(self, write: WriteRequest) -> None:
        if write.is_empty():
            raise BadInput(
                "ticketJSON needs at least one field to write, e.g. "
                '{"short_description": "Mail server down"}'
            )
        self._limits.check_write(write)

    async def _open(
        self,
        details: ConnectionDetails,
        context: CallContext,
        operation: Operation,
        reading: _Reading,
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
        if reading.explicit:
            capabilities.check_readable(reading.fields)
        if write is not None:
            capabilities.check_writable(WritableField(name) for name in write.canonical)
        read = frozenset(field for field in reading.fields if field in capabilities.readable)
        connector = self._registry.open(connection, extra_headers=context.headers())
        return _Opened(
            connection=connection,
            connector=connector,
            capabilities=capabilities,
            noun=self._registry.display_noun(connection),
            table=self._registry.record_noun(connection),
            fields=read | _ALWAYS_READ,
        )


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a call reads back, cleaned: the asked fields (every field when none is named),
    whether the caller named them, and the ITSM's zone."""

    fields: frozenset[TicketField]
    explicit: bool
    zone: tzinfo

    @classmethod
    def of(cls, fields: Iterable[str] | None, zone: str | None) -> _Reading:
        names = [] if fields is None else list(fields)
        return cls(parse_ticket_fields(names), bool(names), parse_zone(zone))


def _check_no_own_correlation(write: WriteRequest) -> None:
    """A keyed create's correlation id is the gateway's: it finds the ticket by it when the
    ITSM's answer is lost, and a caller's value there would make that look-up find nothing (or
    another ticket)."""
    if WritableField.CORRELATION_ID.value in write.canonical:
        raise BadInput(
            "ticketInput.correlationId cannot be set on a create with an Idempotency-Key: the "
            "gateway writes the key's fingerprint there, to find the ticket should the ITSM's "
            "answer be lost; send correlationId without a key, or the key without correlationId"
        )


def _identifier(name: str, value: str | None, required: str) -> str:
    """A ticket number or record id, stripped: present, and short enough to quote in messages.
    Its form is the ITSM's business (the connector checks it)."""
    ident = value.strip() if value else ""
    if not ident:
        raise BadInput(required)
    if len(ident) > MAX_ID_LENGTH:
        raise BadInput(f"{name} is too long; at most {MAX_ID_LENGTH} characters are accepted")
    return ident


def _checked_number(rule: IdRule | None, number: str) -> str:
    """A ticket number as ``fetch`` takes it: present, short enough, and of the tool's form."""
    number = _identifier("ticketNumber", number, "ticketNumber is required, e.g. INC0010001")
    _check_id(rule, "ticketNumber", number)
    return number


def _check_id(rule: IdRule | None, name: str, value: str) -> None:
    """The tool's own allow-list for numbers and ids, before any call, on both doors alike."""
    if rule is not None:
        rule.check(name, value)


def _note(operation: str, number: str | None = None) -> None:
    trail = current_trail()
    if trail is not None:
        trail.note_operation(operation)
        if number:
            trail.note_ticket(number)


def _answered(answer: TicketAnswer, write: str | None = None) -> TicketAnswer:
    """``answer``, noted on the request's trail: its ticket, and for a ``write`` ("create",
    "update") that did not take whole, which fields did not (the metric and the log line)."""
    trail = current_trail()
    if trail is not None:
        trail.note_ticket(answer.number)
        if write is not None and answer.untaken:
            trail.note_untaken(write, tuple(value.field for value in answer.untaken))
    return answer
