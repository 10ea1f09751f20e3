"""POST and PATCH/PUT: turning a JSON body into stored values; DELETE and what it takes along.

What a body can change:
- Columns of the table, except the system columns (``sys_id``, ``number``, ``sys_created_*``,
  ``sys_updated_*``, ``sys_mod_count``), which are ignored.
- ``u_*`` custom columns, which are stored (and added to the table) even if unknown.
- Every other unknown name is ignored silently, as on instances.
- Journal columns (``comments``, ``work_notes``) append a ``sys_journal_field`` row instead of
  storing a value; an empty string appends nothing.

Values: JSON strings are stored as given; numbers and booleans as their JSON text; ``null``
as ``""``; an object with a ``value`` key (the shape reads return) as that value.

Without ``sysparm_input_display_value=true`` (the Table API's default: "treats input values as
actual values and stores them in the database without manipulation") every value is stored as
given: a reference holding anything but a record's sys_id is a broken reference (it reads as
that value with display value ``""``), and a choice column holds whatever was sent
(``"In Progress"`` in ``state``), which reads back as itself. Datetimes are read as UTC.

With ``sysparm_input_display_value=true`` values are display values: a reference is looked up
by its table's display column only (``sys_user.name``, ``sys_user_group.name``; never
``user_name`` or ``email``), without regard to case, the first match winning; a sys_id of an
existing record is also kept. No match: stored as given (broken). A choice may be given by its
label; datetimes are read in the session user's zone and format.

A datetime that does not parse is stored as ``""`` (instances blank invalid dates; unconfirmed).
Business rules run in the session user's zone; a new incident's SLA in its caller's zone
(``session``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

import orjson

from emulators.servicenow import rules, sla
from emulators.servicenow.glide import format_datetime, parse_datetime
from emulators.servicenow.schema import SYSTEM_COLUMNS, Column, Kind, is_custom_column
from emulators.servicenow.session import caller_zone, session_zone, zone_named
from emulators.servicenow.state import EmulatorState, new_sys_id


class WriteRefused(Exception):
    """The write broke a rule; nothing was stored. Carries the error body's parts."""

    def __init__(self, status: int, message: str, detail: str | None) -> None:
        super().__init__(message)
        self.status, self.message, self.detail = status, message, detail


def insert(
    state: EmulatorState, table: str, body: Mapping[str, Any], user_name: str, display_input: bool
) -> dict[str, str]:
    zone = session_zone(state, user_name)
    changes, journal = _prepare(state, table, body, display_input, zone)
    actor, now = _actor(state, user_name), state.now()
    row = {column.name: "" for column in state.columns(table)} | changes
    row["sys_id"] = new_sys_id()
    if table == "incident":
        rules.on_insert(row, state.next_number(), actor, now)
        rules.apply(None, row, actor, now, zone)
        _check_policy(row)
    else:
        _stamp_insert(row, actor, now)
    _store(state, table, row, journal, actor)
    if table == "incident":
        # The SLA definition's time zone source, "the caller's time zone" by default.
        sla_zone = caller_zone(state, row)
        state.put("task_sla", sla.resolution_sla(row, new_sys_id(), user_name, now, sla_zone))
    return row


def update(
    state: EmulatorState,
    table: str,
    sys_id: str,
    body: Mapping[str, Any],
    user_name: str,
    display_input: bool,
) -> dict[str, str] | None:
    """The updated row, or ``None`` when there is no row with that sys_id."""
    before = state.get(table, sys_id)
    if before is None:
        return None
    zone = session_zone(state, user_name)
    changes, journal = _prepare(state, table, body, display_input, zone)
    actor, now = _actor(state, user_name), state.now()
    row = dict(before) | changes
    if "sys_mod_count" in row:
        rules.on_update(row, actor, now)
    if table == "incident":
        rules.apply(before, row, actor, now, zone)
        _check_policy(row)
        _settle_slas(state, before, row, user_name)
    _store(state, table, row, journal, actor)
    return row


def delete(state: EmulatorState, table: str, sys_id: str) -> bool:
    """Delete a row; ``False`` when there is none. Deleting an incident also deletes its
    ``task_sla`` rows (``task``) and its ``sys_journal_field`` entries (``element_id``), as
    the cascade rule of those references does on instances: nothing is left pointing at a
    record that no longer exists."""
    if not state.delete(table, sys_id):
        return False
    if table == "incident":
        for task_sla in state.rows("task_sla"):
            if task_sla["task"] == sys_id:
                state.delete("task_sla", task_sla["sys_id"])
        for entry in state.rows("sys_journal_field"):
            if entry["element_id"] == sys_id:
                state.delete("sys_journal_field", entry["sys_id"])
    return True


def _prepare(
    state: EmulatorState,
    table: str,
    body: Mapping[str, Any],
    display_input: bool,
    zone: tzinfo,
) -> tuple[dict[str, str], dict[str, str]]:
    """(column values to store, journal texts to append) from a request body."""
    changes: dict[str, str] = {}
    journal: dict[str, str] = {}
    for name, raw in body.items():
        column = state.column_at(table, name) if "." not in name else None
        if column is None and is_custom_column(name):
            state.add_column(table, name)
            column = Column(name)
        if column is None or name in SYSTEM_COLUMNS:
            continue
        value = _text(raw)
        if column.kind is Kind.JOURNAL:
            if value.strip():
                journal[name] = value
            continue
        changes[name] = _convert(state, column, value, display_input, zone)
    return changes, journal


def _convert(
    state: EmulatorState, column: Column, value: str, display_input: bool, zone: tzinfo
) -> str:
    """The value to store for a written one (see the module docstring)."""
    if value == "":
        return ""
    match column.kind:
        case Kind.REFERENCE if column.reference and display_input:
            return state.find_by_display_value(column.reference, value) or value
        case Kind.CHOICE if display_input:
            by_label = {label.casefold(): code for code, label in (column.choices or {}).items()}
            return by_label.get(value.casefold(), value)
        case Kind.DATETIME:
            moment = (
                state.config.datetime_format.parse(value, zone) if display_input else None
            ) or parse_datetime(value)
            return "" if moment is None else format_datetime(moment)
        case _:
            return value


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, Mapping) and "value" in raw:
        return _text(raw["value"])
    return orjson.dumps(raw).decode()


def _actor(state: EmulatorState, user_name: str) -> rules.Actor:
    user = state.find_row("sys_user", "user_name", user_name)
    return rules.Actor(user_name, "" if user is None else user["sys_id"])


def _stamp_insert(row: dict[str, str], actor: rules.Actor, now: Any) -> None:
    stamp = format_datetime(now)
    defaults = {
        "sys_created_on": stamp,
        "sys_created_by": actor.user_name,
        "sys_updated_on": stamp,
        "sys_updated_by": actor.user_name,
        "sys_mod_count": "0",
    }
    row.update({name: value for name, value in defaults.items() if name in row})


def _check_policy(row: dict[str, str]) -> None:
    try:
        rules.check_data_policy(row)
    except rules.DataPolicyViolation as violation:
        raise WriteRefused(403, "Operation Failed", violation.detail) from violation


def _settle_slas(
    state: EmulatorState, before: Mapping[str, str], row: Mapping[str, str], user_name: str
) -> None:
    stopped = rules.DONE | {rules.CANCELED}
    if row.get("state") not in stopped or before.get("state") in stopped:
        return
    stage = "cancelled" if row["state"] == rules.CANCELED else "completed"
    for task_sla in state.rows("task_sla"):
        if task_sla["task"] == row["sys_id"] and task_sla["active"] == "true":
            # In the zone the SLA was attached in, whoever settles it.
            zone = zone_named(task_sla.get("timezone", "")) or caller_zone(state, row)
            sla.settle(task_sla, stage, user_name, state.now(), zone)


def _store(
    state: EmulatorState,
    table: str,
    row: dict[str, str],
    journal: Mapping[str, str],
    actor: rules.Actor,
) -> None:
    state.put(table, row)
    stamp = row.get("sys_updated_on") or format_datetime(state.now())
    for element, text in journal.items():
        state.put(
            "sys_journal_field",
            {
                "sys_id": new_sys_id(),
                "element": element,
                "element_id": row["sys_id"],
                "name": table,
                "value": text,
                "sys_created_on": stamp,
                "sys_created_by": actor.user_name,
            },
        )
