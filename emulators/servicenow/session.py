"""The session user's zone, in which every display value is written.

ServiceNow renders display values (``sysparm_display_value=true`` or ``all``, and journal
entries' headers) in the time zone of the user the request is authenticated as: that user's
``sys_user.time_zone``, and when it is empty the instance's default, the system property
``glide.sys.default.tz`` (docs/connectors/servicenow.md, "The emulator"). Where neither names a
zone, the emulator uses UTC.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE_PROPERTY = "glide.sys.default.tz"


class Rows(Protocol):
    def find_row(self, table: str, column: str, value: str) -> dict[str, str] | None: ...


def session_zone(rows: Rows, user_name: str | None) -> tzinfo:
    """The zone the display values of a request authenticated as ``user_name`` are written in."""
    user = rows.find_row("sys_user", "user_name", user_name) if user_name else None
    zone = _zone((user or {}).get("time_zone", ""))
    if zone is None:
        default = rows.find_row("sys_properties", "name", DEFAULT_ZONE_PROPERTY)
        zone = _zone((default or {}).get("value", ""))
    return zone or UTC


def _zone(name: str) -> tzinfo | None:
    name = name.strip()
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
