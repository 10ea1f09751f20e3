"""Searching and listing tickets: the part of the port a connector implements to search, and the
filter every door gives it.

The filter is canonical (the same names on both doors and for every tool); each connector turns
it into its own query language through a builder that never concatenates raw input (ServiceNow's
encoded query, Jira's JQL, RT's TicketSQL), and refuses (``BadInput``, naming the filter key) a
value its language cannot carry safely. The selection drives what is read for the whole page:
one call for the rows, then at most one journal call and one SLA call for every ticket on the
page together, never one per ticket.

Paging: a connector answers a page and the ``position`` where the next one starts, in its own
terms (an offset, Jira's ``nextPageToken``, a page number), or ``None`` after the last. The use
case wraps it in an opaque cursor bound to the query; a connector sees only
positions it gave out, but must still check one before using it (a cursor is caller input).
"""

from __future__ import annotations

import enum
from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import NamedTuple, Protocol, runtime_checkable

from connectors.fields import TicketField
from connectors.model import Ticket


class SortField(enum.StrEnum):
    """What a search may be ordered by (the canonical field names)."""

    TICKET_NUMBER = "ticketNumber"
    CREATED_TIME = "createdTime"
    UPDATED_TIME = "updatedTime"
    TICKET_PRIORITY = "ticketPriority"


@dataclass(frozen=True, slots=True)
class Order:
    field: SortField
    descending: bool = False


# The order when a caller names none: newest first, then by number so that the order is total
# (paging never shows a ticket twice nor skips one when times are equal).
DEFAULT_ORDER = (Order(SortField.CREATED_TIME, descending=True), Order(SortField.TICKET_NUMBER))


class TimeBound(NamedTuple):
    """One time condition of a filter: the ticket's ``field`` (its created or updated time) from
    ``moment`` on (``operator`` ``>=``, the ``*After`` keys) or before it (``<``, the ``*Before``
    keys); ``key``: the filter key, for messages."""

    field: SortField
    operator: str
    moment: datetime
    key: str


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Every condition is optional; those given are ANDed, the values of a list ORed.

    ``statuses`` and ``priorities`` take what a write takes for the field (a label or the tool's
    code); people (``assigned_to``, ``caller``) what a write takes (a user name, email, display
    name or the tool's id), and ``assigned_group`` a group name or id; times are aware, compared
    in UTC, ``*_after`` inclusive and ``*_before`` exclusive. ``text`` is found in the short
    description (as the tool's own "contains" finds it). ``active``: not resolved or closed.
    """

    numbers: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    assigned_to: str | None = None
    assigned_group: str | None = None
    caller: str | None = None
    correlation_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    active: bool | None = None
    text: str | None = None

    def is_empty(self) -> bool:
        return self == TicketFilter()

    def time_bounds(self) -> tuple[TimeBound, ...]:
        """The time conditions given, always in this order: created from, created before,
        updated from, updated before."""
        bounds = (
            (SortField.CREATED_TIME, ">=", self.created_after, "createdAfter"),
            (SortField.CREATED_TIME, "<", self.created_before, "createdBefore"),
            (SortField.UPDATED_TIME, ">=", self.updated_after, "updatedAfter"),
            (SortField.UPDATED_TIME, "<", self.updated_before, "updatedBefore"),
        )
        return tuple(
            TimeBound(field, operator, moment, key)
            for field, operator, moment, key in bounds
            if moment is not None
        )


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """``first``: the page size, already bounded by the use case; ``position``: where to start,
    as this connector gave it out in an earlier page (``None``: the first page)."""

    filter: TicketFilter
    order: tuple[Order, ...] = DEFAULT_ORDER
    first: int = 20
    position: str | None = None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """``tickets`` in the requested order, each with the asked fields (and the ids);
    ``position``: where the next page starts, ``None`` after the last; ``total``: how many
    tickets match in all, when the tool says (``None`` when it does not)."""

    tickets: tuple[Ticket, ...]
    position: str | None = None
    total: int | None = None


@runtime_checkable
class SearchingConnector(Protocol):
    """A connector that can search (its capabilities then declare ``Operation.SEARCH``)."""

    async def search(
        self, request: SearchRequest, fields: Set[TicketField], zone: tzinfo
    ) -> SearchPage:
        """One page of the tickets matching ``request.filter``; ``BadInput`` for a filter value
        or position the tool cannot take, naming the filter key."""
        ...
