"""How times leave the gateway: UTC, six fraction digits, no zone suffix (SPEC section 3)."""

from __future__ import annotations

from datetime import UTC, datetime


def format_utc(moment: datetime) -> str:
    """``2016-12-12T15:19:57.000000`` for any aware datetime; naive ones are a programming error."""
    if moment.tzinfo is None:
        raise ValueError("format_utc needs an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
