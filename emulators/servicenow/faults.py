"""Switches that make the emulated instance misbehave the ways real ones do.

Set them on ``state.faults`` in-process, or through ``POST /_emulator/faults`` from another
process. They apply to Table API requests (``latency_ms`` also to ``/oauth_token.do``) and are
checked in this order: latency, hibernation, forced failures, authentication, throttling, rate
limit, dropped connection. A refused or dropped request is still recorded.

The ``*_rate`` switches draw from one ``random.Random`` seeded with ``seed``, so a fault-injection
run that sends the same requests in the same order meets the same faults. Setting ``seed``
(even to its current value) restarts that sequence.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

# Rate limit rules are records on instances; the header names the rule's sys_id.
RATE_LIMIT_RULE_ID = "8d4a3f1c2b7e4c0d9a6f5e4d3c2b1a09"
# Where a client looks up people, groups and choice labels: ``lookups_*`` locks these.
LOOKUP_TABLES = frozenset({"sys_user", "sys_user_group", "sys_choice"})


@dataclass
class Faults:
    """Mutable fault switches.

    - ``latency_ms``: sleep this long before answering.
    - ``hourly_limit``: requests per user per clock hour (UTC); beyond it, 429.
    - ``journal_forbidden``: reads of ``sys_journal_field`` get 403, as many integration
      accounts do.
    - ``sla_forbidden``: reads of ``task_sla`` get 403 the same way (an account without the SLA
      tables' read role).
    - ``journal_filtered`` / ``sla_filtered``: the other way real instances enforce ACLs on
      ``sys_journal_field`` / ``task_sla``: a list read answers 200 with the rows the account may
      not read filtered out (here: every row; ``X-Total-Count`` still counts them, since the limit
      and the count apply before ACLs), and a read by sys_id answers 404 "No Record found". The
      record's own ``comments`` / ``work_notes`` display text is unaffected.
    - ``lookups_forbidden`` / ``lookups_filtered``: the same two modes for the tables a client
      looks names and choices up in, ``sys_user``, ``sys_user_group`` and ``sys_choice`` (an
      account with no read role on them). Only Table API reads of those tables are affected: the
      display values of references on other tables, and the instance's own use of them (who
      writes, the session zone, ``sysparm_input_display_value``), are not.
    - ``unreadable_columns``: field-level read ACLs the account fails, as ``table.column``
      names (``incident.assigned_to``, the name the ACL record itself has). Table API answers on
      that table, reads and writes alike, leave the column out: the key is absent, not ``""``,
      whatever ``sysparm_fields`` and ``sysparm_display_value`` say, as real instances answer
      an account that passes the table's ACL but not the field's. Dot-walks through such a
      column (``assigned_to.name``) are left out too.
    - ``hibernating``: every Table API path answers 200 with an HTML page.
    - ``fail_status``: answer every Table API request with this 5xx status.
    - ``fail_next``: only the next N requests fail, with ``fail_status`` or else 500.
    - ``fail_rate``: each request fails with 500 with this probability (0 to 1). A forced
      failure happens before the request is handled: nothing is written.
    - ``throttle_next`` / ``throttle_rate``: the next N requests, or each with this probability,
      get 429 "Rate limit exceeded" with ``Retry-After: throttle_retry_after_s`` (default 1),
      as a rate limit rule would (after authentication; nothing is written).
    - ``drop_next`` / ``drop_rate``: the next N requests, or each with this probability, are
      read and then the connection is closed without any answer. With ``drop_after_write``, a
      write (POST, PATCH, PUT, DELETE) is applied first, so the client cannot know it was.
    - ``seed``: seeds the draws of the ``*_rate`` switches (``None``: unpredictable).
    """

    latency_ms: int = 0
    hourly_limit: int | None = None
    journal_forbidden: bool = False
    sla_forbidden: bool = False
    journal_filtered: bool = False
    sla_filtered: bool = False
    lookups_forbidden: bool = False
    lookups_filtered: bool = False
    unreadable_columns: tuple[str, ...] = ()
    hibernating: bool = False
    fail_status: int | None = None
    fail_next: int = 0
    fail_rate: float = 0.0
    throttle_next: int = 0
    throttle_rate: float = 0.0
    throttle_retry_after_s: int = 1
    drop_next: int = 0
    drop_rate: float = 0.0
    drop_after_write: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        # How many of each fault were injected ("failure", "throttle", "drop"): a fault run
        # reports them, so that a run in which nothing went wrong cannot pass for a proof.
        self.injected: Counter[str] = Counter()

    def to_json(self) -> dict[str, Any]:
        """Every switch, except that the fault-run ones (``_QUIET``) appear only once set: the
        answer of an instance without them stays what clients of the control API knew."""
        return {
            name: value
            for name, value in asdict(self).items()
            if name not in _QUIET or value != _QUIET[name]
        }

    def merge(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, checking every value first; ``ValueError`` if any is bad."""
        checked = {name: _check(name, value) for name, value in changes.items()}
        for name, value in checked.items():
            setattr(self, name, value)
        if "seed" in checked:
            self._random = random.Random(self.seed)

    def forbids(self, table: str) -> bool:
        """Whether reads of ``table`` are refused with 403."""
        return (
            (table == "sys_journal_field" and self.journal_forbidden)
            or (table == "task_sla" and self.sla_forbidden)
            or (table in LOOKUP_TABLES and self.lookups_forbidden)
        )

    def filters_rows(self, table: str) -> bool:
        """Whether ACLs filter every row of ``table`` out of reads (answered 200, not 403)."""
        return (
            (table == "sys_journal_field" and self.journal_filtered)
            or (table == "task_sla" and self.sla_filtered)
            or (table in LOOKUP_TABLES and self.lookups_filtered)
        )

    def hides(self, table: str, path: str) -> bool:
        """Whether a field-level ACL keeps ``path`` (a column, or a dot-walk starting with one)
        of ``table`` out of answers."""
        return f"{table}.{path.split('.', 1)[0]}" in self.unreadable_columns

    def take_failure(self) -> int | None:
        """The status this request must fail with, consuming one of ``fail_next``."""
        status = self._failure()
        if status is not None:
            self.injected["failure"] += 1
        return status

    def _failure(self) -> int | None:
        if self.fail_next > 0:
            self.fail_next -= 1
            return self.fail_status or 500
        if self.fail_status is None and self._chance(self.fail_rate):
            return 500
        return self.fail_status

    def take_throttle(self) -> bool:
        """Whether this request gets a 429, consuming one of ``throttle_next``."""
        if self.throttle_next > 0:
            self.throttle_next -= 1
            throttled = True
        else:
            throttled = self._chance(self.throttle_rate)
        self.injected["throttle"] += throttled
        return throttled

    def take_drop(self) -> bool:
        """Whether this request's connection is dropped, consuming one of ``drop_next``."""
        if self.drop_next > 0:
            self.drop_next -= 1
            dropped = True
        else:
            dropped = self._chance(self.drop_rate)
        self.injected["drop"] += dropped
        return dropped

    def _chance(self, rate: float) -> bool:
        # No draw at rate 0, so switching one rate on does not shift another's sequence.
        return rate > 0 and self._random.random() < rate


_NAMES = {f.name for f in fields(Faults)}
_ORIGINAL = {
    "latency_ms",
    "hourly_limit",
    "journal_forbidden",
    "hibernating",
    "fail_status",
    "fail_next",
}
_QUIET = {f.name: f.default for f in fields(Faults) if f.name not in _ORIGINAL}
_BOOLEANS = {
    "journal_forbidden",
    "sla_forbidden",
    "journal_filtered",
    "sla_filtered",
    "lookups_forbidden",
    "lookups_filtered",
    "hibernating",
    "drop_after_write",
}
_RATES = {"fail_rate", "throttle_rate", "drop_rate"}
_NULLABLE = {"hourly_limit", "fail_status", "seed"}
_ACL_NAME = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")


def _check(name: str, value: Any) -> Any:
    if name not in _NAMES:
        raise ValueError(f"unknown fault {name!r}")
    if name in _BOOLEANS:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean")
        return value
    if name == "unreadable_columns":
        if not isinstance(value, list | tuple) or not all(
            isinstance(item, str) and _ACL_NAME.fullmatch(item) for item in value
        ):
            raise ValueError(f"{name} must be a list of table.column names")
        return tuple(value)
    if name in _RATES:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"{name} must be a probability from 0 to 1")
        return float(value)
    if value is None and name in _NULLABLE:
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
