"""``ACCOUNT_ZONE``: the zone to use when the caller named none.

The ITSM's zone, when the caller gives none, is the zone of the account the gateway signs in
with, as the ITSM reports it; UTC only when the ITSM cannot say (docs/contract.md, "Times").
Only the connector can ask the ITSM, so the use cases hand it this marker instead of a zone,
and the connector learns the account's zone when (and only when) it must read a time the ITSM
gives in local time alone (``connectors.servicenow.account_zone``).

The marker *is* a ``tzinfo`` at UTC+0, so a connector that never needs a zone (Jira's times carry
their offset, Request Tracker's are UTC) and any code that formats with it behave exactly as with
``datetime.UTC``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Final

_ZERO = timedelta(0)


class AccountZone(tzinfo):
    """UTC+0 that says "the caller named no zone: the account's zone applies where known"."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return _ZERO

    def dst(self, dt: datetime | None) -> timedelta:
        return _ZERO

    def tzname(self, dt: datetime | None) -> str:
        return "UTC"

    def fromutc(self, dt: datetime) -> datetime:
        return dt

    def __repr__(self) -> str:
        return "ACCOUNT_ZONE"

    def __str__(self) -> str:
        # Distinct from "UTC" in idempotency fingerprints: an absent zone and an explicit UTC
        # may read the same journal differently.
        return "account"

    def __reduce__(self) -> str:
        return "ACCOUNT_ZONE"


ACCOUNT_ZONE: Final = AccountZone()


def is_account_zone(zone: tzinfo) -> bool:
    """Whether ``zone`` is the marker, i.e. the caller named no zone."""
    return isinstance(zone, AccountZone)
