"""From ServiceNow answers to canonical values: pure functions, tested on recorded payloads.

Incident rows are read with ``sysparm_display_value=all``, so each cell is
``{"display_value": ..., "value": ...}``: labels and names come from ``display_value``, datetimes
and durations from the stored ``value`` (UTC, and a form that does not depend on the API user's
preferences). Journal and SLA rows are read with ``sysparm_display_value=false`` (plain strings).
An empty string from ServiceNow means "no value" and becomes ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from datetime import UTC, datetime

from connectors.errors import ItsmError
from connectors.fields import ORDERED_FIELDS, TicketField
from connectors.model import FieldValue, Note

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STORED_FORMAT = "%Y-%m-%d %H:%M:%S"

# The incident columns each canonical field is read from (see the notes' table).
# ticketBusinessTimeLeft reads task_sla and comments/workNotes read sys_journal_field; the
# comments/work_notes columns are still fetched with the incident (at no extra cost) because their
# display text is the fallback when the account may not read sys_journal_field.
COLUMNS: Mapping[TicketField, tuple[str, ...]] = {
    TicketField.TICKET_NUMBER: ("number",),
    TicketField.TICKET_STATUS: ("state",),
    TicketField.TICKET_PRIORITY: ("priority",),
    TicketField.TICKET_BUSINESS_DURATION: ("business_duration",),
    TicketField.TICKET_BUSINESS_TIME_LEFT: (),
    TicketField.SYS_ID: ("sys_id",),
    TicketField.ASSIGNED_TO: ("assigned_to",),
    TicketField.ASSIGNED_GROUP: ("assignment_group",),
    TicketField.SHORT_DESCRIPTION: ("short_description",),
    TicketField.LONG_DESCRIPTION: ("description",),
    TicketField.CATEGORY: ("category",),
    TicketField.SUB_CATEGORY: ("subcategory",),
    TicketField.CALLER_ID: ("caller_id",),
    TicketField.URGENCY: ("urgency",),
    TicketField.TICKET_SEVERITY: ("severity",),
    TicketField.COMMENTS: ("comments",),
    TicketField.WORK_NOTES: ("work_notes",),
    TicketField.CLOSURE_NOTES: (
        "close_notes",
        "resolved_by",
        "resolved_at",
        "closed_by",
        "closed_at",
    ),
    TicketField.CREATED_TIME: ("sys_created_on",),
    TicketField.UPDATED_TIME: ("sys_updated_on",),
    TicketField.RESOLVED_TIME: ("resolved_at",),
    TicketField.CREATED_BY: ("sys_created_by",),
    TicketField.UPDATED_BY: ("sys_updated_by",),
    TicketField.RESOLVED_BY: ("resolved_by",),
    TicketField.CLOSED_BY: ("closed_by",),
    TicketField.CORRELATION_ID: ("correlation_id",),  # a task column: every task table has it
}

# Choice columns: an instance's own code with no label reads back as the code itself.
_CHOICES = frozenset({"state", "priority", "urgency", "severity", "category", "subcategory"})
_DATETIMES = {
    TicketField.CREATED_TIME: "sys_created_on",
    TicketField.UPDATED_TIME: "sys_updated_on",
    TicketField.RESOLVED_TIME: "resolved_at",
}
# Fields filled from other tables, never from the incident row.
JOURNAL_FIELDS = frozenset({TicketField.COMMENTS, TicketField.WORK_NOTES})
SLA_FIELDS = frozenset({TicketField.TICKET_BUSINESS_TIME_LEFT})


def incident_columns(fields: Set[TicketField]) -> str:
    """``sysparm_fields`` for the incident: what ``fields`` need, plus ``sys_id`` and ``number``
    (always needed to check the match and to read journals and SLAs). Sorted, so stable."""
    columns = {"sys_id", "number"}
    for field in fields:
        columns.update(COLUMNS[field])
    return ",".join(sorted(columns))


def unreadable_columns(
    row: Mapping[str, object], fields: Set[TicketField]
) -> dict[TicketField, str]:
    """The asked fields whose column the row leaves out, each with that column.

    ServiceNow answers every column ``sysparm_fields`` names, ``""`` when unset, except those a
    field-level read ACL keeps from the account: those keys are absent. Such a field is not
    "no value", it is "not readable", and the doors say so (``connectors.model.Ticket.refused``).
    A field read from several columns is judged by its first (``close_notes`` for the closure
    notes; the attribution columns then only leave the note's author or time empty). Journals and
    SLAs come from tables of their own and are judged there.
    """
    missing = {
        field
        for field in fields
        if field not in JOURNAL_FIELDS and field not in SLA_FIELDS and COLUMNS[field][0] not in row
    }
    if not missing:  # the usual answer: no walk over every field
        return {}
    # In the fields' declared order, so that messages naming them are stable.
    return {field: COLUMNS[field][0] for field in ORDERED_FIELDS if field in missing}


def cell(row: Mapping[str, object], column: str) -> tuple[str, str]:
    """``(display_value, value)`` of one column, ``("", "")`` when absent.

    Also accepts a plain string (a ``display_value=false`` row), used as both.
    """
    raw = row.get(column)
    if isinstance(raw, Mapping):
        display, value = raw.get("display_value"), raw.get("value")
        return _text(display), _text(value)
    text = _text(raw)
    return text, text


def _text(raw: object) -> str:
    if raw is None:
        return ""
    return raw if isinstance(raw, str) else str(raw)


def values_from_row(
    row: Mapping[str, object], fields: Set[TicketField]
) -> dict[TicketField, FieldValue]:
    """The canonical values of ``fields`` that the incident row alone answers (all but comments,
    work notes and business time left)."""
    values: dict[TicketField, FieldValue] = {}
    for field in fields:
        if field in JOURNAL_FIELDS or field in SLA_FIELDS:
            continue
        if field is TicketField.CLOSURE_NOTES:
            values[field] = closure_notes(row)
        elif field in _DATETIMES:
            values[field] = stored_datetime(cell(row, _DATETIMES[field])[1], _DATETIMES[field])
        elif field is TicketField.TICKET_BUSINESS_DURATION:
            seconds = duration_seconds(cell(row, "business_duration")[1], "business_duration")
            values[field] = None if seconds is None else str(seconds)
        else:
            (column,) = COLUMNS[field]
            display, value = cell(row, column)
            if not display and column in _CHOICES:
                display = value
            values[field] = display or None
    return values


def stored_datetime(value: str, column: str) -> datetime | None:
    """A stored datetime (always UTC ``YYYY-MM-DD HH:MM:SS``) as an aware UTC datetime."""
    if not value:
        return None
    try:
        return datetime.strptime(value, _STORED_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ItsmError(
            f"ServiceNow answered {column} {value[:40]!r}, not a UTC date time"
        ) from None


def duration_seconds(value: str, column: str) -> int | None:
    """A stored glide_duration in whole seconds.

    A glide_duration is stored as a date time counted from the epoch: ``1970-01-01 08:00:00`` is
    28800 s, and days past 31 roll into the month (``1970-03-21 20:38:50`` is 6899930 s), so it is
    read as a date time and measured from 1970-01-01. Plain digits are taken as seconds, because
    ``task_sla.business_time_left`` is only presumed to use the same form (unconfirmed).
    The display form (``8 Hours``) drops seconds and is never parsed.
    """
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return int(value)
    moment = stored_datetime(value, column)
    assert moment is not None
    return int((moment - _EPOCH).total_seconds())


def closure_notes(row: Mapping[str, object]) -> tuple[Note, ...]:
    """At most one note: ``close_notes``, by the resolver at ``resolved_at``, or by the closer at
    ``closed_at`` when the incident was closed without being resolved."""
    text = cell(row, "close_notes")[0]
    if not text:
        return ()
    who, when = "resolved_by", "resolved_at"
    if not cell(row, "resolved_by")[1] and not cell(row, "resolved_at")[1]:
        who, when = "closed_by", "closed_at"
    author = cell(row, who)[0] or None
    return (Note(author=author, time=stored_datetime(cell(row, when)[1], when), text=text),)


def notes_from_journal(
    rows: Iterable[Mapping[str, object]], sys_id: str
) -> tuple[tuple[Note, ...], tuple[Note, ...]]:
    """``(comments, work notes)`` from ``sys_journal_field`` rows, oldest first.

    Rows of another record are dropped: a query ServiceNow did not understand returns the whole
    table, and other tickets' notes must never leak. The author is ``sys_created_by``, a
    user_name (the display-text fallback gives full names instead; resolving user names would cost
    another call per request).
    """
    streams: dict[str, list[tuple[datetime | None, Note]]] = {"comments": [], "work_notes": []}
    for row in rows:
        element, element_id = cell(row, "element")[1], cell(row, "element_id")[1]
        if element not in streams or element_id != sys_id:
            continue
        time = stored_datetime(cell(row, "sys_created_on")[1], "sys_created_on")
        author = cell(row, "sys_created_by")[1] or None
        streams[element].append((time, Note(author=author, time=time, text=cell(row, "value")[1])))
    return _oldest_first(streams["comments"]), _oldest_first(streams["work_notes"])


def _oldest_first(entries: list[tuple[datetime | None, Note]]) -> tuple[Note, ...]:
    # Stable: entries ServiceNow gave in the same second keep its (ORDERBY) order.
    return tuple(note for _, note in sorted(entries, key=lambda e: e[0] or _EPOCH))


def business_time_left(rows: Iterable[Mapping[str, object]], sys_id: str) -> str | None:
    """The smallest ``business_time_left`` over the task's active SLAs, in whole seconds.

    ``active`` and ``task`` are checked again in the answer rather than trusting the filter.
    """
    lefts = [
        duration_seconds(cell(row, "business_time_left")[1], "business_time_left")
        for row in rows
        if cell(row, "active")[1] == "true" and cell(row, "task")[1] == sys_id
    ]
    known = [left for left in lefts if left is not None]
    return str(min(known)) if known else None
