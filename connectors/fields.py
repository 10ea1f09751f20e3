"""The canonical ticket field vocabulary (docs/contract.md#canonical-fields).

Names are exactly the caller-facing ones, case-sensitive. The order of ``TicketField`` is the
order of the contract's table, which is the order of answers when a caller asks for every field.

The contract began with 25 fields (``DEFAULT_FIELDS``): what a REST request that names no
``ticketFields`` answers, so that its clients see exactly what they always saw. Fields added
since (``correlationId``) are answered when named (REST) or selected (GraphQL).
"""

from __future__ import annotations

import enum


def snake_case(name: str) -> str:
    """A caller-facing camelCase name as Python spells it: ``clientSecret`` -> ``client_secret``
    (GraphQL's field and argument names, connection keys' attributes)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


class FieldKind(enum.Enum):
    TEXT = "text"
    DATETIME = "datetime"
    COMMENTS = "comments"
    WORK_NOTES = "work_notes"
    CLOSURE_NOTES = "closure_notes"


class TicketField(enum.StrEnum):
    TICKET_NUMBER = "ticketNumber"
    TICKET_STATUS = "ticketStatus"
    TICKET_PRIORITY = "ticketPriority"
    TICKET_BUSINESS_DURATION = "ticketBusinessDuration"
    TICKET_BUSINESS_TIME_LEFT = "ticketBusinessTimeLeft"
    SYS_ID = "sysId"
    ASSIGNED_TO = "assignedTo"
    ASSIGNED_GROUP = "assignedGroup"
    SHORT_DESCRIPTION = "shortDescription"
    LONG_DESCRIPTION = "longDescription"
    CATEGORY = "category"
    SUB_CATEGORY = "subCategory"
    CALLER_ID = "callerId"
    URGENCY = "urgency"
    TICKET_SEVERITY = "ticketSeverity"
    COMMENTS = "comments"
    WORK_NOTES = "workNotes"
    CLOSURE_NOTES = "closureNotes"
    CREATED_TIME = "createdTime"
    UPDATED_TIME = "updatedTime"
    RESOLVED_TIME = "resolvedTime"
    CREATED_BY = "createdBy"
    UPDATED_BY = "updatedBy"
    RESOLVED_BY = "resolvedBy"
    CLOSED_BY = "closedBy"
    # Beyond the original 25: answered only when named (see ``DEFAULT_FIELDS``).
    CORRELATION_ID = "correlationId"

    @property
    def kind(self) -> FieldKind:
        return _KINDS.get(self, FieldKind.TEXT)


_KINDS: dict[TicketField, FieldKind] = {
    TicketField.CREATED_TIME: FieldKind.DATETIME,
    TicketField.UPDATED_TIME: FieldKind.DATETIME,
    TicketField.RESOLVED_TIME: FieldKind.DATETIME,
    TicketField.COMMENTS: FieldKind.COMMENTS,
    TicketField.WORK_NOTES: FieldKind.WORK_NOTES,
    TicketField.CLOSURE_NOTES: FieldKind.CLOSURE_NOTES,
}

ALL_FIELDS: frozenset[TicketField] = frozenset(TicketField)
# The fields in the contract's order, as a tuple: iterating an Enum class walks its members
# through a generator each time, which cost about 1.5% of a fetch done several times a request.
ORDERED_FIELDS: tuple[TicketField, ...] = tuple(TicketField)
FIELD_NAMES: tuple[str, ...] = tuple(field.value for field in TicketField)

# The contract's original fields: what "no ticketFields named" means on the REST door.
DEFAULT_FIELDS: frozenset[TicketField] = ALL_FIELDS - {TicketField.CORRELATION_ID}
DEFAULT_FIELD_NAMES: tuple[str, ...] = tuple(
    field.value for field in TicketField if field in DEFAULT_FIELDS
)


class WritableField(enum.StrEnum):
    """Canonical fields a caller may set through GraphQL's typed ``TicketInput``.

    Each connector translates them to native columns; ``comments`` and ``workNotes`` append one
    entry, ``closureNotes`` sets the resolution note.
    """

    TICKET_STATUS = "ticketStatus"
    URGENCY = "urgency"
    TICKET_SEVERITY = "ticketSeverity"
    SHORT_DESCRIPTION = "shortDescription"
    LONG_DESCRIPTION = "longDescription"
    CATEGORY = "category"
    SUB_CATEGORY = "subCategory"
    ASSIGNED_TO = "assignedTo"
    ASSIGNED_GROUP = "assignedGroup"
    CALLER_ID = "callerId"
    COMMENTS = "comments"
    WORK_NOTES = "workNotes"
    CLOSURE_NOTES = "closureNotes"
    # The caller's own reference for the ticket (another system's id). A create with an
    # Idempotency-Key writes the key's fingerprint here instead, so it may not be set with one.
    CORRELATION_ID = "correlationId"


# As ORDERED_FIELDS, for the writable fields.
ORDERED_WRITABLE: tuple[WritableField, ...] = tuple(WritableField)
