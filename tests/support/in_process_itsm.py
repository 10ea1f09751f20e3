"""A connector factory that is its own connector, for use-case tests run in process
(``resolvers.tickets.TicketService`` without HTTP): a test subclasses it and defines the operations
it drives; any other operation fails the test, since the use case should never have reached it."""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import tzinfo
from typing import Any, Self

from connectors.capabilities import Capabilities
from connectors.connection import Connection
from connectors.fields import TicketField
from connectors.model import Ticket, WriteRequest
from connectors.registry import ConnectorRegistry
from connectors.servicenow.capabilities import SERVICENOW
from gateway.outbound.guard import AddressGuard
from gateway.outbound.url_policy import UrlPolicy
from resolvers.connections import ConnectionDetails, ConnectionResolver
from resolvers.tickets import TicketService

# A caller's connection to such a connector. The password is a sentinel: tests look for it in
# what must not hold it (stored idempotency records, logs).
SERVICENOW_DETAILS = ConnectionDetails(
    itsm_type="servicenow",
    instance_url="https://acme.service-now.com",
    auth_type="basic",
    username="gateway.integration",
    password="sentinel-password-3b1d",
)


class InProcessItsm:
    """Declares itself a ServiceNow unless a subclass says otherwise."""

    itsm_type = "servicenow"
    default_table = "incident"
    capabilities: Capabilities = SERVICENOW

    def open(
        self, connection: Connection, *, extra_headers: Mapping[str, str] | None = None
    ) -> Self:
        return self

    async def aclose(self) -> None:
        pass

    async def fetch(self, number: str, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        raise AssertionError(f"{type(self).__name__} is not asked to fetch in these tests")

    async def create(self, write: WriteRequest, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        raise AssertionError(f"{type(self).__name__} is not asked to create in these tests")

    async def update(
        self, sys_id: str, write: WriteRequest, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket:
        raise AssertionError(f"{type(self).__name__} is not asked to update in these tests")


def servicenow_service(itsm: InProcessItsm, **options: Any) -> TicketService:
    """The use case over ``itsm`` alone, for connections to any ``*.service-now.com``;
    ``options`` go to :class:`TicketService` (``deadline_seconds``, ...)."""
    guard = AddressGuard(UrlPolicy.from_text("https://*.service-now.com"))
    resolver = ConnectionResolver(guard, ("servicenow",))
    return TicketService(ConnectorRegistry([itsm]), resolver, **options)
