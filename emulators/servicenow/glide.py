"""Stored value forms of ServiceNow dates and durations.

- A ``glide_date_time`` is stored as UTC ``YYYY-MM-DD HH:MM:SS``.
- A ``glide_duration`` is stored as the moment that many seconds after the Unix epoch, written
  the same way: ``1970-01-01 08:00:00`` is 8 hours. Days past 31 roll into February and beyond
  (``1970-03-21 20:38:50`` is 6,899,930 s), so the day of month is *not* the day count: read it
  as a date difference from the epoch, never by slicing the text.
- The display form of a duration is text such as ``1 Day 2 Hours 5 Minutes``; it drops the
  seconds whenever a larger unit is present.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FORMAT = "%Y-%m-%d %H:%M:%S"


def format_datetime(moment: datetime) -> str:
    """An aware datetime as a stored UTC value (microseconds dropped)."""
    return moment.astimezone(UTC).strftime(_FORMAT)


def parse_datetime(text: str) -> datetime | None:
    """A stored UTC value as an aware datetime; ``None`` for ``""`` or anything malformed."""
    try:
        return datetime.strptime(text.strip(), _FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def format_duration(seconds: int) -> str:
    """Whole seconds as a stored ``glide_duration``."""
    return format_datetime(EPOCH + timedelta(seconds=max(0, seconds)))


def parse_duration(text: str) -> int | None:
    """A stored ``glide_duration`` as whole seconds; ``None`` for ``""`` or malformed."""
    moment = parse_datetime(text)
    return None if moment is None else int((moment - EPOCH).total_seconds())


def duration_text(seconds: int) -> str:
    """The display form: ``8 Hours``, ``1 Day 2 Hours 5 Minutes``, ``45 Seconds``.

    Seconds appear only when nothing larger does (the emulator's choice; instances show
    ``0 Seconds`` for a zero duration, which is kept).
    """
    days, rest = divmod(max(0, seconds), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{count} {unit}{'' if count == 1 else 's'}"
        for count, unit in ((days, "Day"), (hours, "Hour"), (minutes, "Minute"))
        if count
    ]
    return " ".join(parts) if parts else f"{secs} Second{'' if secs == 1 else 's'}"
