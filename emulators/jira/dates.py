"""How the emulated site writes date-times.

The platform API writes them as ``2026-03-02T08:05:00.000-0800``: milliseconds and a numeric
offset without a colon, in the time zone of the calling user's profile (the docs do not name the
zone; Jira Cloud uses the profile's). The service desk API writes a DateDTO with the same instant
four ways (``iso8601``, ``jira``, ``friendly``, ``epochMillis``).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any


def jira_time(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}"
        + (local.strftime("%z"))
    )


def date_dto(moment: datetime, zone: tzinfo) -> dict[str, Any]:
    local = moment.astimezone(zone)
    return {
        "iso8601": local.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "jira": jira_time(moment, zone),
        "friendly": local.strftime("%d/%b/%y %I:%M %p"),
        "epochMillis": int(moment.timestamp() * 1000),
    }
