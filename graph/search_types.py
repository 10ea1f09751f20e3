"""GraphQL types of search: the filter and order inputs, and the Relay connection answered.

Types only (and how a ``tickets`` selection names the fields of its nodes); ``graph.schema``
fills them from ``resolvers.search``'s answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from connectors.fields import TicketField
from connectors.search import SortField
from graph.descriptions import described
from graph.inputs import built_directly
from graph.selection import selected_names
from graph.types import TicketType
from resolvers.search import SearchAnswer

# The port's own vocabulary as the GraphQL enum (strawberry.enum marks the class and returns it):
# declared once, so the enum cannot drift from what connectors order by.
strawberry.enum(SortField, name="TicketSortField", description="What a search may be ordered by.")
_SORT_DESCRIPTIONS = {
    SortField.TICKET_NUMBER: "The ticket number (every order ends with it: pages never overlap).",
    SortField.CREATED_TIME: "When the ticket was created.",
    SortField.UPDATED_TIME: "When the ticket was last updated.",
    SortField.TICKET_PRIORITY: "The priority, as the tool orders it.",
}
for _value in SortField.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = _SORT_DESCRIPTIONS[SortField(_value.value)]

FILTER = {
    "numbers": "Any of these ticket numbers.",
    "statuses": "Any of these statuses (labels or the tool's codes).",
    "priorities": "Any of these priorities (labels or the tool's codes).",
    "assignedTo": "Assigned to this person (user name, email, display name or the tool's id).",
    "assignedGroup": "Assigned to this group (its name or the tool's id).",
    "caller": "Opened for this person (user name, email, display name or the tool's id).",
    "correlationId": "With this correlation id.",
    "createdAfter": "Created at or after this time.",
    "createdBefore": "Created before this time.",
    "updatedAfter": "Updated at or after this time.",
    "updatedBefore": "Updated before this time.",
}
PAGE = {
    "edges": "The page's tickets, in order, each with its cursor.",
    "pageInfo": "Where the page ends, and whether another follows.",
    "node": "The ticket, with the fields selected (the same for every ticket of the page).",
    "cursor": "Pass it as after to go on right after this ticket.",
    "hasNextPage": "true when more tickets follow this page.",
    "startCursor": "The cursor of the page's first ticket.",
    "field": "What to order by.",
    "descending": "true: largest (or newest) first.",
}


@built_directly
@described(FILTER)
@strawberry.input(
    description=(
        "Which tickets a search answers: every condition given must hold, any value of a list "
        "may. People and groups as a write takes them (user name, email, name or the tool's "
        "id); statuses and priorities as labels or the tool's codes; times with their offset, "
        "*After inclusive and *Before exclusive. A value the tool's query language cannot "
        "carry safely is refused (BAD_REQUEST naming the key)."
    )
)
class TicketFilterInput:
    numbers: list[str] | None = None
    statuses: list[str] | None = None
    priorities: list[str] | None = None
    assigned_to: str | None = None
    assigned_group: str | None = None
    caller: str | None = None
    correlation_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    active: bool | None = strawberry.field(
        default=None, description="true: not resolved or closed; false: resolved or closed."
    )
    text: str | None = strawberry.field(
        default=None, description="Found in the short description, as the tool's contains."
    )

    def to_mapping(self) -> dict[str, Any]:
        """The filter by its canonical names (REST's JSON keys), as ``resolvers.search`` takes
        it."""
        return {
            "numbers": self.numbers,
            "statuses": self.statuses,
            "priorities": self.priorities,
            "assignedTo": self.assigned_to,
            "assignedGroup": self.assigned_group,
            "caller": self.caller,
            "correlationId": self.correlation_id,
            "createdAfter": self.created_after,
            "createdBefore": self.created_before,
            "updatedAfter": self.updated_after,
            "updatedBefore": self.updated_before,
            "active": self.active,
            "text": self.text,
        }


@built_directly
@described(PAGE)
@strawberry.input(description="One ordering key; the ticket number is always the last one.")
class TicketOrder:
    field: SortField
    descending: bool = False

    def to_mapping(self) -> dict[str, Any]:
        return {"field": SortField(self.field).value, "descending": self.descending}


@described(PAGE)
@strawberry.type(description="Where a page ends (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(description="true when the page was asked after")
    start_cursor: str | None
    end_cursor: str | None = strawberry.field(description="pass it as after for the next page")


@described(PAGE)
@strawberry.type(description="A ticket of a page and the cursor right after it.")
class TicketEdge:
    node: TicketType
    cursor: str


@described(PAGE)
@strawberry.type(
    description=(
        "A page of tickets (a Relay connection). The selection of node decides what is read "
        "for the whole page: one call for the rows, one journal call for all the page's "
        "tickets when comments or workNotes are selected, one SLA call for "
        "ticketBusinessTimeLeft."
    )
)
class TicketConnection:
    edges: list[TicketEdge]
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        description="How many tickets match in all, where the tool says."
    )

    @classmethod
    def of(cls, answer: SearchAnswer, after: str | None) -> TicketConnection:
        edges = [
            TicketEdge(node=TicketType.from_canonical(edge.ticket), cursor=edge.cursor)
            for edge in answer.edges
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=answer.has_next_page,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=answer.end_cursor,
            ),
            total_count=answer.total,
        )


def node_fields(selections: Iterable[Selection]) -> list[str]:
    """The ticket fields selected under ``edges { node { ... } }`` (through fragments); only
    the number when no node field is (a page of counts and cursors reads no more)."""
    names: list[str] = []
    for edges in _fields_named(selections, "edges"):
        for node in _fields_named(edges.selections, "node"):
            names.extend(selected_names(node.selections))
    return sorted(set(names)) or [TicketField.TICKET_NUMBER.value]


def _fields_named(selections: Iterable[Selection], name: str) -> list[SelectedField]:
    found: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, SelectedField) and selection.name == name:
            found.append(selection)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            found.extend(_fields_named(selection.selections, name))
    return found
