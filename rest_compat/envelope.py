"""The answer every REST call gets, errors included: ``{statusCode, statusMessage, ticketDetails}``.

``ticketDetails`` holds exactly the asked fields; a value the ITSM does not have is ``""`` and an
empty list is ``[]`` (docs/contract.md#canonical-fields).

``Envelope`` describes that answer for the OpenAPI document. It is built from the same field
vocabulary and note keys as the rendering below, so the two cannot name different things; the
tests check real answers against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import GenericAlias
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from typing_extensions import TypedDict

from connectors.fields import FieldKind, TicketField
from connectors.model import Note, Ticket
from resolvers.field_sets import in_canonical_order
from resolvers.formatting import format_utc

# The keys of one note in each list (docs/contract.md#canonical-fields): (author, time, text).
_NOTE_KEYS: dict[FieldKind, tuple[str, str, str]] = {
    FieldKind.COMMENTS: ("commentBy", "commentTime", "comment"),
    FieldKind.WORK_NOTES: ("workNoteBy", "workNoteTime", "workNote"),
    FieldKind.CLOSURE_NOTES: ("closureNoteBy", "closureNoteTime", "closureNote"),
}


# A time as docs/contract.md#times writes it, or "" when the ITSM has none.
_UTC_TIME = r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6})?$"
_UtcTime = Annotated[str, Field(pattern=_UTC_TIME, description="UTC, YYYY-MM-DDTHH:MM:SS.ffffff")]


def _note_model(keys: tuple[str, str, str]) -> type[BaseModel]:
    by, time, text = keys
    return create_model(
        text[0].upper() + text[1:],  # Comment, WorkNote, ClosureNote
        __config__=ConfigDict(extra="forbid"),
        **{by: (str, ...), time: (_UtcTime, ...), text: (str, ...)},  # type: ignore[call-overload]
    )


_NOTE_MODELS = {kind: _note_model(keys) for kind, keys in _NOTE_KEYS.items()}


def _detail_type(field: TicketField) -> Any:
    if field.kind in _NOTE_MODELS:
        return GenericAlias(
            list, (_NOTE_MODELS[field.kind],)
        )  # list[Comment] ..., built at run time
    if field.kind is FieldKind.DATETIME:
        return _UtcTime
    return str


# Every key optional and none nullable: the answer holds exactly the asked fields, "" for a value
# the ITSM does not have.
TicketDetails = TypedDict(  # type: ignore[misc]
    "TicketDetails", {field.value: _detail_type(field) for field in TicketField}, total=False
)
TicketDetails.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]


class Envelope(BaseModel):
    """The answer to every REST call, errors included."""

    model_config = ConfigDict(extra="forbid")

    statusCode: str = Field(pattern=r"^[1-5][0-9]{2}$", description="the HTTP status, as text")
    statusMessage: str = Field(description="what happened, in a sentence a person can act on")
    ticketDetails: TicketDetails = Field(
        description=(
            "exactly the fields asked for (the original ones when none were); on an error {}, or "
            "{ticketNumber, sysId} when a write reached that ticket before the error"
        )
    )


class SearchEnvelope(BaseModel):
    """The answer to a search that succeeded (its errors answer in ``Envelope``)."""

    model_config = ConfigDict(extra="forbid")

    statusCode: str = Field(pattern=r"^2[0-9]{2}$", description="the HTTP status, as text")
    statusMessage: str = Field(description="how many were found, and any field left empty")
    tickets: list[TicketDetails] = Field(
        description="the page's tickets in order, each with exactly the fields asked for"
    )
    nextCursor: str = Field(
        description='send it as after for the next page; "" after the last page'
    )
    totalCount: int | None = Field(description="how many match in all, where the ITSM says")


def search_envelope(
    status: int,
    message: str,
    tickets: Iterable[Ticket],
    fields: Iterable[TicketField],
    next_cursor: str | None,
    total: int | None,
) -> dict[str, Any]:
    asked = list(fields)
    return {
        "statusCode": str(status),
        "statusMessage": message,
        "tickets": [ticket_details(ticket, asked) for ticket in tickets],
        "nextCursor": next_cursor or "",
        "totalCount": total,
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
