"""The zone of the account the gateway signs in with, for times ServiceNow gives only in local time.

ServiceNow writes display values (the journal fallback's entry headers among them) in the
*session user's* zone: ``sys_user.time_zone``, empty meaning the instance default, the system
property ``glide.sys.default.tz``. When the caller names no zone (``connectors.zones``), the
connector learns it here, the first time a local time must be read:

- basic and ``oauth_password`` know the account's user name: one call,
  ``GET sys_user?sysparm_query=user_name=<name>`` (``time_zone`` only);
- when that zone is empty, or the account may not read it, or the auth type names no user
  (``oauth_client_credentials``, ``api_key`` and ``bearer`` act as a user the instance chooses),
  the instance default: ``GET sys_properties?sysparm_query=name=glide.sys.default.tz``;
- when neither is readable or known, UTC, and ``source`` says so.

``AccountZones`` (owned by the factory) caches the answer per instance and account for
``ttl`` seconds, so this costs at most those calls once per connection per period, and nothing
on a fetch that reads no local time. A refusal (403) or an unknown zone name is an answer and is
cached; any other failure is not, and that request reads UTC.

``checked_zone`` then holds the learned zone to account against the record itself: every
datetime read with ``sysparm_display_value=all`` is a pair (stored UTC value, local display),
and the difference is the offset in force at that instant. Where it disagrees with the learned
zone, the observed offset wins for that record, with one WARNING line.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.connection import AuthType, Credentials
from connectors.errors import GatewayError
from connectors.servicenow.answers import AccessDenied
from connectors.servicenow.client import QUERY_UNSAFE
from connectors.servicenow.ttl_cache import MAX_ENTRIES, TtlCache, account_key

log = logging.getLogger(__name__)

DEFAULT_TTL = 3600.0  # seconds; a user rarely changes zone, and the record check catches it
DEFAULT_ZONE_PROPERTY = "glide.sys.default.tz"
# These auth types carry the account's user name; the others act as a user the instance chooses.
_NAMED_USER = frozenset({AuthType.BASIC, AuthType.OAUTH_PASSWORD})
_STORED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_MAX_OFFSET = timedelta(hours=14)

Call = Callable[[str, Mapping[str, str]], Awaitable[Any]]


@dataclass(frozen=True)
class LearnedZone:
    """A zone and how it was found (``sys_user.time_zone``, ``glide.sys.default.tz`` or
    ``UTC: ...`` saying why nothing better was known)."""

    zone: tzinfo
    source: str


class AccountZones:
    """The factory's cache of learned zones, keyed by instance and account
    (``ttl_cache.account_key``), at most ``max_entries`` of them. One learning at a time per key:
    concurrent requests wait for it."""

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._cache: TtlCache[tuple[str, ...], LearnedZone] = TtlCache(
            ttl=ttl, clock=clock, max_entries=max_entries
        )

    def __len__(self) -> int:
        return len(self._cache)

    def clear(self) -> None:
        self._cache.clear()

    async def zone_of(self, instance_url: str, credentials: Credentials, call: Call) -> LearnedZone:
        """The account's zone, learned through ``call`` (a Table API GET) when not cached."""
        key = account_key(instance_url, credentials)
        return await self._cache.load_once(key, lambda: _learn(credentials, call))


def checked_zone(learned: LearnedZone, row: Mapping[str, Any], host: str) -> tzinfo:
    """``learned.zone``, unless the record's own datetime pairs show another offset: then that
    offset (the latest one the record shows), logged once."""
    disagreements = []
    for instant, observed in observed_offsets(row):
        expected = instant.astimezone(learned.zone).utcoffset()
        if expected != observed:
            disagreements.append((instant, observed, expected))
    if not disagreements:
        return learned.zone
    instant, observed, expected = max(disagreements)
    zone = timezone(observed)
    log.warning(
        "ServiceNow at %s: the account's zone %s (from %s) is UTC%s at %s, but the record's own "
        "times show UTC%s; reading this record's local times at UTC%s",
        host,
        learned.zone,
        learned.source,
        _offset_text(expected),
        instant.isoformat(),
        _offset_text(observed),
        _offset_text(observed),
    )
    return zone


def observed_offsets(row: Mapping[str, Any]) -> list[tuple[datetime, timedelta]]:
    """``(UTC instant, offset)`` for every datetime pair in ``row`` whose display reads one way
    only (the user's date format is not known: ``yyyy-MM-dd``, ``dd-MM-yyyy`` and
    ``MM-dd-yyyy``, 24- or 12-hour, are tried, and an offset past 14 hours is no offset)."""
    found = []
    for raw in row.values():
        if not isinstance(raw, Mapping):
            continue
        value, display = raw.get("value"), raw.get("display_value")
        if not isinstance(value, str) or not isinstance(display, str):
            continue
        if not _STORED.fullmatch(value):
            continue
        instant = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
        offsets = {
            local - instant
            for local in _local_readings(display)
            if abs(local - instant) <= _MAX_OFFSET
        }
        if len(offsets) == 1:
            found.append((instant.replace(tzinfo=UTC), offsets.pop()))
    return found


async def _learn(credentials: Credentials, call: Call) -> tuple[LearnedZone, bool]:
    """The zone and whether it may be cached (a failure other than a refusal may not)."""
    try:
        user_zone, why = await _user_zone(credentials, call)
        if user_zone is not None:
            return LearnedZone(user_zone, "sys_user.time_zone"), True
        try:
            rows = await call(
                "sys_properties",
                {
                    "sysparm_query": f"name={DEFAULT_ZONE_PROPERTY}",
                    "sysparm_fields": "name,value",
                    "sysparm_display_value": "false",
                    "sysparm_limit": "2",
                },
            )
        except AccessDenied:
            return LearnedZone(UTC, f"UTC: {why}, and sys_properties is refused"), True
        zone = _zone(_only_value(rows, "name", DEFAULT_ZONE_PROPERTY, "value"))
        if zone is not None:
            return LearnedZone(zone, DEFAULT_ZONE_PROPERTY), True
        return LearnedZone(UTC, f"UTC: {why}, and {DEFAULT_ZONE_PROPERTY} is not set"), True
    except GatewayError as error:
        log.warning("could not learn the ServiceNow account's zone: %s", error.message)
        return LearnedZone(UTC, "UTC: the zone could not be read"), False


async def _user_zone(credentials: Credentials, call: Call) -> tuple[tzinfo | None, str]:
    """``sys_user.time_zone`` of a named account, or ``None`` and why not."""
    user_name = credentials.username or ""
    if credentials.auth_type not in _NAMED_USER or QUERY_UNSAFE.search(user_name):
        return None, f"{credentials.auth_type.value} names no user"
    try:
        rows = await call(
            "sys_user",
            {
                "sysparm_query": f"user_name={user_name}",
                "sysparm_fields": "user_name,time_zone",
                "sysparm_display_value": "false",
                "sysparm_limit": "2",
            },
        )
    except AccessDenied:
        return None, "sys_user is refused"
    name = _only_value(rows, "user_name", user_name, "time_zone")
    zone = _zone(name)
    if zone is None and name:
        return None, f"sys_user.time_zone {name!r} is not a zone this gateway knows"
    return zone, f"sys_user {user_name} has no time_zone"


def _only_value(rows: object, match_column: str, match: str, column: str) -> str:
    """``column`` of the one row whose ``match_column`` is ``match``; ``""`` otherwise."""
    if not isinstance(rows, list):
        return ""
    values = [
        row.get(column)
        for row in rows
        if isinstance(row, Mapping)
        and str(row.get(match_column, "")).casefold() == match.casefold()
    ]
    return values[0] if len(values) == 1 and isinstance(values[0], str) else ""


def _zone(name: str) -> tzinfo | None:
    name = name.strip()
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _local_readings(display: str) -> list[datetime]:
    text = re.sub(r"[/.]", "-", display.strip())
    text = re.sub(r"\s*([AaPp])\.?[Mm]\.?$", r" \1M", text)
    time_format = "%I:%M:%S %p" if text.endswith(("AM", "PM")) else "%H:%M:%S"
    readings = []
    for date_format in ("%Y-%m-%d", "%d-%m-%Y", "%m-%d-%Y"):
        try:
            readings.append(datetime.strptime(text, f"{date_format} {time_format}"))
        except ValueError:
            continue
    return readings


def _offset_text(offset: timedelta | None) -> str:
    if offset is None:
        return "?"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"
