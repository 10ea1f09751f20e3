"""Lookups before a write and after a read: people, groups, choices and display names, each one
Table API GET, cached per instance and account (``DirectoryCache``, owned by the factory, for
``ttl`` seconds; ``aclose`` clears it).

- ``person``: ``assignedTo`` / ``callerId`` as a ``sys_user`` sys_id. A 32-hex value passes as
  is (no call); anything else is one query for an active user whose ``user_name``, ``email`` or
  ``name`` is the value. A user name match wins over an email match, which wins over a name
  match (user names are unique on an instance; display names are not).
- ``group``: ``assignedGroup`` as a ``sys_user_group`` sys_id, by the active group's ``name``.
- ``choices``: the active ``sys_choice`` rows (language ``en``) of some columns, in one call.
  A column with none (not a choice column, or the account may not read ``sys_choice``) has
  ``()``, and the caller falls back to what the connector knows (``servicenow.writes``).
- ``display_names``: ``sys_user.name`` for user names (``sys_created_by`` and the journal
  rows' authors are user names), one call for all of an answer's; when refused, the user name.

Never trust the filter: ServiceNow silently drops a query part it cannot read and answers a wider
result, so every answered row is checked to really match before it counts. Values that would
change the encoded query (``client.QUERY_UNSAFE``) are refused (people, groups) or skipped.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from connectors.errors import BadInput
from connectors.servicenow.answers import AccessDenied
from connectors.servicenow.client import QUERY_UNSAFE
from connectors.servicenow.mapping import cell
from connectors.servicenow.ttl_cache import TtlCache

log = logging.getLogger(__name__)

DEFAULT_TTL = 300.0  # seconds: people and choices change rarely, but do change
SYS_ID = re.compile(r"[0-9a-fA-F]{32}")
_COLUMN = re.compile(r"[A-Za-z0-9_]+")
_CANDIDATES_SHOWN = 10
# Entries per kind of lookup: people, groups and columns across every account callers bring.
MAX_ENTRIES = 4096

Call = Callable[[str, Mapping[str, str]], Awaitable[Any]]
Key = tuple[str, ...]
T = TypeVar("T")

# The roles are those of a base instance; an instance's own ACLs may differ.
_READ_ROLE = {
    "sys_user": "read on sys_user (a role such as itil, or an ACL on sys_user)",
    "sys_user_group": "read on sys_user_group (a role such as itil, or an ACL on sys_user_group)",
}


@dataclass(frozen=True, slots=True)
class Choice:
    """One ``sys_choice`` row: the stored ``value`` (the code) and its ``label``."""

    value: str
    label: str


@dataclass
class DirectoryCache:
    """What the factory keeps between requests: sys_ids of people and groups by the value a
    caller gave, each column's choices, each user name's display name; and the accounts already
    warned about a refused table (a WARNING once per account, not per request)."""

    ttl: float = DEFAULT_TTL
    clock: Callable[[], float] | None = None
    references: TtlCache[Key, str] = field(init=False)
    choices: TtlCache[Key, tuple[Choice, ...]] = field(init=False)
    names: TtlCache[Key, str] = field(init=False)
    warned: set[Key] = field(default_factory=set)

    def __post_init__(self) -> None:
        kwargs: dict[str, Any] = {"ttl": self.ttl, "max_entries": MAX_ENTRIES}
        if self.clock is not None:
            kwargs["clock"] = self.clock
        self.references = TtlCache(**kwargs)
        self.choices = TtlCache(**kwargs)
        self.names = TtlCache(**kwargs)

    def clear(self) -> None:
        self.references.clear()
        self.choices.clear()
        self.names.clear()
        self.warned.clear()


class Directory:
    """The lookups of one request, through ``call`` (a Table API GET giving the ``result``), for
    the account ``account`` (``ttl_cache.account_key``) of the instance at ``host``."""

    def __init__(self, cache: DirectoryCache, account: Key, call: Call, *, host: str) -> None:
        self._cache = cache
        self._account = account
        self._call = call
        self._host = host

    async def person(self, name: str, value: str) -> str:
        """The sys_id of the active user ``value`` names; ``BadInput`` when none or several do,
        or when the account may not read ``sys_user``. ``name`` is the caller's field name."""
        query = "user_name={0}^ORemail={0}^ORname={0}^active=true"
        fields = "sys_id,user_name,email,name,active"
        return await self._reference(name, value, "sys_user", query, fields, _pick_person)

    async def group(self, name: str, value: str) -> str:
        """The sys_id of the active group named ``value``; ``BadInput`` as for ``person``."""
        query, fields = "name={0}^active=true", "sys_id,name,active"
        return await self._reference(name, value, "sys_user_group", query, fields, _pick_group)

    async def choices(self, table: str, columns: Iterable[str]) -> dict[str, tuple[Choice, ...]]:
        """Each column's active choices, ``()`` for a column with none or when ``sys_choice``
        is refused (logged once per account). One call for the columns not cached."""
        wanted = sorted({c for c in columns if _COLUMN.fullmatch(c)})
        found: dict[str, tuple[Choice, ...]] = {}
        for column in wanted:
            cached = self._cache.choices.get((*self._account, table, column))
            if cached is not None:
                found[column] = cached
        missing = [column for column in wanted if column not in found]
        if missing and _COLUMN.fullmatch(table):
            params = {
                "sysparm_query": (
                    f"name={table}^elementIN{','.join(missing)}^inactive=false^language=en"
                    "^ORDERBYsequence"
                ),
                "sysparm_fields": "name,element,value,label,inactive,language",
                "sysparm_display_value": "false",
            }
            try:
                rows = _rows(await self._call("sys_choice", params))
            except AccessDenied:
                self._warn_once("sys_choice", "choices are checked against the gateway's own")
                rows = []
            for column in missing:
                found[column] = tuple(
                    Choice(cell(row, "value")[1], cell(row, "label")[1])
                    for row in rows
                    if cell(row, "name")[1] == table
                    and cell(row, "element")[1] == column
                    and cell(row, "inactive")[1] != "true"
                    and cell(row, "language")[1] in ("en", "")
                )
                self._cache.choices.put((*self._account, table, column), found[column])
        return {column: found.get(column, ()) for column in columns}

    async def display_names(self, user_names: Iterable[str]) -> dict[str, str]:
        """``sys_user.name`` of each user name (the user name itself when it has none, is not
        a user, or ``sys_user`` is refused). One call for those not cached."""
        names: dict[str, str] = {}
        for user_name in {u for u in user_names if u}:
            cached = self._cache.names.get((*self._account, user_name))
            if cached is not None:
                names[user_name] = cached
        missing = sorted(
            u for u in set(user_names) - set(names) if u and not QUERY_UNSAFE.search(u)
        )
        if missing:
            params = {
                "sysparm_query": f"user_nameIN{','.join(missing)}",
                "sysparm_fields": "user_name,name",
                "sysparm_display_value": "false",
                "sysparm_limit": str(2 * len(missing)),
            }
            try:
                rows = _rows(await self._call("sys_user", params))
            except AccessDenied:
                self._warn_once("sys_user", "people are answered by their user names")
                rows = []
            by_user = {cell(row, "user_name")[1].casefold(): cell(row, "name")[1] for row in rows}
            for user_name in missing:
                names[user_name] = by_user.get(user_name.casefold()) or user_name
                self._cache.names.put((*self._account, user_name), names[user_name])
        return {u: names.get(u, u) for u in user_names if u}

    async def _reference(
        self,
        name: str,
        value: str,
        table: str,
        query: str,
        fields: str,
        pick: Callable[[str, str, list[Mapping[str, Any]]], str | list[str]],
    ) -> str:
        """A sys_id passes as is; anything else is ``query`` (``{0}`` the value) on ``table``,
        one row of which ``pick`` must choose."""
        value = value.strip()
        if SYS_ID.fullmatch(value):
            return value
        if not value or QUERY_UNSAFE.search(value):
            raise BadInput(
                f"{name} {value!r} cannot be looked up in ServiceNow's {table}: give a name "
                "without ^, =, commas or line breaks, or the sys_id"
            )
        key = (*self._account, table, value.casefold())
        cached = self._cache.references.get(key)
        if cached is not None:
            return cached
        try:
            params = {
                "sysparm_query": query.format(value),
                "sysparm_fields": fields,
                "sysparm_display_value": "false",
                "sysparm_limit": "20",
            }
            rows = _rows(await self._call(table, params))
        except AccessDenied:
            raise BadInput(
                f"{name} {value!r} cannot be looked up: ServiceNow at {self._host} refused the "
                f"gateway's account {table}; the account needs {_READ_ROLE[table]}. Nothing was "
                "written; give the sys_id instead, or grant the account that read"
            ) from None
        picked = pick(name, value, rows)
        if isinstance(picked, str):
            self._cache.references.put(key, picked)
            return picked
        kind = "user" if table == "sys_user" else "group"
        if not picked:
            how = "by user name, email or name" if kind == "user" else "by name"
            raise BadInput(
                f"{name} {value!r} matches no active ServiceNow {kind} ({how}); give the "
                f"{kind}'s {'user name, email' if kind == 'user' else 'name'} or its sys_id"
            )
        shown = ", ".join(picked[:_CANDIDATES_SHOWN])
        more = (
            f" and {len(picked) - _CANDIDATES_SHOWN} more"
            if len(picked) > _CANDIDATES_SHOWN
            else ""
        )
        raise BadInput(
            f"{name} {value!r} matches {len(picked)} active ServiceNow {kind}s: {shown}{more}; "
            f"give the {'user name or the ' if kind == 'user' else ''}sys_id"
        )

    def _warn_once(self, table: str, consequence: str) -> None:
        key = (*self._account, table)
        if key in self._cache.warned:
            return
        self._cache.warned.add(key)
        log.warning(
            "ServiceNow at %s refused the gateway's account %s (403); %s",
            self._host,
            table,
            consequence,
        )


async def all_of(jobs: Iterable[Awaitable[T]]) -> list[T]:
    """Run ``jobs`` concurrently; all finish before the first error (in order) is raised, as
    ``connectors.http.together`` does for two or three jobs."""
    results: list[T] = []
    for outcome in await asyncio.gather(*jobs, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome
        results.append(outcome)
    return results


def _rows(result: object) -> list[Mapping[str, Any]]:
    if not isinstance(result, list):
        return []
    return [row for row in result if isinstance(row, Mapping)]


def _active(row: Mapping[str, Any]) -> bool:
    return cell(row, "active")[1] == "true"


def _pick_person(name: str, value: str, rows: list[Mapping[str, Any]]) -> str | list[str]:
    """The one sys_id, or the candidates (possibly none) as ``Name (user_name, email)``."""
    wanted = value.strip().casefold()
    active = [row for row in rows if _active(row) and SYS_ID.fullmatch(cell(row, "sys_id")[1])]
    for column in ("user_name", "email", "name"):
        matches = [row for row in active if cell(row, column)[1].strip().casefold() == wanted]
        if len(matches) == 1:
            return cell(matches[0], "sys_id")[1]
        if matches:
            return [
                f"{cell(r, 'name')[1]} ({cell(r, 'user_name')[1]}, {cell(r, 'email')[1]})"
                for r in matches
            ]
    return []


def _pick_group(name: str, value: str, rows: list[Mapping[str, Any]]) -> str | list[str]:
    wanted = value.strip().casefold()
    matches = [
        row
        for row in rows
        if _active(row)
        and SYS_ID.fullmatch(cell(row, "sys_id")[1])
        and cell(row, "name")[1].strip().casefold() == wanted
    ]
    if len(matches) == 1:
        return cell(matches[0], "sys_id")[1]
    return [f"{cell(r, 'name')[1]} ({cell(r, 'sys_id')[1]})" for r in matches]
