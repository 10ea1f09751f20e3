"""The answer every REST call gets, errors included: ``{statusCode, statusMessage, ticketDetails}``.

``ticketDetails`` holds exactly the asked fields; a value the ITSM does not have is ``""`` and an
empty list is ``[]`` (SPEC section 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from connectors.fields import FieldKind, TicketField
from connectors.model import Note, Ticket
from resolvers.field_sets import in_canonical_order
from resolvers.formatting import format_utc

# The keys of one note in each list, per SPEC section 3: (author, time, text).
_NOTE_KEYS: dict[FieldKind, tuple[str, str, str]] = {
    FieldKind.COMMENTS: ("commentBy", "commentTime", "comment"),
    FieldKind.WORK_NOTES: ("workNoteBy", "workNoteTime", "workNote"),
    FieldKind.CLOSURE_NOTES: ("closureNoteBy", "closureNoteTime", "closureNote"),
}


def envelope(status: int, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"statusCode": str(status), "statusMessage": message, "ticketDetails": details or {}}


def ticket_details(ticket: Ticket, fields: Iterable[TicketField]) -> dict[str, Any]:
    return {field.value: _render(field, ticket.get(field)) for field in in_canonical_order(fields)}


def _render(field: TicketField, value: object) -> Any:
    keys = _NOTE_KEYS.get(field.kind)
    if keys is not None:
        notes: tuple[Note, ...] = value if isinstance(value, tuple) else ()
        return [_render_note(note, keys) for note in notes]
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_utc(value)
    return str(value)


def _render_note(note: Note, keys: tuple[str, str, str]) -> dict[str, str]:
    by, time, text = keys
    return {
        by: note.author or "",
        time: format_utc(note.time) if note.time else "",
        text: note.text,
    }
