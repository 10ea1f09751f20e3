"""From Jira answers to canonical values: pure functions, tested on recorded payloads.

Issues are read with ``fields=`` naming only what the asked canonical fields need. Users are
answered by display name; date-times carry Jira's offset (the API user's profile zone, e.g.
``2026-03-11T07:00:00.000-0700``) and are converted to UTC, so ``itsmTimeZoneOffset`` is never
needed. Comments come from the platform comment endpoint: ``jsdPublic`` true and no
``visibility`` restriction make a customer-visible comment, anything else an internal note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from datetime import UTC, datetime
from typing import Any

from connectors.errors import ItsmError
from connectors.fields import TicketField
from connectors.jira.adf import adf_to_text
from connectors.model import FieldValue, Note

F = TicketField

# The Jira field each canonical field is read from (``fields=``). ticketNumber and sysId are
# the issue's ``key`` and ``id``; comments and work notes, and the SLA time left, come from
# their own calls. A canonical field absent here is one Jira does not provide.
FIELDS: Mapping[TicketField, str] = {
    F.TICKET_STATUS: "status",
    F.TICKET_PRIORITY: "priority",
    F.ASSIGNED_TO: "assignee",
    F.SHORT_DESCRIPTION: "summary",
    F.LONG_DESCRIPTION: "description",
    F.CALLER_ID: "reporter",
    F.CREATED_TIME: "created",
    F.UPDATED_TIME: "updated",
    F.RESOLVED_TIME: "resolutiondate",
    F.CREATED_BY: "creator",
}
_NAMED = {F.TICKET_STATUS, F.TICKET_PRIORITY}  # objects with a ``name``
_USERS = {F.ASSIGNED_TO, F.CALLER_ID, F.CREATED_BY}  # users, by ``displayName``
_TIMES = {F.CREATED_TIME, F.UPDATED_TIME, F.RESOLVED_TIME}
JOURNAL_FIELDS = frozenset({F.COMMENTS, F.WORK_NOTES})
_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z")


def issue_fields(
    fields: Set[TicketField], correlation: str | None = None, slas: tuple[str, ...] = ()
) -> str:
    """``fields=`` for the issue: what ``fields`` need plus ``project`` (to check a pinned
    project). Sorted, so stable. ``correlation``: the id of the site's correlation id field
    (``connectors.jira.correlation``), read when correlationId is asked; ``slas``: the ids of
    its SLA fields (``connectors.jira.sla_fields``), read when the SLA time left is asked."""
    names = {"project"} | {FIELDS[f] for f in fields if f in FIELDS}
    if correlation is not None and F.CORRELATION_ID in fields:
        names.add(correlation)
    if F.TICKET_BUSINESS_TIME_LEFT in fields:
        names.update(slas)
    return ",".join(sorted(names))


def values_from_issue(
    issue: Mapping[str, Any], fields: Set[TicketField], correlation: str | None = None
) -> dict[TicketField, FieldValue]:
    """The canonical values that the issue answer alone gives (all but comments, work notes
    and the SLA time left); correlationId from the ``correlation`` custom field."""
    raw = issue.get("fields")
    jira_fields: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    values: dict[TicketField, FieldValue] = {}
    for field in fields:
        if field is F.TICKET_NUMBER:
            values[field] = _text(issue.get("key"))
        elif field is F.SYS_ID:
            values[field] = _text(issue.get("id"))
        elif field in FIELDS:
            values[field] = _value(field, jira_fields.get(FIELDS[field]))
        elif field is F.CORRELATION_ID and correlation is not None:
            values[field] = _text(jira_fields.get(correlation))
    return values


def _value(field: TicketField, value: Any) -> FieldValue:
    if field in _NAMED:
        return _text(value.get("name")) if isinstance(value, Mapping) else None
    if field in _USERS:
        return _text(value.get("displayName")) if isinstance(value, Mapping) else None
    if field in _TIMES:
        return parse_time(value, FIELDS[field])
    if field is F.LONG_DESCRIPTION:
        return adf_to_text(value) or None
    return _text(value)


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def parse_time(value: Any, what: str) -> datetime | None:
    """A Jira date-time (``2026-03-11T07:00:00.000-0700``) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        for layout in _TIME_FORMATS:
            try:
                return datetime.strptime(value, layout).astimezone(UTC)
            except ValueError:
                continue
    raise ItsmError(f"Jira answered {what} {str(value)[:40]!r}, not a date-time with an offset")


def is_public(comment: Mapping[str, Any]) -> bool:
    """Customer-visible: ``jsdPublic`` not false (Jira defaults it to true) and no visibility
    restriction to a group or role."""
    return comment.get("jsdPublic") is not False and not comment.get("visibility")


def notes_from_comments(
    comments: Iterable[Mapping[str, Any]],
) -> tuple[tuple[Note, ...], tuple[Note, ...]]:
    """``(public comments, internal notes)``, oldest first, bodies as plain text."""
    public: list[tuple[datetime | None, Note]] = []
    internal: list[tuple[datetime | None, Note]] = []
    for comment in comments:
        author = comment.get("author")
        name = _text(author.get("displayName")) if isinstance(author, Mapping) else None
        time = parse_time(comment.get("created"), "comment created")
        note = Note(author=name, time=time, text=adf_to_text(comment.get("body")))
        (public if is_public(comment) else internal).append((time, note))
    return _oldest_first(public), _oldest_first(internal)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _oldest_first(entries: list[tuple[datetime | None, Note]]) -> tuple[Note, ...]:
    # Stable: comments made in the same millisecond keep Jira's order.
    return tuple(note for _, note in sorted(entries, key=lambda e: e[0] or _EPOCH))


def time_left(slas: Iterable[Mapping[str, Any]]) -> str | None:
    """The smallest ``ongoingCycle.remainingTime.millis`` over the request's SLAs, in whole
    seconds (towards zero). Paused cycles count (their time left is frozen); completed cycles do
    not. Negative once breached: Jira counts on past the goal."""
    lefts: list[int] = []
    for sla in slas:
        cycle = sla.get("ongoingCycle")
        remaining = cycle.get("remainingTime") if isinstance(cycle, Mapping) else None
        millis = remaining.get("millis") if isinstance(remaining, Mapping) else None
        if isinstance(millis, int) and not isinstance(millis, bool):
            lefts.append(-(-millis // 1000) if millis < 0 else millis // 1000)
    return str(min(lefts)) if lefts else None
