"""A field a tool reads but its search cannot list (``Capabilities.unlisted``,
``resolvers.search.listed_fields``): a search that names it is a 400 naming it, before any ITSM
call; one that names no field ("every field", REST without ``ticketFields``) answers with it
empty. No connector has such a field today, so a fake tool declares one."""

from __future__ import annotations

import dataclasses
from collections.abc import Set
from datetime import tzinfo

import pytest

from connectors.capabilities import Operation
from connectors.errors import BadInput
from connectors.fields import DEFAULT_FIELDS, TicketField
from connectors.model import Ticket
from connectors.search import SearchingConnector, SearchPage, SearchRequest
from connectors.servicenow.capabilities import SERVICENOW
from resolvers.search import SearchAnswer
from resolvers.tickets import CallContext, TicketService
from tests.support.in_process_itsm import SERVICENOW_DETAILS, InProcessItsm, servicenow_service

F = TicketField
DETAILS = SERVICENOW_DETAILS
WHY = "its SLAs are read per ticket"


class NarrowSearch(InProcessItsm):
    """A tool whose search cannot list the SLA time left; it answers one ticket with every
    field it was asked for, and keeps what it was asked."""

    capabilities = dataclasses.replace(
        SERVICENOW,
        operations=SERVICENOW.operations | {Operation.SEARCH},
        unlisted={F.TICKET_BUSINESS_TIME_LEFT: WHY},
    )

    def __init__(self) -> None:
        self.asked: list[frozenset[TicketField]] = []

    async def search(
        self, request: SearchRequest, fields: Set[TicketField], zone: tzinfo
    ) -> SearchPage:
        self.asked.append(frozenset(fields))
        if F.TICKET_BUSINESS_TIME_LEFT in fields:
            raise AssertionError("the use case asked for a field this search cannot list")
        values = {field: f"{field.value} of INC1" for field in fields}
        return SearchPage(tickets=(Ticket(values),))


@pytest.fixture
def itsm() -> NarrowSearch:
    return NarrowSearch()


@pytest.fixture
def service(itsm: NarrowSearch) -> TicketService:
    return servicenow_service(itsm, deadline_seconds=5)


async def search(service: TicketService, fields: list[str] | None) -> SearchAnswer:
    return await service.search(
        connection=DETAILS,
        filter=None,
        first=None,
        after=None,
        order=None,
        fields=fields,
        zone=None,
        context=CallContext(),
    )


def test_the_fake_searches() -> None:
    assert isinstance(NarrowSearch(), SearchingConnector)


@pytest.mark.parametrize("fields", [None, []])
async def test_every_field_leaves_the_unlisted_one_empty(
    service: TicketService, itsm: NarrowSearch, fields: list[str] | None
) -> None:
    answer = await search(service, fields)
    assert F.TICKET_BUSINESS_TIME_LEFT not in itsm.asked[0]
    assert F.SHORT_DESCRIPTION in itsm.asked[0]
    assert answer.fields == DEFAULT_FIELDS  # the doors answer it, empty
    (edge,) = answer.edges
    assert edge.ticket.values.get(F.TICKET_BUSINESS_TIME_LEFT) is None


async def test_naming_it_is_a_400_naming_it_before_any_call(
    service: TicketService, itsm: NarrowSearch
) -> None:
    with pytest.raises(BadInput, match=f"ticketBusinessTimeLeft: {WHY}"):
        await search(service, ["ticketNumber", "ticketBusinessTimeLeft"])
    assert itsm.asked == []


async def test_naming_only_listable_fields_reads_them(
    service: TicketService, itsm: NarrowSearch
) -> None:
    await search(service, ["ticketNumber", "shortDescription"])
    assert itsm.asked[0] >= {F.TICKET_NUMBER, F.SHORT_DESCRIPTION}
