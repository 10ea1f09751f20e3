"""Business time: the "8-5 weekdays" schedule, Monday to Friday 08:00-17:00 local.

Local to the zone the caller passes: an incident's business durations (``business_stc``,
``business_duration``) are counted in the zone of the user whose write resolves it (business
rules run in the session user's zone), an SLA's business time in the SLA's own zone (its caller's
when it was attached; ``sla``). There are no holidays. The windows are built per local day, so
daylight-saving days keep 9 business hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta, tzinfo

DAY_START = time(8, 0)
DAY_END = time(17, 0)
_MAX_DAYS = 366 * 20  # a bound for add_business_seconds on absurd inputs


def _windows(first_day: datetime, zone: tzinfo) -> Iterator[tuple[datetime, datetime]]:
    """Business windows as aware datetimes, from the local day of ``first_day`` onwards."""
    day = first_day.astimezone(zone).date()
    for _ in range(_MAX_DAYS):
        if day.weekday() < 5:
            yield (
                datetime.combine(day, DAY_START, tzinfo=zone),
                datetime.combine(day, DAY_END, tzinfo=zone),
            )
        day += timedelta(days=1)


def business_seconds(start: datetime, end: datetime, zone: tzinfo) -> int:
    """Whole seconds of business time between two aware moments (0 if ``end <= start``)."""
    total = 0.0
    if end <= start:
        return 0
    for window_start, window_end in _windows(start, zone):
        if window_start >= end:
            break
        overlap = min(window_end, end) - max(window_start, start)
        total += max(0.0, overlap.total_seconds())
    return int(total)


def add_business_seconds(start: datetime, seconds: int, zone: tzinfo) -> datetime:
    """The moment when ``seconds`` of business time have passed since ``start``."""
    left = float(max(0, seconds))
    for window_start, window_end in _windows(start, zone):
        begin = max(window_start, start)
        available = (window_end - begin).total_seconds()
        if available <= 0:
            continue
        if left <= available:
            return begin + timedelta(seconds=left)
        left -= available
    raise ValueError("business time beyond the schedule's horizon")
