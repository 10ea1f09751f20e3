"""Switches that make the emulated instance misbehave the ways real ones do.

Set them on ``state.faults`` in-process, or through ``POST /_emulator/faults`` from another
process. They apply to Table API requests (``latency_ms`` also to ``/oauth_token.do``) and are
checked in this order: latency, hibernation, forced failures, authentication, rate limit.
A refused request is still recorded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

# Rate limit rules are records on instances; the header names the rule's sys_id.
RATE_LIMIT_RULE_ID = "8d4a3f1c2b7e4c0d9a6f5e4d3c2b1a09"


@dataclass
class Faults:
    """Mutable fault switches.

    - ``latency_ms``: sleep this long before answering.
    - ``hourly_limit``: requests per user per clock hour (UTC); beyond it, 429.
    - ``journal_forbidden``: reads of ``sys_journal_field`` get 403, as many integration
      accounts do.
    - ``hibernating``: every Table API path answers 200 with an HTML page.
    - ``fail_status``: answer every Table API request with this 5xx status.
    - ``fail_next``: only the next N requests fail, with ``fail_status`` or else 500.
    """

    latency_ms: int = 0
    hourly_limit: int | None = None
    journal_forbidden: bool = False
    hibernating: bool = False
    fail_status: int | None = None
    fail_next: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def merge(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, checking every value first; ``ValueError`` if any is bad."""
        checked = {name: _check(name, value) for name, value in changes.items()}
        for name, value in checked.items():
            setattr(self, name, value)

    def take_failure(self) -> int | None:
        """The status this request must fail with, consuming one of ``fail_next``."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return self.fail_status or 500
        return self.fail_status


_NAMES = {f.name for f in fields(Faults)}


def _check(name: str, value: Any) -> Any:
    if name not in _NAMES:
        raise ValueError(f"unknown fault {name!r}")
    if name in {"journal_forbidden", "hibernating"}:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean")
        return value
    if value is None and name in {"hourly_limit", "fail_status"}:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")
    if name == "fail_status" and not 500 <= value <= 599:
        raise ValueError("fail_status must be a 5xx status")
    return value


def next_hour(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class HourlyCounter:
    """Requests per user per clock hour; only the current hour is kept."""

    def __init__(self) -> None:
        self._hour: datetime | None = None
        self._counts: Counter[str] = Counter()

    def count(self, user_name: str, now: datetime) -> int:
        """Count one request and answer how many this user made this hour, this one included."""
        hour = next_hour(now)
        if hour != self._hour:
            self._hour, self._counts = hour, Counter()
        self._counts[user_name] += 1
        return self._counts[user_name]

    def clear(self) -> None:
        self._hour, self._counts = None, Counter()
