"""The port: what the use cases ask of any ITSM, and nothing of how it is done.

A connector is opened per request from a long-lived factory, which owns what must outlive a
request (the pooled HTTP client, OAuth token caches). Connectors fetch only what ``fields`` asks
for, read UTC wherever the ITSM offers it, and apply ``zone`` only to times the ITSM gives in
local time alone. Every method refuses bad input before writing anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import tzinfo
from typing import Protocol, runtime_checkable

import httpx

from connectors.capabilities import Capabilities
from connectors.connection import Connection
from connectors.fields import TicketField
from connectors.model import Ticket, WriteRequest
from connectors.probe import Check


class Connector(Protocol):
    async def fetch(self, number: str, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        """The ticket with that human number; ``TicketNotFound`` or ``Conflict`` (several)."""
        ...

    async def create(self, write: WriteRequest, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        """Create a ticket and answer with the asked fields of the created record."""
        ...

    async def update(
        self, sys_id: str, write: WriteRequest, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket:
        """Update the ticket with that record id and answer with the asked fields after it."""
        ...


class ConnectorFactory(Protocol):
    itsm_type: str
    default_table: str  # what a record is called when the caller names no table ("incident")
    capabilities: Capabilities  # operations and fields, as data (``connectors.capabilities``)

    def open(
        self, connection: Connection, *, extra_headers: Mapping[str, str] | None = None
    ) -> Connector:
        """A connector for one request; cheap, shares the factory's pooled resources.

        ``extra_headers`` go on every call to the ITSM (the request id, for correlation).
        """
        ...

    async def aclose(self) -> None:
        """Release what the factory owns (called once, at shutdown)."""
        ...


@runtime_checkable
class ProbingFactory(ConnectorFactory, Protocol):
    """A factory whose connections ``itsm-gateway check-connection`` can check, through the
    connector's own code (``connectors.probe``). The registry finds it (``prober``), so the
    command names no vendor."""

    def check_names(self, table: str | None) -> tuple[str, ...]:
        """Every check ``probe`` reports for a connection to ``table`` (``None``: the default),
        in order: what a report lists as skipped when nothing could be contacted."""
        ...

    async def probe(
        self,
        connection: Connection,
        transport: httpx.AsyncBaseTransport,
        *,
        timeouts: httpx.Timeout,
    ) -> list[Check]:
        """The checks of ``check_names``, each call sent once through ``transport`` (the
        gateway's guarded one, closed at the end); nothing is written."""
        ...
