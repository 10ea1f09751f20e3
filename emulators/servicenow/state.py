"""The emulated instance's state: tables, settings, tokens, faults and the request log.

One ``EmulatorState`` is one instance. Everything is in memory and synchronous, which is
safe because aiohttp runs handlers on one event loop thread. Stored values are always
strings; a row is a plain ``dict[str, str]`` holding every column of its table.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from emulators.servicenow import query as encoded
from emulators.servicenow.auth import TokenStore
from emulators.servicenow.config import EmulatorConfig
from emulators.servicenow.display import Field
from emulators.servicenow.faults import Faults, HourlyCounter
from emulators.servicenow.schema import TABLES, Column, Kind
from emulators.servicenow.seed import seed_accounts, seed_sample_data
from emulators.servicenow.session import DEFAULT_ZONE_PROPERTY

Clock = Callable[[], datetime]


@dataclass
class RecordedRequest:
    """One Table API or ``/oauth_token.do`` request as received (control API excluded).

    ``account`` is the user_name it authenticated as, ``None`` when it did not (or was
    refused before authentication). ``json`` is the parsed body, ``None`` when there was no
    JSON body (OAuth form bodies are not kept: they hold secrets).
    """

    method: str
    path: str
    table: str | None
    sys_id: str | None
    query: dict[str, str]
    json: Any | None
    account: str | None = None
    # Only headers that carry no secret: tracing and the request id (never Authorization).
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "table": self.table,
            "sys_id": self.sys_id,
            "query": self.query,
            "json": self.json,
            "account": self.account,
            "headers": self.headers,
        }


def new_sys_id() -> str:
    return secrets.token_hex(16)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class EmulatorState:
    """An emulated instance. ``clock`` (aware UTC ``datetime`` factory) lets tests move time
    for token expiry, rate-limit hours and business rules without sleeping."""

    def __init__(
        self, config: EmulatorConfig | None = None, seed: bool = True, clock: Clock | None = None
    ) -> None:
        self._initial_config = config or EmulatorConfig()
        self._seeded = seed
        self._clock = clock or _utc_now
        self.tokens = TokenStore()
        self.requests: list[RecordedRequest] = []
        self.reset()

    # -- lifecycle ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Reseed every table, restore the initial settings, clear faults and the request log.

        Issued OAuth tokens survive, so a running client keeps working across a reset.
        """
        self.config = self._initial_config
        self.faults = Faults()
        self.rate_counter = HourlyCounter()
        self.requests.clear()
        self._tables: dict[str, dict[str, dict[str, str]]] = {name: {} for name in TABLES}
        self._extra_columns: dict[str, list[str]] = {name: [] for name in TABLES}
        self._next_number = 10001
        if self._seeded:
            seed_sample_data(self)
        seed_accounts(self)

    def clear_requests(self) -> None:
        self.requests.clear()

    def now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(microsecond=0)

    def update_settings(self, changes: Mapping[str, Any]) -> None:
        """Change ``time_zone``, ``date_format``, ``time_format`` or ``token_lifetime_s``.

        ``ValueError`` (and nothing changed) when a name or value is not acceptable.
        """
        allowed = {"time_zone", "date_format", "time_format", "token_lifetime_s"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}")
        if "token_lifetime_s" in changes and not isinstance(changes["token_lifetime_s"], int):
            raise ValueError("token_lifetime_s must be an integer")
        for name in allowed - {"token_lifetime_s"}:
            if name in changes and not isinstance(changes[name], str):
                raise ValueError(f"{name} must be a string")
        self.config = replace(self.config, **changes)  # __post_init__ validates
        for account in self.config.accounts:
            user = self.find_row("sys_user", "user_name", account.user_name)
            if user is not None:
                user["time_zone"] = self.config.time_zone
        default_zone = self.find_row("sys_properties", "name", DEFAULT_ZONE_PROPERTY)
        if default_zone is not None:
            default_zone["value"] = self.config.time_zone

    # -- numbers and raw rows ----------------------------------------------------------------

    def next_number(self) -> str:
        number = f"INC{self._next_number:07d}"
        self._next_number += 1
        return number

    def set_next_number(self, value: int) -> None:
        self._next_number = value

    def insert_raw(self, table: str, record: Mapping[str, Any]) -> dict[str, str]:
        """Store a row as given, bypassing business rules, data policy and journals.

        For fixtures that the API cannot produce, e.g. two incidents sharing one number.
        Missing columns are ``""``; a missing ``sys_id`` is generated; columns the table lacks
        are added to it (every row then reads ``""`` for them). ``KeyError`` for an unknown
        table, ``ValueError`` for a sys_id already present.
        """
        rows = self._tables[table]
        row = {column.name: "" for column in self.columns(table)}
        for name, value in record.items():
            if name not in row:
                self.add_column(table, name)
            row[name] = "" if value is None else str(value)
        row["sys_id"] = row.get("sys_id") or new_sys_id()
        if row["sys_id"] in rows:
            raise ValueError(f"{table} already has a row {row['sys_id']}")
        rows[row["sys_id"]] = row
        return dict(row)

    def add_column(self, table: str, name: str) -> None:
        if name not in self._extra_columns[table] and TABLES[table].column(name) is None:
            self._extra_columns[table].append(name)
            for row in self._tables[table].values():
                row.setdefault(name, "")

    def put(self, table: str, row: dict[str, str]) -> None:
        """Store (insert or replace) a complete row, keyed by its ``sys_id``."""
        self._tables[table][row["sys_id"]] = row

    def delete(self, table: str, sys_id: str) -> bool:
        return self._tables[table].pop(sys_id, None) is not None

    # -- reading -----------------------------------------------------------------------------

    def records(self, table: str) -> list[dict[str, str]]:
        """Copies of the stored rows, in insertion order (for assertions)."""
        return [dict(row) for row in self._tables[table].values()]

    def rows(self, table: str) -> list[dict[str, str]]:
        """The live rows, in insertion order (callers must not mutate them)."""
        return list(self._tables[table].values())

    def get(self, table: str, sys_id: str) -> dict[str, str] | None:
        return self._tables.get(table, {}).get(sys_id)

    def find_row(self, table: str, column: str, value: str) -> dict[str, str] | None:
        return next((r for r in self._tables[table].values() if r.get(column) == value), None)

    def columns(self, table: str) -> list[Column]:
        return [*TABLES[table].columns, *(Column(n) for n in self._extra_columns[table])]

    def column_at(self, table: str, path: str) -> Column | None:
        """The column a (possibly dot-walked) path names, or ``None`` if it names none."""
        *hops, last = path.split(".")
        for hop in hops:
            column = self._column(table, hop)
            if column is None or column.kind is not Kind.REFERENCE or column.reference is None:
                return None
            table = column.reference
        return self._column(table, last)

    def field_at(self, table: str, row: Mapping[str, str], path: str) -> Field | None:
        """The value a path reads on a row; walking through an empty reference reads ``""``."""
        column = self.column_at(table, path)
        if column is None:
            return None
        *hops, last = path.split(".")
        current: Mapping[str, str] | None = row
        for hop in hops:
            reference = self._column(table, hop)
            assert reference is not None and reference.reference is not None
            table = reference.reference
            current = self.get(table, current.get(hop, "")) if current else None
        if current is None:
            return Field(column, "", "")
        return Field(column, current.get(last, ""), current.get("sys_id", ""))

    def select(
        self,
        table: str,
        query_text: str,
        limit: int,
        offset: int,
        filters: Mapping[str, str] | None = None,
    ) -> tuple[list[dict[str, str]], int]:
        """One page of the rows matching an encoded query ANDed with ``column=value``
        ``filters``, and the total number matching. ``query.InvalidQuery`` for a condition on
        a known column that cannot be evaluated (conditions on unknown columns are dropped)."""
        query = (
            encoded.parse(query_text)
            .and_equal(filters or {})
            .restricted_to(lambda path: self.column_at(table, path) is not None)
        )

        def value_of(row: Mapping[str, str]) -> Callable[[str], str]:
            def read(path: str) -> str:
                if "." not in path:
                    return row.get(path, "")
                found = self.field_at(table, row, path)
                return "" if found is None else found.stored

            return read

        matching = [row for row in self.rows(table) if query.matches(value_of(row))]
        for order in reversed(query.order_by):
            column = self.column_at(table, order.column)
            numeric = column is not None and column.kind is Kind.INTEGER

            def key(
                row: Mapping[str, str], path: str = order.column, numeric: bool = numeric
            ) -> tuple[int, float | str]:
                return _sort_key(value_of(row)(path), numeric)

            matching.sort(key=key, reverse=order.descending)
        return matching[offset : offset + limit], len(matching)

    def find_by_display_value(self, table: str, text: str) -> str | None:
        """The sys_id a reference written as a display value means (with
        ``sysparm_input_display_value=true``): the sys_id of an existing record as given, else
        the first record whose display column (``name`` for users and groups; never
        ``user_name`` or ``email``) equals ``text`` without regard to case, as an instance's
        query on that column matches. Which of several equal names an instance picks is not
        documented; the emulator takes the first stored. ``None``: no such record."""
        if text in self._tables[table]:
            return text
        wanted = text.casefold()
        display = TABLES[table].display_column
        for row in self._tables[table].values():
            if row.get(display, "").casefold() == wanted:
                return row["sys_id"]
        return None

    # -- lookups for rendering (display.Lookups) ---------------------------------------------

    def reference_display(self, table: str, sys_id: str) -> str | None:
        row = self.get(table, sys_id)
        return None if row is None else row.get(TABLES[table].display_column, "")

    def journal_rows(self, element_id: str, element: str) -> list[dict[str, str]]:
        return [
            row
            for row in self._tables["sys_journal_field"].values()
            if row["element_id"] == element_id and row["element"] == element
        ]

    def user_full_name(self, user_name: str) -> str:
        user = self.find_row("sys_user", "user_name", user_name)
        return user["name"] if user is not None and user["name"] else user_name

    def _column(self, table: str, name: str) -> Column | None:
        if table not in TABLES:
            return None
        return TABLES[table].column(name) or (
            Column(name) if name in self._extra_columns[table] else None
        )


def _sort_key(value: str, numeric: bool) -> tuple[int, float | str]:
    if numeric:
        try:
            return (1, float(value))
        except ValueError:
            return (0, 0.0)
    return (1 if value else 0, value.casefold())
