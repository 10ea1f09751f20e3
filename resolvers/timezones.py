"""``itsmTimeZoneOffset``: the ITSM instance's local zone (docs/contract.md#times)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from connectors.errors import BadInput
from connectors.zones import ACCOUNT_ZONE

# ASCII digits only: ``\d`` would also take other scripts' digits, which no zone is written in.
_OFFSET = re.compile(r"(?P<sign>[+-])(?P<hours>[0-9]{2})(?::?(?P<minutes>[0-9]{2}))?")
# The zones in use run from UTC-12:00 (Baker Island) to UTC+14:00 (Kiribati's Line Islands); no
# zone has -13 or -14, so anything past either end is a typo, not a zone.
_MIN_OFFSET = timedelta(hours=-12)
_MAX_OFFSET = timedelta(hours=14)
_LONGEST_ZONE_NAME = 64  # the longest IANA name is about 30 characters
# Names of the zone database that are no zone of an ITSM: the gateway host's own setting, and
# "Factory" (no place's time: "-00").
_HOST_ZONES = frozenset({"localtime", "posixrules"})
_NO_PLACE = frozenset({"factory"})

_HELP = (
    "use an offset such as +05:30, -04:00, +0530 or +05, 'Z' or 'UTC', "
    "or an IANA zone name such as America/Los_Angeles"
)


@functools.cache
def _zone_names() -> Mapping[str, str]:
    """Every IANA zone name of the zone database, by its case-folded spelling: callers may write
    ``america/los_angeles``. Only names of this list are ever opened, so no path reaches the
    zone database's loader."""
    return {
        name.casefold(): name
        for name in available_timezones()
        if name.casefold() not in _HOST_ZONES | _NO_PLACE
    }


def parse_zone(text: str | None) -> tzinfo:
    """The zone named by ``text``; empty or absent is ``ACCOUNT_ZONE`` (the account's own zone,
    which the connector learns from the ITSM when it needs it; UTC+0 everywhere else).

    IANA names follow daylight saving time, fixed offsets do not: a ServiceNow user in
    ``America/Los_Angeles`` sees entries at UTC-8 and UTC-7 in the same journal. Names are read
    without regard to case; ``localtime`` (the gateway host's zone) is refused.
    """
    if text is None or not text.strip():
        return ACCOUNT_ZONE
    value = text.strip()
    if value in ("Z", "z") or value.upper() == "UTC":
        return UTC
    match = _OFFSET.fullmatch(value)
    if match:
        hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
        offset = timedelta(hours=hours, minutes=minutes)
        if match["sign"] == "-":
            offset = -offset
        if minutes >= 60 or not _MIN_OFFSET <= offset <= _MAX_OFFSET:
            raise BadInput(f"itsmTimeZoneOffset is out of range (-12:00 to +14:00); {_HELP}")
        return timezone(offset)
    if value.casefold() in _HOST_ZONES:
        raise BadInput(
            f"itsmTimeZoneOffset {value!r} means the gateway host's own zone, which no caller "
            f"can know; name the ITSM's zone instead: {_HELP}"
        )
    name = _zone_names().get(value.casefold()) if len(value) <= _LONGEST_ZONE_NAME else None
    if name is not None:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    # The value is not echoed: a caller who pasted something else here (a token) must not see
    # it reflected, or logged by whoever logs answers.
    raise BadInput(f"itsmTimeZoneOffset is not a time zone; {_HELP}")
