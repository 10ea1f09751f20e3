"""Incident business rules and data policy, applied to every API write of an incident.

What runs, in order, on the row a write would produce:
1. insert defaults (number, opened_*, state 1, impact 3, urgency 3, severity 3) or update
   bookkeeping;
2. ``priority`` recomputed from impact x urgency (a written priority is overwritten);
3. state transitions: resolving stamps ``resolved_*`` and the durations, closing stamps
   ``closed_*``, reopening clears them;
4. the data policy, which refuses the whole write (nothing stored) when a mandatory field
   is empty.

A choice column may hold any value (a write without ``sysparm_input_display_value`` stores what
it is sent, ``"In Progress"`` in ``state`` included): the rules compare codes and never parse
them, so such a value is simply no known state (active, no transition) and an impact or urgency
outside 1-3 gives priority 5. ``zone`` is the session user's, in which business rules run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from emulators.servicenow.glide import format_datetime, format_duration, parse_datetime
from emulators.servicenow.schedule import business_seconds
from emulators.servicenow.schema import INCIDENT

RESOLVED, CLOSED, CANCELED, ON_HOLD = "6", "7", "8", "3"
DONE = frozenset({RESOLVED, CLOSED})
INACTIVE = frozenset({CLOSED, CANCELED})

_RESOLUTION_COLUMNS = (
    "resolved_at",
    "resolved_by",
    "business_duration",
    "calendar_duration",
    "business_stc",
    "calendar_stc",
)


@dataclass(frozen=True)
class Actor:
    """Who writes: ``user_name`` (for ``sys_*_by``) and their ``sys_user`` sys_id."""

    user_name: str
    sys_id: str


class DataPolicyViolation(Exception):
    """A mandatory field is empty; ``labels`` are the fields' labels, in form order."""

    def __init__(self, labels: list[str]) -> None:
        super().__init__(", ".join(labels))
        self.labels = labels

    @property
    def detail(self) -> str:
        # The notes give the message's start; the tab and newlines copy the Java
        # exception text instances show (exact body unconfirmed).
        return (
            "Data Policy Exception: \n\tThe following fields are mandatory: "
            + ", ".join(self.labels)
            + "\n"
        )


def priority_for(impact: str, urgency: str) -> str:
    """The standard matrix: 1/1 -> 1, 1/2 -> 2, 1/3 and 2/2 -> 3, 2/3 -> 4, 3/3 -> 5.

    Impact or urgency outside 1-3 (custom codes) gives 5 - Planning.
    """
    if impact in {"1", "2", "3"} and urgency in {"1", "2", "3"}:
        return str(int(impact) + int(urgency) - 1)
    return "5"


def on_insert(row: dict[str, str], number: str, actor: Actor, now: datetime) -> None:
    stamp = format_datetime(now)
    row.update(
        number=number,
        sys_created_on=stamp,
        sys_created_by=actor.user_name,
        sys_updated_on=stamp,
        sys_updated_by=actor.user_name,
        sys_mod_count="0",
        reopen_count=row.get("reopen_count") or "0",
    )
    row["opened_at"] = row.get("opened_at") or stamp
    row["opened_by"] = row.get("opened_by") or actor.sys_id
    for column, default in (("state", "1"), ("impact", "3"), ("urgency", "3"), ("severity", "3")):
        row[column] = row.get(column) or default


def on_update(row: dict[str, str], actor: Actor, now: datetime) -> None:
    row["sys_updated_on"] = format_datetime(now)
    row["sys_updated_by"] = actor.user_name
    row["sys_mod_count"] = str(int(row.get("sys_mod_count") or 0) + 1)


def apply(
    before: dict[str, str] | None, row: dict[str, str], actor: Actor, now: datetime, zone: tzinfo
) -> None:
    """Computed columns and state transitions; ``before`` is ``None`` on insert."""
    row["priority"] = priority_for(row.get("impact", ""), row.get("urgency", ""))
    old, new = ("" if before is None else before.get("state", "")), row.get("state", "")
    row["active"] = "false" if new in INACTIVE else "true"
    if new in DONE and old not in DONE:
        _resolve(row, actor, now, zone)
    if new == CLOSED and old != CLOSED:
        row["closed_at"] = format_datetime(now)
        row["closed_by"] = actor.sys_id
    if old in DONE and new not in DONE:
        # Reopening. Whether instances clear resolved_* is not confirmed; clearing is chosen
        # so that resolvedTime never shows a resolution that no longer holds. close_code and
        # close_notes are kept (the next resolution usually edits them).
        for column in (*_RESOLUTION_COLUMNS, "closed_at", "closed_by"):
            row[column] = ""
        row["reopen_count"] = str(int(row.get("reopen_count") or 0) + 1)


def check_data_policy(row: dict[str, str]) -> None:
    """``DataPolicyViolation`` if the row's state needs fields it lacks."""
    required: tuple[str, ...] = ()
    if row.get("state") in DONE:
        required = ("close_code", "close_notes")
    elif row.get("state") == ON_HOLD:
        required = ("hold_reason",)
    missing = [name for name in required if not row.get(name, "").strip()]
    if missing:
        raise DataPolicyViolation([_label(name) for name in missing])


def _resolve(row: dict[str, str], actor: Actor, now: datetime, zone: tzinfo) -> None:
    opened = parse_datetime(row.get("opened_at", "")) or parse_datetime(
        row.get("sys_created_on", "")
    )
    opened = opened or now
    business = business_seconds(opened, now, zone)
    calendar = max(0, int((now - opened).total_seconds()))
    row.update(
        resolved_at=format_datetime(now),
        resolved_by=actor.sys_id,
        business_duration=format_duration(business),
        calendar_duration=format_duration(calendar),
        business_stc=str(business),
        calendar_stc=str(calendar),
    )


def _label(name: str) -> str:
    column = INCIDENT.column(name)
    return column.label if column is not None and column.label else name
