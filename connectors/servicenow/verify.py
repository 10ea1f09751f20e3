"""Did a write take? What was sent against what ServiceNow's answer to the POST or PATCH holds:
pure functions, tested case by case.

ServiceNow's Table API stores what it is given and answers 201 / 200 regardless: a name in a
reference column stays a name (no record behind it), a label in a choice column stays a label,
and a column the table lacks is dropped. The write asks for the written columns back
(``sysparm_fields``, ``sysparm_display_value=all``), so each is judged at no extra call. A value
did not take when:

- the column is missing from the answer (no such column, or one the account may not read);
- a reference holds something that is not a record: a value that is not a sys_id, or an empty
  display value while a value was sent. A reference holding a record whose display value is
  what was sent took (an instance that resolved a name);
- a choice column holds a value that is not one of its choices (``sys_choice``; without them,
  the integer choices the connector knows must hold digits);
- the stored value differs from what was sent (numbers and booleans compared as their text,
  surrounding spaces ignored).

Journal columns (``comments``, ``work_notes``) store nothing in their value: a write appends an
entry. They are judged by the entry's text appearing in the record's journal display text when
the answer carries a non-empty one; otherwise they are not judged, because an empty or missing
display text is also what an account without read access to the journal sees, and a false
"did not take" would invite the caller to write the entry twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.model import UntakenValue
from connectors.servicenow.mapping import cell

SYS_ID = re.compile(r"[0-9a-fA-F]{32}")
JOURNAL_COLUMNS = frozenset({"comments", "work_notes"})
# Reference columns of the incident (and of task, which most tables extend) a caller may write.
REFERENCE_COLUMNS = frozenset(
    {
        "assigned_to",
        "assignment_group",
        "caller_id",
        "opened_by",
        "resolved_by",
        "closed_by",
        "cmdb_ci",
        "business_service",
        "service_offering",
        "location",
        "company",
        "parent",
        "parent_incident",
        "problem_id",
        "rfc",
        "caused_by",
    }
)
# Integer choice columns the connector knows (``writes.STATES``, ``writes.LEVELS``): used when
# the account may not read sys_choice.
KNOWN_INTEGER_CHOICES = frozenset({"state", "urgency", "impact", "severity"})


@dataclass(frozen=True, slots=True)
class SentValue:
    """One column a write set: ``field`` and ``sent`` as the caller named and gave it
    (``ticketStatus`` / ``"In Progress"``, ``ticketJSON.state`` / ``"In Progress"``), ``column``
    and ``written`` as the body had them (``state`` / ``"2"``), and the column's choice codes when
    known (``None``: not known, or not a choice column)."""

    field: str
    sent: str
    column: str
    written: object
    choices: frozenset[str] | None = None


def as_text(value: object) -> str:
    """A JSON scalar as ServiceNow stores it: every value is a string; ``true`` / ``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def untaken_values(
    sent: Iterable[SentValue], row: Mapping[str, Any], table: str
) -> tuple[UntakenValue, ...]:
    """The sent values ``row`` (the write's answer, ``display_value=all``) does not hold."""
    untaken = []
    for value in sent:
        reason = _why_not_taken(value, row, table)
        if reason is not None:
            display, stored = cell(row, value.column)
            # A journal's display text is the whole journal: not what the caller needs to see.
            held = "" if value.column in JOURNAL_COLUMNS else display or stored
            untaken.append(UntakenValue(value.field, value.sent, held, reason))
    return tuple(untaken)


def _why_not_taken(value: SentValue, row: Mapping[str, Any], table: str) -> str | None:
    """``None`` when the value took; else the reason ("" when the difference says it all)."""
    column, written = value.column, as_text(value.written)
    if column in JOURNAL_COLUMNS:
        return _journal(value, row)
    if column not in row:
        return f"no such column on {table}, or one the account may not read"
    display, stored = (text.strip() for text in cell(row, column))
    if stored and _not_a_choice(value, stored):
        return f"not a choice of {table}.{column}"
    if column in REFERENCE_COLUMNS or (written and stored and not display):
        return _reference(column, written, display, stored, value.sent)
    return None if stored == written else ""


def _not_a_choice(value: SentValue, stored: str) -> bool:
    if value.choices:
        return stored not in value.choices
    if value.column in KNOWN_INTEGER_CHOICES:
        return not (stored.isascii() and stored.isdigit())
    return False


def _reference(column: str, written: str, display: str, stored: str, sent: str) -> str | None:
    if not written:
        return None if not stored else ""
    if not SYS_ID.fullmatch(stored) or not display:
        return f"{column} holds no record by that value; ServiceNow stores a reference as given"
    if stored.casefold() == written.casefold():
        return None
    if display.casefold() == sent.strip().casefold():
        return None  # the instance resolved the name to the record it names
    return ""


def _journal(value: SentValue, row: Mapping[str, Any]) -> str | None:
    entry = _lines(as_text(value.written))
    display = _lines(cell(row, value.column)[0])
    if not entry or not display:
        return None  # nothing to append, or nothing to judge by (see the module's docstring)
    if entry in display:
        return None
    return f"the entry is not in the record's {value.column}"


def _lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))
