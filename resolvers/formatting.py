"""How times leave the gateway: UTC, six fraction digits, no zone suffix
(docs/contract.md#times)."""

from __future__ import annotations

from datetime import UTC, datetime


def format_utc(moment: datetime) -> str:
    """``2016-12-12T15:19:57.000000`` for any aware datetime; naive ones are a programming error."""
    if moment.tzinfo is None:
        raise ValueError("format_utc needs an aware datetime")
    utc = moment.astimezone(UTC)
    # Not strftime: its %Y gives "999" rather than "0999" for years before 1000 on glibc.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}"
    )
