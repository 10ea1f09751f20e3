"""Searching RT tickets (``connectors.search``) over REST 2.0.

A page is one ticket search, ``GET /tickets?query=<TicketSQL>&fields=...&page=&per_page=`` with
``orderby``/``order`` pairs (``connectors.rt.ticketsql``), asking only for the columns the fields
need and expanding references in the same answer (``connectors.rt.mapping``). A connection
profile's queues are a condition of the query, and every answered ticket is checked against
them too.

When the fields need the history (notes, the description, who resolved), it is read for all the
page's tickets together, never per ticket: one transaction search,
``GET /transactions?query=ObjectType = 'RT::Ticket' AND (ObjectId = 1 OR ...) AND (Type = ...)``
(TransactionSQL, REST 2.0's ``QueryBySQL``; only the types the fields are read from) and, when
the notes' text is needed, one attachment search,
``GET /attachments?query=[{"field": "TransactionId", "operator": "IN", "value": [...]}]``
(REST 2.0's JSON search: attachments have no ticket to search by, so this one waits for the
transaction ids). Each is one call per 100 entries.

Positions are ``<page>:<per_page>``: the page size of the first page holds for the pages after
it, so that a caller asking a different ``first`` later still sees every ticket once.
``SearchPage.total`` is RT's ``total``, which RT gives when it checks rights in SQL
(``$UseSQLForACLChecks``, RT 5's default) or the account may see every ticket; without it RT
leaves the tickets the account may not see out of each page, so a short page is not the last
and paging ends with an empty one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

from connectors.errors import BadInput, ItsmError
from connectors.fields import ORDERED_FIELDS, TicketField
from connectors.model import Ticket
from connectors.rt.capabilities import REQUEST_TRACKER
from connectors.rt.client import MAX_PAGES, PER_PAGE, Answer, RestClient
from connectors.rt.mapping import (
    ATTACHMENT_COLUMNS,
    EXPANSIONS,
    HISTORY_COLUMNS,
    HISTORY_EXPANSIONS,
    HISTORY_FIELDS,
    TEXT_FIELDS,
    text,
    texts,
    ticket_columns,
    transactions,
    values_from_history,
    values_from_item,
)
from connectors.rt.ticketsql import build_ticketsql, order_params
from connectors.search import SearchPage, SearchRequest

_POSITION = re.compile(r"([1-9][0-9]{0,6}):([1-9][0-9]{0,2})")
_TEXT_TYPES = frozenset({"Create", "Comment", "Correspond"})


def _position(request: SearchRequest) -> tuple[int, int]:
    """``(page, per_page)`` of the asked page."""
    if request.position is None:
        return 1, max(1, min(request.first, PER_PAGE))
    match = _POSITION.fullmatch(request.position)
    if match is None or int(match[2]) > PER_PAGE:
        raise BadInput("after: not a position this search gave")
    return int(match[1]), int(match[2])


async def search_tickets(
    client: RestClient,
    request: SearchRequest,
    fields: Set[TicketField],
    *,
    queues: frozenset[str] | None,
) -> SearchPage:
    """One page of the tickets matching ``request``, in the profile's ``queues`` (casefolded
    names; ``None``: every queue the account sees)."""
    page, per_page = _position(request)
    query = build_ticketsql(request.filter, queues=queues)
    fields = {f for f in fields if f in REQUEST_TRACKER.readable}
    columns = sorted(ticket_columns(fields) | ({"Queue"} if queues is not None else set()))
    params: list[tuple[str, str]] = [("query", query)]
    if columns:
        params.append(("fields", ",".join(columns)))
    params += [(f"fields[{c}]", EXPANSIONS[c]) for c in columns if c in EXPANSIONS]
    params += order_params(request.order)
    params += [("page", str(page)), ("per_page", str(per_page))]
    answer = await client.request("GET", "tickets", params=params, operation="search_tickets")
    items = _items(answer, client.name)
    for item in items:
        _check(item, queues, client.name)
    notes = await _history(client, items, fields)
    tickets = tuple(_ticket(item, notes, fields) for item in items)
    return SearchPage(
        tickets=tickets, position=_next(answer.body, page, per_page, items), total=_total(answer)
    )


def _next(body: object, page: int, per_page: int, items: list[Mapping[str, Any]]) -> str | None:
    pages = body.get("pages") if isinstance(body, Mapping) else None
    if isinstance(pages, int) and not isinstance(pages, bool):
        return f"{page + 1}:{per_page}" if page < pages else None
    return f"{page + 1}:{per_page}" if items else None


def _total(answer: Answer) -> int | None:
    total = answer.body.get("total") if isinstance(answer.body, Mapping) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def _check(item: Mapping[str, Any], queues: frozenset[str] | None, name: str) -> None:
    if not text(item.get("id")).isdigit():
        raise ItsmError(f"{name} answered a ticket without its id")
    if queues is None:
        return
    queue = item.get("Queue")
    queue_name = text(queue.get("Name")) if isinstance(queue, Mapping) else ""
    if queue_name.casefold() not in queues:
        # The query names the queues: a ticket from another means it was not applied.
        raise ItsmError(f"{name} answered a ticket outside the profile's queues")


class _Notes:
    """The history of the page's tickets, by ticket id, and the text of their transactions."""

    def __init__(
        self, history: Iterable[Mapping[str, Any]], bodies: Mapping[int, str] | None
    ) -> None:
        self.by_ticket: dict[str, list[Mapping[str, Any]]] = {}
        for entry in history:
            self.by_ticket.setdefault(text(entry.get("ObjectId")), []).append(entry)
        self.bodies = bodies or {}


async def _history(
    client: RestClient, items: list[Mapping[str, Any]], fields: Set[TicketField]
) -> _Notes | None:
    if not fields & HISTORY_FIELDS or not items:
        return None
    ids = " OR ".join(f"ObjectId = {int(text(item['id']))}" for item in items)
    kinds = " OR ".join(f"Type = '{kind}'" for kind in _kinds(fields))
    history = await _all(
        client,
        "transactions",
        [
            ("query", f"ObjectType = 'RT::Ticket' AND ({ids}) AND ({kinds})"),
            ("fields", f"{HISTORY_COLUMNS},ObjectId"),
            *HISTORY_EXPANSIONS.items(),
            ("orderby", "id"),
        ],
        "read_journal",
    )
    bodies = None
    if fields & TEXT_FIELDS:
        with_text = sorted(
            {int(text(t.get("id"))) for t in history if text(t.get("Type")) in _TEXT_TYPES}
        )
        in_list = [{"field": "TransactionId", "operator": "IN", "value": with_text}]
        attachments = [
            ("query", json.dumps(in_list)),
            ("fields", ATTACHMENT_COLUMNS),
            ("orderby", "id"),
        ]
        found = (
            await _all(client, "attachments", attachments, "read_attachments") if with_text else []
        )
        bodies = texts(found)
    return _Notes(history, bodies)


def _kinds(fields: Set[TicketField]) -> list[str]:
    """The transaction types the fields are read from. Internal comments only when work notes
    are asked: RT shows them only to accounts with ShowTicketComments, and every other type here
    to any account that sees the ticket, so that every transaction the search finds is answered
    (which lets a short page be the last, ``_all``)."""
    kinds = ["Create", "Correspond", "Status", "Set", "CustomField"]
    return [*kinds, "Comment"] if TicketField.WORK_NOTES in fields else kinds


async def _all(
    client: RestClient, path: str, params: Sequence[tuple[str, str]], operation: str
) -> list[Mapping[str, Any]]:
    """Every item of a collection search, 100 a call. RT gives no total to an account that is
    not a superuser, and leaves out of a page what the account may not see: the searches here
    ask only for what the account sees (the page's tickets' transactions of ``_kinds``, and
    their attachments), so a page shorter than asked is the last."""
    found: list[Mapping[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        answer = await client.request(
            "GET",
            path,
            params=[*params, ("per_page", str(PER_PAGE)), ("page", str(page))],
            operation=operation,
        )
        items = _items(answer, client.name)
        found.extend(items)
        pages = answer.body.get("pages") if isinstance(answer.body, Mapping) else None
        if (page >= pages) if isinstance(pages, int | float) else len(items) < PER_PAGE:
            return found
    raise ItsmError(
        f"{client.name} holds more than {MAX_PAGES * PER_PAGE} {path} for one page of tickets; "
        "the gateway reads no more than that: ask for a smaller page"
    )


def _ticket(item: Mapping[str, Any], notes: _Notes | None, fields: Set[TicketField]) -> Ticket:
    values = values_from_item(item, fields)
    if notes is not None:
        history = transactions(notes.by_ticket.get(text(item.get("id")), ()))
        values.update(values_from_history(history, notes.bodies, item, fields))
    return Ticket(values={f: values[f] for f in ORDERED_FIELDS if f in fields})


def _items(answer: Answer, name: str) -> list[Mapping[str, Any]]:
    body = answer.body
    items = body.get("items") if isinstance(body, Mapping) else None
    if not isinstance(items, list):
        raise ItsmError(f"{name} answered {answer.status} without the items of a collection")
    return [item for item in items if isinstance(item, Mapping)]
