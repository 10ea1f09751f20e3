"""From RT REST 2.0 answers to canonical values: pure functions, tested on recorded answers.

A ticket is read with one search, ``GET /tickets?query=id = N&fields=...``, asking only for the
columns the fields need and expanding the references in the same answer (``fields[Owner]=Name,
RealName``, ``fields[Queue]=Name``), which ``GET /ticket/N`` cannot do. Notes come from the
ticket's history (transactions: who, when, what kind) and its attachments (the text of each
transaction), two calls that do not depend on each other.

RT facts (notes, section 6): dates are UTC ISO 8601 with seconds (``2026-11-28T02:35:51Z``) and a
never-set date is ``1970-01-01T00:00:00Z``, which means no value; ids and numbers come as strings
in search answers; user references carry the login name as ``id``; ``Nobody`` owns an unassigned
ticket; custom fields come as a list of ``{"id", "name", "values": [...]}``; transactions must be
ordered by id, since many share a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.errors import ItsmError
from connectors.fields import TicketField
from connectors.model import FieldValue, Note

F = TicketField
NOBODY = "Nobody"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

# The ticket columns (search ``fields``) each canonical field is read from.
COLUMNS: Mapping[TicketField, tuple[str, ...]] = {
    F.TICKET_NUMBER: (),  # the id every search item carries
    F.TICKET_STATUS: ("Status",),
    F.TICKET_PRIORITY: ("Priority",),
    F.SYS_ID: (),
    F.ASSIGNED_TO: ("Owner",),
    F.ASSIGNED_GROUP: ("Queue",),
    F.SHORT_DESCRIPTION: ("Subject",),
    F.LONG_DESCRIPTION: (),  # the Create transaction's text
    F.CATEGORY: ("CustomFields",),
    F.SUB_CATEGORY: ("CustomFields",),
    F.CALLER_ID: ("Requestor",),
    F.URGENCY: ("CustomFields",),
    F.TICKET_SEVERITY: ("CustomFields",),
    F.COMMENTS: (),  # Correspond transactions
    F.WORK_NOTES: (),  # Comment transactions
    F.CLOSURE_NOTES: ("CustomFields",),  # and the transaction that set it
    F.CREATED_TIME: ("Created",),
    F.UPDATED_TIME: ("LastUpdated",),
    F.RESOLVED_TIME: ("Resolved",),
    F.CREATED_BY: ("Creator",),
    F.UPDATED_BY: ("LastUpdatedBy",),
    F.RESOLVED_BY: (),  # the last Status transaction to resolved
    F.CLOSED_BY: (),  # the last Status transaction to resolved or rejected
    F.CORRELATION_ID: ("CustomFields",),
}
# The ticket custom fields (RT has no such columns) by the names the RT admin gives them.
CUSTOM_FIELDS: Mapping[TicketField, str] = {
    F.CATEGORY: "Category",
    F.SUB_CATEGORY: "SubCategory",
    F.URGENCY: "Urgency",
    F.TICKET_SEVERITY: "Severity",
    F.CLOSURE_NOTES: "ClosureNotes",
    F.CORRELATION_ID: "CorrelationId",
}
# Sub-fields of references, expanded in the search answer itself.
EXPANSIONS: Mapping[str, str] = {
    "Owner": "Name,RealName",
    "Creator": "Name,RealName",
    "LastUpdatedBy": "Name,RealName",
    "Queue": "Name",
    "Requestor": "Name,RealName,EmailAddress",
    "Cc": "Name,EmailAddress",
    "AdminCc": "Name,EmailAddress",
}
# Fields read from the history, and those of them that also need the transactions' text.
HISTORY_FIELDS = frozenset(
    {F.LONG_DESCRIPTION, F.COMMENTS, F.WORK_NOTES, F.CLOSURE_NOTES, F.RESOLVED_BY, F.CLOSED_BY}
)
TEXT_FIELDS = frozenset({F.LONG_DESCRIPTION, F.COMMENTS, F.WORK_NOTES})
HISTORY_COLUMNS = "Type,Field,NewValue,Created,Creator"
# Each transaction's author expanded in the history answer itself: people are answered by display
# name (docs/contract.md#people), on every path.
HISTORY_EXPANSIONS: Mapping[str, str] = {"fields[Creator]": "Name,RealName"}
ATTACHMENT_COLUMNS = "TransactionId,ContentType,Content"
RESOLVED = frozenset({"resolved"})
CLOSED = frozenset({"resolved", "rejected"})  # RT's default lifecycle has no "closed"


def ticket_columns(fields: Set[TicketField]) -> set[str]:
    return {column for field in fields for column in COLUMNS[field]}


def search_params(ticket_id: str, columns: Iterable[str]) -> dict[str, str]:
    """The search for one ticket by id, asking for ``columns`` and expanding their references.
    Without ``fields`` RT answers the id alone, which is all a bare existence check needs."""
    wanted = sorted(set(columns))
    params = {"query": f"id = {ticket_id}"}
    if wanted:
        params["fields"] = ",".join(wanted)
    for column in wanted:
        if column in EXPANSIONS:
            params[f"fields[{column}]"] = EXPANSIONS[column]
    return params


# What a correlation id may hold to be looked up: TicketSQL quotes values in '...', and these
# characters need no escaping there (the gateway's own ids are ``igw-`` and hex digits).
CORRELATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,254}")


def correlation_params(correlation_id: str, columns: Iterable[str]) -> dict[str, str]:
    """The search for the tickets whose custom field CorrelationId is ``correlation_id``
    (checked against ``CORRELATION_ID`` by the caller), like ``search_params``."""
    params = search_params("0", columns)
    params["query"] = f"CF.{{{CUSTOM_FIELDS[F.CORRELATION_ID]}}} = '{correlation_id}'"
    params["per_page"] = "2"  # one is the answer, two a conflict
    return params


def text(raw: object) -> str:
    if raw is None:
        return ""
    return raw if isinstance(raw, str) else str(raw)


def rt_datetime(raw: object, column: str) -> datetime | None:
    """A UTC date of RT's as an aware datetime; the 1970 epoch (never set) and absence are None."""
    value = text(raw)
    if not value:
        return None
    if not _DATE.fullmatch(value):
        raise ItsmError(f"Request Tracker answered {column} {value[:40]!r}, not a UTC date time")
    moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return None if moment == _EPOCH else moment


def login(ref: object) -> str | None:
    """A user reference's login name (RT puts it in ``id``)."""
    if isinstance(ref, Mapping):
        return text(ref.get("Name") or ref.get("id")) or None
    return text(ref) or None


def display_name(ref: object) -> str | None:
    """How RT shows a user: the real name when there is one, else the login (an email for the
    users RT made from mail). ``Nobody`` (no owner) is no value."""
    name = login(ref)
    if name is None or name == NOBODY:
        return None
    real = text(ref.get("RealName")).strip() if isinstance(ref, Mapping) else ""
    return real or name


def custom_field(item: Mapping[str, Any], name: str) -> tuple[str | None, list[str]]:
    """``(id, values)`` of the ticket's custom field ``name`` (or id, as RT takes either);
    ``(None, [])`` when no such field applies to the ticket's queue. Names are matched without
    regard to case, as RT does."""
    wanted = name.casefold()
    for entry in item.get("CustomFields") or ():
        if not isinstance(entry, Mapping):
            continue
        if text(entry.get("name")).casefold() == wanted or text(entry.get("id")) == name:
            values = [text(v) for v in entry.get("values") or () if v is not None]
            return text(entry.get("id")) or None, values
    return None, []


def values_from_item(item: Mapping[str, Any], fields: Set[TicketField]) -> dict[TicketField, Any]:
    """The canonical values of ``fields`` that the search item alone answers."""
    values: dict[TicketField, FieldValue] = {}
    for field in fields:
        if field in HISTORY_FIELDS:
            continue
        if field in (F.TICKET_NUMBER, F.SYS_ID):
            values[field] = text(item.get("id")) or None
        elif field in CUSTOM_FIELDS:
            values[field] = ", ".join(custom_field(item, CUSTOM_FIELDS[field])[1]) or None
        elif field is F.ASSIGNED_TO:
            values[field] = display_name(item.get("Owner"))
        elif field is F.ASSIGNED_GROUP:
            queue = item.get("Queue")
            name = queue.get("Name") or queue.get("id") if isinstance(queue, Mapping) else queue
            values[field] = text(name) or None
        elif field is F.CALLER_ID:
            requestors = item.get("Requestor") or ()
            values[field] = display_name(requestors[0]) if requestors else None
        elif field in (F.CREATED_BY, F.UPDATED_BY):
            values[field] = display_name(item.get(COLUMNS[field][0]))
        elif field in (F.CREATED_TIME, F.UPDATED_TIME, F.RESOLVED_TIME):
            (column,) = COLUMNS[field]
            values[field] = rt_datetime(item.get(column), column)
        else:
            (column,) = COLUMNS[field]
            values[field] = text(item.get(column)) or None
    return values


@dataclass(frozen=True, slots=True)
class Transaction:
    id: int
    type: str
    field: str
    new_value: str
    author: str | None
    time: datetime | None


def transactions(items: Iterable[Mapping[str, Any]]) -> list[Transaction]:
    """History items, oldest first (by id: many share a second)."""
    found = []
    for item in items:
        ident = text(item.get("id"))
        if not ident.isdigit():
            continue
        found.append(
            Transaction(
                id=int(ident),
                type=text(item.get("Type")),
                field=text(item.get("Field")),
                new_value=text(item.get("NewValue")),
                author=display_name(item.get("Creator")),
                time=rt_datetime(item.get("Created"), "Created"),
            )
        )
    return sorted(found, key=lambda t: t.id)


def texts(items: Iterable[Mapping[str, Any]]) -> dict[int, str]:
    """Each transaction's text: its first ``text/plain`` part, else its first other ``text/``
    part (an HTML-only mail), by attachment id. Parts of other types (files) are not text."""
    best: dict[int, tuple[int, int, str]] = {}  # transaction -> (rank, attachment id, text)
    for item in items:
        transaction, ident = text(item.get("TransactionId")), text(item.get("id"))
        content_type = text(item.get("ContentType")).lower()
        if not (transaction.isdigit() and ident.isdigit() and content_type.startswith("text/")):
            continue
        key = (0 if content_type == "text/plain" else 1, int(ident), text(item.get("Content")))
        if int(transaction) not in best or key < best[int(transaction)]:
            best[int(transaction)] = key
    return {transaction: found[2] for transaction, found in best.items()}


def values_from_history(
    history: list[Transaction],
    bodies: Mapping[int, str],
    item: Mapping[str, Any],
    fields: Set[TicketField],
) -> dict[TicketField, Any]:
    """The canonical values of the history fields in ``fields``."""
    values: dict[TicketField, FieldValue] = {}
    if F.COMMENTS in fields:
        values[F.COMMENTS] = _notes(history, bodies, "Correspond")
    if F.WORK_NOTES in fields:
        values[F.WORK_NOTES] = _notes(history, bodies, "Comment")
    if F.LONG_DESCRIPTION in fields:
        create = next((t for t in history if t.type == "Create"), None)
        values[F.LONG_DESCRIPTION] = (bodies.get(create.id) or None) if create else None
    if F.RESOLVED_BY in fields:
        values[F.RESOLVED_BY] = _last_status_author(history, RESOLVED)
    if F.CLOSED_BY in fields:
        values[F.CLOSED_BY] = _last_status_author(history, CLOSED)
    if F.CLOSURE_NOTES in fields:
        values[F.CLOSURE_NOTES] = closure_notes(history, item)
    return values


def _notes(history: list[Transaction], bodies: Mapping[int, str], kind: str) -> tuple[Note, ...]:
    return tuple(
        Note(author=t.author, time=t.time, text=bodies.get(t.id, ""))
        for t in history
        if t.type == kind
    )


def _last_status_author(history: list[Transaction], statuses: frozenset[str]) -> str | None:
    changes = [
        t
        for t in history
        if t.field == "Status" and t.type in ("Status", "Set") and t.new_value in statuses
    ]
    return changes[-1].author if changes else None


def closure_notes(history: list[Transaction], item: Mapping[str, Any]) -> tuple[Note, ...]:
    """At most one note: the ``ClosureNotes`` custom field, by whoever last set it and when
    (its last CustomField transaction; a value given at create is in the Create transaction)."""
    ident, values = custom_field(item, CUSTOM_FIELDS[F.CLOSURE_NOTES])
    note = "\n".join(values)
    if not note:
        return ()
    setting = [t for t in history if t.type == "CustomField" and t.field == ident]
    source = setting[-1] if setting else next((t for t in history if t.type == "Create"), None)
    if source is None:
        return (Note(author=None, time=None, text=note),)
    return (Note(author=source.author, time=source.time, text=note),)
