"""Time zones: the session user's, in which display values are written and writes are read,
and a user's own, which an SLA follows.

ServiceNow renders display values (``sysparm_display_value=true`` or ``all``, and journal
entries' headers), reads datetimes written with ``sysparm_input_display_value=true`` and runs
the business rules of a write in the time zone of the user the request is authenticated as:
that user's ``sys_user.time_zone``, and when it is empty the instance's default, the system
property ``glide.sys.default.tz`` (docs/connectors/servicenow.md, "The emulator"). Where neither
names a zone, the emulator uses UTC. An SLA is counted in the zone its definition names as the
source, "the caller's time zone" by default (``caller_zone``), not the session user's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE_PROPERTY = "glide.sys.default.tz"


class Rows(Protocol):
    def find_row(self, table: str, column: str, value: str) -> dict[str, str] | None: ...

    def get(self, table: str, sys_id: str) -> dict[str, str] | None: ...


def session_zone(rows: Rows, user_name: str | None) -> tzinfo:
    """The zone of a request authenticated as ``user_name``: its display values, the datetimes
    it writes as display values and the business rules its writes run."""
    user = rows.find_row("sys_user", "user_name", user_name) if user_name else None
    return user_zone(rows, user)


def caller_zone(rows: Rows, task: Mapping[str, str]) -> tzinfo:
    """The zone of a task's caller (``caller_id``), the default time zone source of an SLA
    definition: the caller's ``time_zone``, else the instance default. A caller that is no
    user record (a broken reference) counts as a caller without a zone."""
    caller_id = task.get("caller_id", "")
    return user_zone(rows, rows.get("sys_user", caller_id) if caller_id else None)


def user_zone(rows: Rows, user: Mapping[str, str] | None) -> tzinfo:
    """A user's ``time_zone``; empty (or no user): the instance default, else UTC."""
    return zone_named((user or {}).get("time_zone", "")) or default_zone(rows)


def default_zone(rows: Rows) -> tzinfo:
    """The instance default, ``glide.sys.default.tz``; UTC when it names no zone."""
    default = rows.find_row("sys_properties", "name", DEFAULT_ZONE_PROPERTY)
    return zone_named((default or {}).get("value", "")) or UTC


def zone_named(name: str) -> tzinfo | None:
    """The zone an IANA name names; ``None`` for an empty or unknown name."""
    name = name.strip()
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def zone_name(zone: tzinfo) -> str:
    """The name to store for a zone (``America/Los_Angeles``; ``UTC``)."""
    return getattr(zone, "key", None) or str(zone)
