"""What a caller wants written, as the native body ServiceNow gets: pure functions that refuse
(``BadInput``) everything the gateway can judge wrong before anything is sent.

Checks run in this order, all but the last before any lookup (``check_write``): an empty write;
system or computed columns in ``ticketJSON``; values that are not scalars; unknown ``TicketInput``
fields; a canonical and a native value for the same column; then, with the lookups' answers
(``native_body``), canonical values ServiceNow would not understand. The resolve/close guard
(``missing_close``) needs the table and, for an update, the record, so the connector applies it.

Choice fields of ``TicketInput`` are written as codes: with the column's ``sys_choice`` rows
(``servicenow.directory``) a code or a label (any case, ``2 - Medium`` style too) is taken and
anything else refused listing the labels; without them, what the connector knows (``STATES``,
``LEVELS``; category and subcategory pass as given). People and groups arrive already looked up
(``references``: column to sys_id).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from connectors.errors import BadInput
from connectors.fields import WritableField
from connectors.model import WriteRequest
from connectors.servicenow.directory import Choice

# Incident states (notes: "Incident columns"); instances add their own codes, which pass through.
STATES: Mapping[str, str] = {
    "new": "1",
    "in progress": "2",
    "on hold": "3",
    "resolved": "6",
    "closed": "7",
    "canceled": "8",
}
STATE_LABELS = "New, In Progress, On Hold, Resolved, Closed, Canceled"
# Urgency and severity share the labels 1 - High, 2 - Medium, 3 - Low.
LEVELS: Mapping[str, str] = {"1": "high", "2": "medium", "3": "low"}
LEVEL_LABELS = "1 - High, 2 - Medium, 3 - Low"

# Columns ServiceNow sets itself. priority is computed from impact x urgency; the durations are
# filled by business rules on resolution; either would silently overwrite what the caller sent.
COMPUTED = frozenset(
    {"number", "priority", "business_duration", "calendar_duration", "business_stc", "calendar_stc"}
)

CANONICAL_COLUMNS: Mapping[WritableField, str] = {
    WritableField.TICKET_STATUS: "state",
    WritableField.URGENCY: "urgency",
    WritableField.TICKET_SEVERITY: "severity",
    WritableField.SHORT_DESCRIPTION: "short_description",
    WritableField.LONG_DESCRIPTION: "description",
    WritableField.CATEGORY: "category",
    WritableField.SUB_CATEGORY: "subcategory",
    WritableField.ASSIGNED_TO: "assigned_to",
    WritableField.ASSIGNED_GROUP: "assignment_group",
    WritableField.CALLER_ID: "caller_id",
    WritableField.COMMENTS: "comments",  # appends one entry
    WritableField.WORK_NOTES: "work_notes",  # appends one entry
    WritableField.CLOSURE_NOTES: "close_notes",
    WritableField.CORRELATION_ID: "correlation_id",
}

# TicketInput fields written through a choice column, and through a reference.
CHOICE_FIELDS: Mapping[WritableField, str] = {
    field: CANONICAL_COLUMNS[field]
    for field in (
        WritableField.TICKET_STATUS,
        WritableField.URGENCY,
        WritableField.TICKET_SEVERITY,
        WritableField.CATEGORY,
        WritableField.SUB_CATEGORY,
    )
}
PEOPLE_FIELDS = (WritableField.ASSIGNED_TO, WritableField.CALLER_ID)
GROUP_FIELDS = (WritableField.ASSIGNED_GROUP,)

RESOLVING_STATES = frozenset({"6", "7"})
CLOSE_COLUMNS = ("close_code", "close_notes")

_LEVEL = re.compile(r"(?P<code>[0-9]+)(?:\s*-\s*(?P<label>[a-z]+))?|(?P<only>[a-z]+)")


def check_write(write: WriteRequest) -> None:
    """``BadInput`` for what is wrong whatever the instance says (run before any lookup)."""
    if write.is_empty():
        raise BadInput("ticketJSON needs at least one field to write; nothing was sent")
    _refuse_system_columns(write.native)
    _refuse_non_scalars(write.native)
    fields = _known_fields(write.canonical)
    both = sorted({CANONICAL_COLUMNS[field] for field in fields.values()} & set(write.native))
    if both:
        pairs = "; ".join(f"{_canonical_name(c)} and ticketJSON.{c}" for c in both)
        raise BadInput(f"Both set the same ServiceNow column: {pairs}; give each value once")


def native_body(
    write: WriteRequest,
    *,
    choices: Mapping[str, Sequence[Choice]] | None = None,
    references: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """The JSON body of the POST or PATCH, or ``BadInput`` naming what is wrong. ``choices``:
    each choice column's ``sys_choice`` rows where known; ``references``: the sys_id each
    people or group column's value was looked up as (the value is sent as given otherwise)."""
    check_write(write)
    canonical = dict(_canonical_columns(write.canonical, choices or {}))
    canonical.update({c: v for c, v in (references or {}).items() if c in canonical})
    return {**write.native, **canonical}


def missing_close(body: Mapping[str, object]) -> tuple[str, ...]:
    """The close columns a body that resolves or closes an incident lacks; ``()`` otherwise."""
    state = str(body.get("state", "")).strip().lower()
    if state.isascii() and state.isdigit():
        state = str(int(state))  # "06" is state 6 to ServiceNow
    if STATES.get(state, state) not in RESOLVING_STATES:
        return ()
    return tuple(column for column in CLOSE_COLUMNS if not _filled(body.get(column)))


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def _refuse_system_columns(native: Mapping[str, object]) -> None:
    """System and computed columns, whatever their case or the spaces around them (an
    allow-list would refuse custom columns, which callers may write); names with spaces around
    them, which no column has."""
    if any(not isinstance(key, str) or not key.strip() for key in native):
        raise BadInput("ticketJSON has an empty field name")
    bad = sorted(key for key in native if _is_system(key))
    if bad:
        names = ", ".join(
            f"ticketJSON.{key!r}" if key != key.strip() else f"ticketJSON.{key}" for key in bad
        )
        hint = " (priority follows impact and urgency: set those)" if "priority" in bad else ""
        raise BadInput(f"{names}: set by ServiceNow, so they cannot be written; remove them{hint}")
    spaced = sorted(key for key in native if key != key.strip())
    if spaced:
        names = ", ".join(repr(key) for key in spaced)
        raise BadInput(
            f"ticketJSON has names with spaces around them ({names}); ServiceNow column names "
            "have none"
        )


def _is_system(key: str) -> bool:
    name = key.strip().lower()
    return name.startswith("sys_") or name in COMPUTED


def _refuse_non_scalars(native: Mapping[str, object]) -> None:
    bad = sorted(
        key
        for key, value in native.items()
        if value is not None and not isinstance(value, str | int | float | bool)
    )
    if bad:
        names = ", ".join(f"ticketJSON.{key}" for key in bad)
        raise BadInput(
            f"{names}: ServiceNow columns take a string, number, boolean or null, "
            "not an object or a list"
        )


def _known_fields(canonical: Mapping[str, object]) -> dict[str, WritableField]:
    known = {field.value: field for field in WritableField}
    unknown = sorted(key for key in canonical if key not in known)
    if unknown:
        raise BadInput(
            f"Unknown ticket input fields: {', '.join(unknown)}; valid names are {', '.join(known)}"
        )
    bad = sorted(k for k, v in canonical.items() if v is not None and not isinstance(v, str))
    if bad:
        raise BadInput(f"{bad[0]} must be a string")
    return {key: known[key] for key in canonical}


def _canonical_columns(
    canonical: Mapping[str, str | None], choices: Mapping[str, Sequence[Choice]]
) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = []
    for key, field in _known_fields(canonical).items():
        value: object = canonical[key]
        column = CANONICAL_COLUMNS[field]
        if field in CHOICE_FIELDS and choices.get(column):
            value = choice_code(key, column, canonical[key], choices[column])
        elif field is WritableField.TICKET_STATUS:
            value = _state_code(canonical[key])
        elif field in (WritableField.URGENCY, WritableField.TICKET_SEVERITY):
            value = _level_code(key, canonical[key])
        pairs.append((column, value))
    return pairs


def choice_code(key: str, column: str, value: str | None, choices: Sequence[Choice]) -> str:
    """The code of the choice ``value`` names: a code, a label (any case), ``2 - Medium`` or
    ``Medium`` for the label ``2 - Medium``; else ``BadInput`` listing the labels."""
    wanted = _dashes(" ".join((value or "").split()).casefold())
    for choice in choices:
        if choice.value.casefold() == wanted:
            return choice.value
    codes = {choice.value for choice in choices if wanted and wanted in _label_forms(choice)}
    if len(codes) == 1:
        return codes.pop()
    labels = ", ".join(choice.label or choice.value for choice in choices)
    raise BadInput(f"{key} {value!r} is not a choice of {column}; use one of {labels}")


def _label_forms(choice: Choice) -> set[str]:
    code, label = choice.value.casefold(), _dashes(choice.label.casefold())
    forms = {label, f"{code} - {label}"}
    if label.startswith(f"{code} - "):
        forms.add(label.removeprefix(f"{code} - "))
    return forms


def _dashes(text: str) -> str:
    return re.sub(r"\s*-\s*", " - ", text)


def _canonical_name(column: str) -> str:
    return next(field.value for field, col in CANONICAL_COLUMNS.items() if col == column)


def _state_code(value: str | None) -> str:
    """A label (any case) or a code; codes pass through (instances add their own)."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit():
        return text
    code = STATES.get(text.lower())
    if code is None:
        raise BadInput(
            f"ticketStatus {text!r} is not an incident state; use one of {STATE_LABELS}, "
            "or a state code"
        )
    return code


def _level_code(key: str, value: str | None) -> str:
    """``2``, ``2 - Medium`` or ``Medium`` (any case) as the code ``2``."""
    match = _LEVEL.fullmatch((value or "").strip().lower())
    code = None
    if match and match["only"]:
        code = next((c for c, label in LEVELS.items() if label == match["only"]), None)
    elif match and match["code"] in LEVELS:
        label = match["label"]
        code = match["code"] if label in (None, LEVELS[match["code"]]) else None
    if code is None:
        raise BadInput(f"{key} {value!r} is not valid; use one of {LEVEL_LABELS}")
    return code
