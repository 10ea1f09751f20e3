"""Rendering stored values in the three ``sysparm_display_value`` modes.

- ``false`` (default): stored values. A non-empty reference is ``{"link", "value"}``, or the
  bare sys_id with ``sysparm_exclude_reference_link=true``. Journal fields read ``""``.
- ``true``: labels, display names, datetimes in the user's zone and format, duration text,
  integers with thousands separators, journal fields as their whole history. A non-empty
  reference is ``{"display_value", "link"}`` unless links are excluded, as instances answer
  (the notes only say "reference names"; the object form is what instances send).
- ``all``: ``{"display_value", "value"}`` for every field, plus ``link`` on non-empty
  references unless excluded.

An empty reference is ``""`` (``{"display_value": "", "value": ""}`` in ``all``) with no link.
A reference to a record that does not exist keeps its link but displays as ``""``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum
from typing import Any, Protocol

from emulators.servicenow.datefmt import UserDateTimeFormat
from emulators.servicenow.glide import duration_text, parse_datetime, parse_duration
from emulators.servicenow.schema import Column, Kind

JOURNAL_HEADINGS = {"comments": "Additional comments", "work_notes": "Work notes"}


class DisplayMode(StrEnum):
    VALUE = "false"
    DISPLAY = "true"
    ALL = "all"

    @classmethod
    def from_param(cls, raw: str | None) -> DisplayMode:
        """Anything not recognised is the default, stored values (instances do the same)."""
        text = (raw or "").strip().lower()
        return cls(text) if text in {"true", "all"} else cls.VALUE


@dataclass(frozen=True)
class RenderOptions:
    mode: DisplayMode
    exclude_links: bool
    instance_url: str
    zone: tzinfo
    datetime_format: UserDateTimeFormat


class Lookups(Protocol):
    """What rendering needs from the tables."""

    def reference_display(self, table: str, sys_id: str) -> str | None:
        """The display value of that record; ``None`` when there is no such record."""
        ...

    def journal_rows(self, element_id: str, element: str) -> Sequence[Mapping[str, str]]:
        """The ``sys_journal_field`` rows of one stream of one record, in insertion order."""
        ...

    def user_full_name(self, user_name: str) -> str:
        """The ``name`` of the ``sys_user`` with that ``user_name`` (itself if unknown)."""
        ...


@dataclass(frozen=True)
class Field:
    """A value to render: its column, stored value and the sys_id of the record owning it."""

    column: Column
    stored: str
    owner_sys_id: str


def render(field: Field, options: RenderOptions, lookups: Lookups) -> Any:
    column, stored = field.column, field.stored
    if column.kind is Kind.JOURNAL:
        stored = ""  # journal fields have no stored value, whatever was written
    link = _link(column, stored, options)
    if options.mode is DisplayMode.VALUE:
        return {"link": link, "value": stored} if link else stored
    shown = display_value(field, options, lookups)
    if options.mode is DisplayMode.DISPLAY:
        return {"display_value": shown, "link": link} if link else shown
    answer = {"display_value": shown, "value": stored}
    if link:
        answer["link"] = link
    return answer


def display_value(field: Field, options: RenderOptions, lookups: Lookups) -> str:
    column, stored = field.column, field.stored
    match column.kind:
        case Kind.JOURNAL:
            return journal_text(field.owner_sys_id, column.name, options, lookups)
        case _ if stored == "":
            return ""
        case Kind.CHOICE:
            return (column.choices or {}).get(stored, stored)  # unknown codes show themselves
        case Kind.REFERENCE:
            return lookups.reference_display(column.reference or "", stored) or ""
        case Kind.DATETIME:
            moment = parse_datetime(stored)
            return (
                stored if moment is None else options.datetime_format.format(moment, options.zone)
            )
        case Kind.DURATION:
            seconds = parse_duration(stored)
            return stored if seconds is None else duration_text(seconds)
        case Kind.INTEGER:
            return f"{int(stored):,}" if stored.lstrip("-").isdigit() else stored
        case _:
            return stored


def journal_text(element_id: str, element: str, options: RenderOptions, lookups: Lookups) -> str:
    """The display value of a journal field: every entry, newest first, blank-line separated.

    Each entry is ``<local date time> - <full name> (<heading>)``, a newline, then the text,
    which may itself contain blank lines (so splitting on them is unsafe for a client).
    Entries with the same timestamp keep their insertion order reversed.
    """
    rows = list(lookups.journal_rows(element_id, element))
    ordered = sorted(enumerate(rows), key=lambda pair: (pair[1].get("sys_created_on", ""), pair[0]))
    heading = JOURNAL_HEADINGS.get(element, element)
    entries = []
    for _, row in reversed(ordered):
        moment = parse_datetime(row.get("sys_created_on", ""))
        when = "" if moment is None else options.datetime_format.format(moment, options.zone)
        author = lookups.user_full_name(row.get("sys_created_by", ""))
        entries.append(f"{when} - {author} ({heading})\n{row.get('value', '')}")
    return "\n\n".join(entries)


def _link(column: Column, stored: str, options: RenderOptions) -> str | None:
    if column.kind is not Kind.REFERENCE or not stored or options.exclude_links:
        return None
    return f"{options.instance_url}/api/now/v2/table/{column.reference}/{stored}"
