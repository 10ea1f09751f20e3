"""The canonical ``TicketFilter`` as a ServiceNow encoded query (``sysparm_query``), and the
page position as ``sysparm_offset``.

Nothing a caller sends is concatenated raw: each value is first checked against what the encoded
query can carry (``client.QUERY_UNSAFE``: no ``^``, ``=``, ``,`` or control character, and no
``javascript:`` value, which an instance would run), else ``BadInput`` naming the filter key.
People and groups are looked up as a write looks them up (``servicenow.directory``: a user name,
email, display name or sys_id, as the ``sys_id``), statuses and priorities become their
``sys_choice`` codes (or the connector's own, when the account may not read ``sys_choice``), and
times are stored-form UTC literals (``sys_created_on>=2026-01-02 03:04:05``), never a
``javascript:gs.dateGenerate(...)`` expression.

ServiceNow silently drops a condition it cannot read and answers a wider list, so the connector
checks again what it can from the row it reads anyway (numbers; the correlation id, whose column
it then reads).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.errors import BadInput
from connectors.search import Order, SearchRequest, SortField
from connectors.servicenow.client import QUERY_UNSAFE
from connectors.servicenow.directory import SYS_ID, Choice, Directory, all_of
from connectors.servicenow.writes import STATES, choice_code

# The furthest offset accepted in a position: beyond it ServiceNow's own paging is slow, and a
# cursor claiming more was not given out by this gateway.
MAX_OFFSET = 1_000_000

ORDER_COLUMNS: Mapping[SortField, str] = {
    SortField.TICKET_NUMBER: "number",
    SortField.CREATED_TIME: "sys_created_on",
    SortField.UPDATED_TIME: "sys_updated_on",
    SortField.TICKET_PRIORITY: "priority",
}
# A base instance's priorities, for an account that may not read sys_choice.
PRIORITIES: Mapping[str, str] = {
    "critical": "1",
    "high": "2",
    "moderate": "3",
    "low": "4",
    "planning": "5",
}
_SCRIPT = re.compile(r"\s*javascript\s*:", re.IGNORECASE)
_STORED = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True)
class EncodedSearch:
    """What one page's row call sends: ``query`` (conditions and ordering) and ``offset``;
    ``numbers`` and ``correlation_id`` to check each answered row against again."""

    query: str
    offset: int
    numbers: frozenset[str] = frozenset()
    correlation_id: str | None = None


def safe(key: str, value: str) -> str:
    """``value`` when the encoded query can carry it as it is; ``BadInput`` naming ``key``."""
    if not value.strip():
        raise BadInput(f"filter.{key} must not be empty")
    if QUERY_UNSAFE.search(value) or _SCRIPT.match(value):
        raise BadInput(
            f"filter.{key} {value[:80]!r} cannot be searched in ServiceNow: its encoded query "
            "cannot carry ^, =, commas, line breaks or a javascript: value"
        )
    return value.strip()


def offset_of(position: str | None) -> int:
    """The offset a position stands for; ``BadInput`` for one this connector never gave out."""
    if position is None:
        return 0
    if not (position.isascii() and position.isdigit()) or int(position) > MAX_OFFSET:
        raise BadInput("after is not a cursor of this search")
    return int(position)


def stored_time(moment: datetime) -> str:
    """An aware datetime as ServiceNow stores it: UTC ``YYYY-MM-DD HH:MM:SS``."""
    return moment.astimezone(UTC).strftime(_STORED)


async def encoded_search(
    request: SearchRequest, directory: Directory | None, table: str
) -> EncodedSearch:
    """The query for ``request`` (``BadInput`` naming the filter key of a value that cannot be
    searched, or that names no person, group or choice), with the lookups it needs made
    concurrently (one ``sys_choice`` call at most, cached, and one per person or group)."""
    wanted = request.filter
    numbers = tuple(safe("numbers", n) for n in wanted.numbers)
    people = {
        key: safe(key, value)
        for key, value in (
            ("assignedTo", wanted.assigned_to),
            ("caller", wanted.caller),
            ("assignedGroup", wanted.assigned_group),
        )
        if value is not None
    }
    statuses = [safe("statuses", s) for s in wanted.statuses]
    priorities = [safe("priorities", p) for p in wanted.priorities]
    correlation_id = safe("correlationId", wanted.correlation_id) if wanted.correlation_id else None
    text = safe("text", wanted.text) if wanted.text is not None else None
    offset = offset_of(request.position)

    choices = await _choices(directory, table, statuses, priorities)
    sys_ids = await _references(directory, people)
    conditions: list[str] = []
    if numbers:
        conditions.append(f"numberIN{','.join(numbers)}")
    if statuses:
        codes = [_code("statuses", "state", s, choices.get("state", ()), STATES) for s in statuses]
        conditions.append(f"stateIN{','.join(codes)}")
    if priorities:
        codes = [
            _code("priorities", "priority", p, choices.get("priority", ()), PRIORITIES)
            for p in priorities
        ]
        conditions.append(f"priorityIN{','.join(codes)}")
    for key, column in (
        ("assignedTo", "assigned_to"),
        ("assignedGroup", "assignment_group"),
        ("caller", "caller_id"),
    ):
        if key in sys_ids:
            conditions.append(f"{column}={sys_ids[key]}")
    if correlation_id is not None:
        conditions.append(f"correlation_id={correlation_id}")
    for bound in wanted.time_bounds():
        conditions.append(
            f"{ORDER_COLUMNS[bound.field]}{bound.operator}{stored_time(bound.moment)}"
        )
    if wanted.active is not None:
        conditions.append(f"active={'true' if wanted.active else 'false'}")
    if text is not None:
        conditions.append(f"short_descriptionLIKE{text}")
    conditions.extend(_ordering(request.order))
    return EncodedSearch(
        query="^".join(conditions),
        offset=offset,
        numbers=frozenset(n.casefold() for n in numbers),
        correlation_id=correlation_id,
    )


def _ordering(order: Sequence[Order]) -> list[str]:
    return [
        f"ORDERBY{'DESC' if item.descending else ''}{ORDER_COLUMNS[item.field]}" for item in order
    ]


async def _choices(
    directory: Directory | None, table: str, statuses: list[str], priorities: list[str]
) -> Mapping[str, tuple[Choice, ...]]:
    columns = [c for c, asked in (("state", statuses), ("priority", priorities)) if asked]
    if directory is None or not columns:
        return {}
    return await directory.choices(table, columns)


async def _references(directory: Directory | None, people: Mapping[str, str]) -> dict[str, str]:
    """Each person's or group's sys_id; without a directory, only sys_ids are taken."""
    if directory is None:
        for key, value in people.items():
            if not SYS_ID.fullmatch(value):
                raise BadInput(f"filter.{key} must be a sys_id here")
        return dict(people)
    keys = list(people)
    sys_ids = await all_of(
        directory.group(f"filter.{key}", people[key])
        if key == "assignedGroup"
        else directory.person(f"filter.{key}", people[key])
        for key in keys
    )
    return dict(zip(keys, sys_ids, strict=True))


def _code(
    key: str, column: str, value: str, choices: Sequence[Choice], known: Mapping[str, str]
) -> str:
    """A choice's code from the instance's ``sys_choice`` rows, else from the connector's
    own labels (``known``); codes pass through (instances add their own)."""
    if choices:
        return choice_code(f"filter.{key}", column, value, choices)
    if value.isascii() and value.isdigit():
        return value
    label = value.casefold()
    label = label.split(" - ", 1)[1] if " - " in label else label
    code = known.get(label)
    if code is None:
        raise BadInput(
            f"filter.{key} {value!r} is not a {column} of ServiceNow; use one of "
            f"{', '.join(known)} or a code"
        )
    return code


def row_matches(search: EncodedSearch, number: str, correlation_id: str) -> bool:
    """Whether an answered row really matches what the connector can check again."""
    if search.numbers and number.casefold() not in search.numbers:
        return False
    return search.correlation_id is None or correlation_id == search.correlation_id
