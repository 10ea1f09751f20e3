"""What GraphiQL's documentation explorer says of each canonical field, read and written.

The canonical fields are declared once (``connectors.fields``); their GraphQL attributes are
written out in ``graph.types``, which would need one ``strawberry.field(description=...)`` each.
Instead :func:`described` fills in, after strawberry has made the type, the description of every
field that has none from a table keyed by the field's GraphQL name. A field given its own
description keeps it. ``tests/graph/test_descriptions.py`` walks the schema: a field added
without a description, here or on the field, fails it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from strawberry.types.base import get_object_definition

T = TypeVar("T", bound=type)

# docs/contract.md#canonical-fields says the same.
READ: Mapping[str, str] = {
    "ticketNumber": "The number people use (INC0010001, DESK-1, 17).",
    "ticketStatus": "The status label (In Progress).",
    "ticketPriority": "The priority label (1 - Critical).",
    "sysId": "The ITSM's own record id: what updateTicket takes.",
    "assignedTo": "The assignee's display name.",
    "assignedGroup": "The assignment group's name.",
    "shortDescription": "The one-line summary.",
    "longDescription": "The full description.",
    "category": "The category label.",
    "subCategory": "The subcategory label.",
    "callerId": "The caller's display name.",
    "urgency": "The urgency label (2 - Medium).",
    "ticketSeverity": "The severity label.",
    "comments": "Notes the customer sees, oldest first (selecting them adds one journal call).",
    "workNotes": "Internal notes, oldest first (selecting them adds one journal call).",
    "closureNotes": "The resolution note, with who resolved or closed and when.",
    "createdTime": "When the ticket was created (UTC).",
    "updatedTime": "When the ticket was last updated (UTC).",
    "resolvedTime": "When the ticket was resolved (UTC).",
    "createdBy": "Who created the ticket: a display name.",
    "updatedBy": "Who last updated the ticket: a display name.",
    "resolvedBy": "Who resolved the ticket: a display name.",
    "closedBy": "Who closed the ticket: a display name.",
}

WRITTEN: Mapping[str, str] = {
    "ticketStatus": "The status to set, as a label the tool knows (In Progress).",
    "urgency": "The urgency to set, as a label or the tool's value.",
    "ticketSeverity": "The severity to set.",
    "shortDescription": "The one-line summary.",
    "longDescription": "The full description.",
    "category": "The category to set.",
    "subCategory": "The subcategory to set.",
    "assignedTo": "The assignee: a user name, e-mail or display name the tool resolves.",
    "assignedGroup": "The assignment group, by name.",
    "callerId": "The caller: a user name, e-mail or display name the tool resolves.",
    "comments": "Appends one comment the customer sees.",
    "workNotes": "Appends one internal note.",
    "closureNotes": "Sets the resolution note.",
}

NOTES: Mapping[str, str] = {
    "commentBy": "Who wrote it: a display name.",
    "commentTime": "When it was written (UTC).",
    "comment": "The text.",
    "workNoteBy": "Who wrote it: a display name.",
    "workNoteTime": "When it was written (UTC).",
    "workNote": "The text.",
    "closureNoteBy": "Who resolved or closed the ticket: a display name.",
    "closureNoteTime": "When it was resolved or closed (UTC).",
    "closureNote": "The text.",
}


def described(descriptions: Mapping[str, str]) -> Callable[[T], T]:
    """A class decorator, above ``@strawberry.type`` or ``@strawberry.input``: each field without
    a description gets the one ``descriptions`` has for its GraphQL name."""

    def describe(cls: T) -> T:
        definition = get_object_definition(cls, strict=True)
        for field in definition.fields:
            name = field.graphql_name or _camel(field.python_name)
            if field.description is None and name in descriptions:
                field.description = descriptions[name]
        return cls

    return describe


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
