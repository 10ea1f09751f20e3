"""A connector's declared capabilities decide, before any ITSM call, what a request may ask."""

from __future__ import annotations

from collections.abc import Set
from datetime import tzinfo

import pytest

from connectors.capabilities import Capabilities, Operation
from connectors.errors import BadInput
from connectors.fields import DEFAULT_FIELDS, TicketField, WritableField
from connectors.model import Ticket, WriteRequest
from connectors.registry import ConnectorRegistry
from gateway.outbound.guard import AddressGuard
from gateway.outbound.url_policy import UrlPolicy
from resolvers.connections import ConnectionDetails, ConnectionResolver
from resolvers.tickets import CallContext, TicketService
from tests.support.in_process_itsm import InProcessItsm

NARROW = Capabilities(
    itsm_type="narrow",
    name="Narrow Desk",
    operations=frozenset({Operation.FETCH, Operation.UPDATE}),
    readable={
        TicketField.TICKET_NUMBER: "key",
        TicketField.SYS_ID: "id",
        TicketField.SHORT_DESCRIPTION: "summary",
    },
    writable={WritableField.SHORT_DESCRIPTION: "summary"},
)
DETAILS = ConnectionDetails(
    itsm_type="narrow",
    instance_url="https://desk.example.com",
    auth_type="basic",
    username="u",
    password="p",
)


class NarrowItsm(InProcessItsm):
    itsm_type = "narrow"
    default_table = "issue"
    capabilities = NARROW

    def __init__(self) -> None:
        self.asked: list[frozenset[TicketField]] = []

    async def fetch(self, number: str, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        self.asked.append(frozenset(fields))
        values = {
            TicketField.TICKET_NUMBER: number,
            TicketField.SYS_ID: "10001",
            TicketField.SHORT_DESCRIPTION: "Printer on fire",
        }
        return Ticket({field: value for field, value in values.items() if field in fields})

    async def update(
        self, sys_id: str, write: WriteRequest, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket:
        return await self.fetch("DESK-1", fields, zone)

    async def create(self, write: WriteRequest, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        raise AssertionError("the narrow tool cannot create: the use case refuses first")


@pytest.fixture
def itsm() -> NarrowItsm:
    return NarrowItsm()


@pytest.fixture
def service(itsm: NarrowItsm) -> TicketService:
    guard = AddressGuard(UrlPolicy.from_text("https://desk.example.com"))
    resolver = ConnectionResolver(guard, ("narrow",))
    return TicketService(ConnectorRegistry([itsm]), resolver)


async def test_a_field_the_tool_cannot_provide_is_refused_naming_it(
    service: TicketService, itsm: NarrowItsm
) -> None:
    with pytest.raises(BadInput) as refused:
        await service.fetch(
            number="DESK-1",
            connection=DETAILS,
            fields=["shortDescription", "ticketSeverity", "workNotes"],
            zone=None,
            context=CallContext(),
        )
    assert refused.value.status == 400
    message = refused.value.message
    assert "Narrow Desk (itsmType narrow) cannot provide ticketSeverity, workNotes" in message
    assert "it provides ticketNumber, sysId, shortDescription" in message
    assert itsm.asked == []  # nothing was asked of the tool


async def test_every_field_means_every_field_the_tool_has(
    service: TicketService, itsm: NarrowItsm
) -> None:
    answer = await service.fetch(
        number="DESK-1", connection=DETAILS, fields=[], zone=None, context=CallContext()
    )
    assert itsm.asked == [
        frozenset({TicketField.TICKET_NUMBER, TicketField.SYS_ID, TicketField.SHORT_DESCRIPTION})
    ]
    assert answer.fields == DEFAULT_FIELDS  # the answer still holds all of them
    assert answer.ticket.get(TicketField.TICKET_SEVERITY) is None


async def test_an_operation_the_tool_does_not_offer_is_refused(service: TicketService) -> None:
    with pytest.raises(BadInput, match="Narrow Desk connections cannot create tickets"):
        await service.create(
            write=WriteRequest(native={"summary": "x"}),
            connection=DETAILS,
            fields=None,
            zone=None,
            context=CallContext(),
        )


async def test_a_canonical_write_the_tool_cannot_make_is_refused(
    service: TicketService, itsm: NarrowItsm
) -> None:
    with pytest.raises(BadInput) as refused:
        await service.update(
            sys_id="10001",
            write=WriteRequest(canonical={"shortDescription": "x", "urgency": "1"}),
            connection=DETAILS,
            fields=None,
            zone=None,
            context=CallContext(),
        )
    assert "cannot write urgency; it can write shortDescription" in refused.value.message
    assert itsm.asked == []


def test_the_gateway_lists_each_connectors_capabilities(service: TicketService) -> None:
    assert service.connectors() == [NARROW]
