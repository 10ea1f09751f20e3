"""Search and list: the doors' filter, order and paging made canonical, and the opaque cursor.

Both doors hand the use case the filter as a mapping of its canonical names (``numbers``,
``statuses``, ``priorities``, ``assignedTo``, ``assignedGroup``, ``caller``, ``correlationId``,
``createdAfter``, ``createdBefore``, ``updatedAfter``, ``updatedBefore``, ``active``, ``text``):
``parse_filter`` is the one place its values are checked (``BadInput`` naming the key).

A cursor is base64url JSON ``{"q": <query digest>, "p": <position>, "s": <skip>}``:

- ``q`` binds it to its query: a digest of the tool, instance, table, the account's non-secret
  identity (never a secret, and the same in every replica), the filter and the order. A cursor
  reused with another filter, order or connection is a 400.
- ``p`` is the connector's own position of a page (an offset, a page token), ``None`` for the
  first; ``s`` how many tickets of that page come before the cursor. An edge's cursor is its
  page's position and its index, so paging ``after`` any edge neither repeats nor skips a
  ticket: the use case asks for ``s`` more and drops them (``s`` is at most the page size bound).

The connector sees only positions it gave out, yet checks each (a cursor is caller input).

A field a tool can read but its search cannot list (``Capabilities.unlisted``) is a 400 naming it
only when the caller named it; "every field" (REST without ``ticketFields``) leaves it empty
(``listed_fields``). No connector has one today: Jira's SLA time left was the last.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import orjson

from connectors.capabilities import Capabilities
from connectors.connection import Connection
from connectors.connection_keys import CREDENTIAL_KEYS
from connectors.errors import BadInput
from connectors.fields import TicketField
from connectors.model import Ticket
from connectors.search import (
    DEFAULT_ORDER,
    Order,
    SearchingConnector,
    SearchRequest,
    SortField,
    TicketFilter,
)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100  # ITSM_GATEWAY_MAX_PAGE_SIZE
MAX_FILTER_VALUES = 100  # values in one list of the filter (numbers, statuses, priorities)
MAX_VALUE_LENGTH = 256
_MAX_CURSOR_LENGTH = 2048

_LISTS = {"numbers": "numbers", "statuses": "statuses", "priorities": "priorities"}
_TEXTS = {
    "assignedTo": "assigned_to",
    "assignedGroup": "assigned_group",
    "caller": "caller",
    "correlationId": "correlation_id",
    "text": "text",
}
_TIMES = {
    "createdAfter": "created_after",
    "createdBefore": "created_before",
    "updatedAfter": "updated_after",
    "updatedBefore": "updated_before",
}
FILTER_KEYS = (*_LISTS, *_TEXTS, *_TIMES, "active")
_SORT_FIELDS = {field.value: field for field in SortField}


@dataclass(frozen=True, slots=True)
class PageLimits:
    """The page size when a caller names none, and the largest a caller may ask for."""

    default: int = DEFAULT_PAGE_SIZE
    maximum: int = MAX_PAGE_SIZE

    def size(self, first: int | None) -> int:
        if first is None:
            return min(self.default, self.maximum)
        if first < 1 or first > self.maximum:
            raise BadInput(f"first must be between 1 and {self.maximum}")
        return first


def listed_fields(
    capabilities: Capabilities, fields: frozenset[TicketField], *, named: bool
) -> frozenset[TicketField]:
    """What a search reads of ``fields``: all of them but those the tool's search cannot list,
    which are left empty, unless the caller ``named`` them (then ``BadInput`` naming each and
    why, before any ITSM call)."""
    cannot = [field for field in TicketField if field in fields and field in capabilities.unlisted]
    if cannot and named:
        reasons = "; ".join(f"{field.value}: {capabilities.unlisted[field]}" for field in cannot)
        raise BadInput(
            f"ticketFields: a {capabilities.name} search cannot list {reasons}; fetch the "
            "ticket for it, or leave it out"
        )
    return fields - frozenset(cannot)


def parse_filter(raw: Mapping[str, Any] | None) -> TicketFilter:
    """The canonical filter from what a door sent (``None`` or ``{}``: every ticket). Lists take
    strings, people and text a string, times an ISO 8601 date time with its offset (or a
    ``datetime`` that has one), ``active`` a boolean; a ``None`` value is no condition."""
    given = {key: value for key, value in (raw or {}).items() if value is not None}
    unknown = sorted(set(given) - set(FILTER_KEYS))
    if unknown:
        raise BadInput(
            f"filter has unknown keys: {', '.join(unknown)}; valid keys are "
            f"{', '.join(FILTER_KEYS)}"
        )
    values: dict[str, Any] = {}
    for key, attribute in _LISTS.items():
        if key in given:
            values[attribute] = _strings(key, given[key])
    for key, attribute in _TEXTS.items():
        if key in given:
            values[attribute] = _string(key, given[key])
    for key, attribute in _TIMES.items():
        if key in given:
            values[attribute] = _time(key, given[key])
    if "active" in given:
        if not isinstance(given["active"], bool):
            raise BadInput("filter.active must be true or false")
        values["active"] = given["active"]
    return TicketFilter(**values)


def parse_order(raw: Sequence[Mapping[str, Any]] | None) -> tuple[Order, ...]:
    """``[{"field": "createdTime", "descending": true}, ...]``; none: ``DEFAULT_ORDER``. The
    ticket number is added last when absent, so that the order is total (equal times never
    make paging show a ticket twice or skip one)."""
    if not raw:
        return DEFAULT_ORDER
    order: list[Order] = []
    for item in raw:
        name = item.get("field")
        if not isinstance(name, str) or name not in _SORT_FIELDS:
            raise BadInput(f"orderBy.field must be one of {', '.join(_SORT_FIELDS)}")
        descending = item.get("descending", False)
        if not isinstance(descending, bool):
            raise BadInput("orderBy.descending must be true or false")
        order.append(Order(_SORT_FIELDS[name], descending))
    if len({o.field for o in order}) != len(order):
        raise BadInput("orderBy names a field more than once")
    if all(o.field is not SortField.TICKET_NUMBER for o in order):
        order.append(Order(SortField.TICKET_NUMBER))
    return tuple(order)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page starts: the connector's ``position`` and how many of its tickets to skip."""

    digest: str
    position: str | None
    skip: int = 0

    def encode(self) -> str:
        body = orjson.dumps({"q": self.digest, "p": self.position, "s": self.skip})
        return base64.urlsafe_b64encode(body).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, digest: str, limits: PageLimits) -> Cursor:
        """The cursor ``text`` stands for, which must belong to the query ``digest``."""
        if len(text) > _MAX_CURSOR_LENGTH:
            raise BadInput("after is not a cursor this gateway gave out")
        try:
            data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (binascii.Error, ValueError):
            raise BadInput("after is not a cursor this gateway gave out") from None
        if not isinstance(data, dict):
            raise BadInput("after is not a cursor this gateway gave out")
        position, skip = data.get("p"), data.get("s")
        if (
            not isinstance(data.get("q"), str)
            or not (position is None or isinstance(position, str))
            or not isinstance(skip, int)
            or isinstance(skip, bool)
            or not 0 <= skip <= limits.maximum
        ):
            raise BadInput("after is not a cursor this gateway gave out")
        if data["q"] != digest:
            raise BadInput(
                "after is a cursor of another search: page with the same connection, filter "
                "and orderBy it was given for, or start again without after"
            )
        return cls(digest, position, skip)


def query_digest(connection: Connection, table: str, wanted: TicketFilter, order: Any) -> str:
    """What binds a cursor to its query (see the module docstring). No secret goes in: only
    the credential keys that are not secret (user names, client ids) name the account."""
    credentials = connection.credentials
    account = [credentials.auth_type.value] + [
        credentials.value(key) or "" for key in CREDENTIAL_KEYS if not key.secret
    ]
    material = orjson.dumps(
        [connection.itsm_type, connection.instance_url, table, account, repr(wanted), repr(order)]
    )
    return hashlib.sha256(material).hexdigest()[:32]


def _strings(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise BadInput(f"filter.{key} must be a non-empty list of strings")
    if len(value) > MAX_FILTER_VALUES:
        raise BadInput(f"filter.{key} takes at most {MAX_FILTER_VALUES} values")
    return tuple(_string(key, item) for item in value)


def _string(key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"filter.{key} must be a non-empty string")
    if len(value) > MAX_VALUE_LENGTH:
        raise BadInput(f"filter.{key} is too long; at most {MAX_VALUE_LENGTH} characters")
    return value.strip()


def _time(key: str, value: object) -> datetime:
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise BadInput(
            f"filter.{key} must be an ISO 8601 date time with its offset, e.g. 2026-01-02T03:04:05Z"
        )
    return moment


@dataclass(frozen=True, slots=True)
class SearchEdge:
    ticket: Ticket
    cursor: str  # resumes right after this ticket


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """One page: its tickets with their cursors, what the caller asked for of each (``fields``:
    exactly what the doors return), whether more follow, and how many match in all when the
    tool says (``total``)."""

    edges: tuple[SearchEdge, ...]
    fields: frozenset[TicketField]
    noun: str
    has_next_page: bool
    end_cursor: str | None
    total: int | None


async def search_page(
    connector: SearchingConnector,
    *,
    wanted: TicketFilter,
    order: tuple[Order, ...],
    size: int,
    start: Cursor,
    fields: Set[TicketField],
    zone: tzinfo,
) -> tuple[tuple[SearchEdge, ...], str | None, int | None]:
    """``size`` tickets from ``start``: ``(edges, end cursor, total)``; the end cursor is
    ``None`` after the last page. Asks for ``start.skip`` more and drops them (see the module
    docstring)."""
    request = SearchRequest(wanted, order, size + start.skip, start.position)
    page = await connector.search(request, fields, zone)
    edges = tuple(
        SearchEdge(ticket, Cursor(start.digest, start.position, start.skip + index + 1).encode())
        for index, ticket in enumerate(page.tickets[start.skip :])
    )
    following = None if page.position is None else Cursor(start.digest, page.position).encode()
    if edges and following is not None:
        edges = (*edges[:-1], SearchEdge(edges[-1].ticket, following))
    return edges, following, page.total
