"""The journal fallback: parse the display text of an incident's ``comments`` or ``work_notes``.

Used when the account may not read ``sys_journal_field`` (403), and when that table answers with
fewer entries of a stream than this text holds (ACLs filtered rows out, still with 200).
The text is newest first, entries separated by a blank line, each headed::

    2026-03-09 10:15:00 - Fred Luddy (Additional comments)
    the text, which may itself contain blank lines

so entries are split on header lines, never on blank lines. The header's time is in the API
user's own zone and date format, hence ``zone`` (an IANA zone gives each entry its own offset,
across daylight-saving changes) and the format detection below.

Date formats accepted (ServiceNow's user choices; ``/`` and ``.`` separators as well as ``-``):
``yyyy-MM-dd``, ``dd-MM-yyyy``, ``MM-dd-yyyy``, each with ``HH:mm:ss`` or ``hh:mm:ss AM/PM``.
One user has one format, so the format is chosen for the whole text: the first of those, in that
order, that reads every header and, preferably, gives newest-first times. Only when every date in
the text has day and month both at most 12 and the order does not decide does the preference
(``dd-MM`` before ``MM-dd``) guess; an account with ``yyyy-MM-dd`` (the default) or read access to
``sys_journal_field`` avoids the guess altogether.

A line of text that looks exactly like a header is taken as one: ServiceNow's display text has no
escaping, so it cannot be told apart.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, tzinfo

from connectors.model import Note

COMMENTS = "Additional comments"
WORK_NOTES = "Work notes"

_HEADER = re.compile(
    r"^(?P<date>\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4})[ \t]+"
    r"(?P<time>\d{1,2}:\d{2}:\d{2}(?:[ \t]*[AaPp]\.?[Mm]\.?)?)"
    r" - (?P<author>.*?) \((?P<kind>Additional comments|Work notes)\)[ \t]*$",
    re.MULTILINE,
)
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%m-%d-%Y")


def notes_from_display(text: str, zone: tzinfo, kind: str) -> tuple[Note, ...]:
    """The entries of ``kind`` (``COMMENTS`` or ``WORK_NOTES``) in ``text``, oldest first, times
    in UTC; an entry whose time cannot be read keeps its author and text with ``time=None``."""
    text = text.replace("\r\n", "\n")
    headers = list(_HEADER.finditer(text))
    if not headers:
        return ()
    stamps = [(_date(m["date"]), _time(m["time"])) for m in headers]
    date_format = _choose_format(stamps)
    notes: list[Note] = []
    for index, match in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        if match["kind"] != kind:
            continue
        body = text[match.end() : end].lstrip("\n").rstrip()
        local = _parse(*stamps[index], date_format) or _parse_any(*stamps[index])
        time = None if local is None else local.replace(tzinfo=zone).astimezone(UTC)
        notes.append(Note(author=match["author"].strip() or None, time=time, text=body))
    notes.reverse()  # the display is newest first
    return tuple(notes)


def _date(raw: str) -> str:
    return re.sub(r"[/.]", "-", raw)


def _time(raw: str) -> str:
    """``03:15:00pm`` and ``3:15:00 P.M.`` become ``03:15:00 PM``; 24-hour times are unchanged."""
    match = re.fullmatch(r"(\d{1,2}:\d{2}:\d{2})[ \t]*([AaPp])?\.?(?:[Mm]\.?)?", raw)
    assert match is not None  # the header pattern guarantees the shape
    clock, half = match.groups()
    return f"{clock} {half.upper()}M" if half else clock


def _parse(date: str, time: str, date_format: str) -> datetime | None:
    time_format = "%I:%M:%S %p" if time.endswith("M") else "%H:%M:%S"
    try:
        return datetime.strptime(f"{date} {time}", f"{date_format} {time_format}")
    except ValueError:
        return None


def _parse_any(date: str, time: str) -> datetime | None:
    """An entry the text's format cannot read (the text mixes formats): any format that can."""
    for date_format in _DATE_FORMATS:
        if (moment := _parse(date, time, date_format)) is not None:
            return moment
    return None


def _choose_format(stamps: list[tuple[str, str]]) -> str:
    readable = []
    for date_format in _DATE_FORMATS:
        parsed = [_parse(date, time, date_format) for date, time in stamps]
        if all(moment is not None for moment in parsed):
            readable.append((date_format, parsed))
    for date_format, parsed in readable:
        if all(a >= b for a, b in itertools.pairwise(parsed)):  # type: ignore[operator]
            return date_format
    return readable[0][0] if readable else _DATE_FORMATS[0]
