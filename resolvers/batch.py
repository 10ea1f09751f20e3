"""Several tickets fetched by number in one search: what lets a GraphQL document's aliased
``ticket`` fields cost one row call, one journal call and one SLA call (issue 14, item 7).

Each number keeps the answer its own fetch would give: its ticket, ``BadInput`` for a number of
the wrong form, ``TicketNotFound`` when no ticket has it, ``Conflict`` when several do. A number
asked twice is searched once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from datetime import tzinfo

from connectors.errors import Conflict, GatewayError, TicketNotFound
from connectors.fields import TicketField
from connectors.model import Ticket
from connectors.search import SearchingConnector, SearchRequest, TicketFilter


@dataclass(frozen=True, slots=True)
class TicketNames:
    """How messages name a ticket's kind (``incident``) and the ITSM's host."""

    noun: str
    host: str


async def fetch_by_search(
    connector: SearchingConnector,
    numbers: Sequence[str],
    fields: Set[TicketField],
    zone: tzinfo,
    *,
    check: Callable[[str], str],
    names: TicketNames,
) -> list[Ticket | GatewayError]:
    """Each number's ticket or error, in ``numbers``' order. ``check`` cleans a number (or
    raises its ``BadInput``), as ``fetch`` does before any call."""
    checked: list[str | GatewayError] = []
    for number in numbers:
        try:
            checked.append(check(number))
        except GatewayError as error:
            checked.append(error)
    wanted = sorted({n.casefold(): n for n in checked if isinstance(n, str)}.values())
    found: dict[str, list[Ticket]] = {}
    if wanted:
        # Twice as many rows as numbers, so that a number two records share is seen as such.
        request = SearchRequest(TicketFilter(numbers=tuple(wanted)), first=2 * len(wanted))
        page = await connector.search(request, fields, zone)
        for ticket in page.tickets:
            its_number = ticket.get(TicketField.TICKET_NUMBER)
            if isinstance(its_number, str):
                found.setdefault(its_number.casefold(), []).append(ticket)
    return [_answer(number, found, names) for number in checked]


def _answer(
    number: str | GatewayError, found: dict[str, list[Ticket]], names: TicketNames
) -> Ticket | GatewayError:
    if isinstance(number, GatewayError):
        return number
    tickets = found.get(number.casefold(), [])
    if not tickets:
        return TicketNotFound(f"No {names.noun} with number {number} in {names.host}")
    if len(tickets) > 1:
        return Conflict(
            f"ticketNumber {number} matches more than one {names.noun} in {names.host}; "
            "use its sysId"
        )
    return tickets[0]
