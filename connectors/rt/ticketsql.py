"""The canonical search filter as RT's TicketSQL: a builder that never concatenates raw input.

Every value goes into a single-quoted TicketSQL string with ``'`` and ``\\`` escaped by a
backslash, which is how RT's own parser reads (``RT::SQL``: delimited strings, then
``s!\\\\(.)!$1!g``) and how RT escapes values itself (``RT::Tickets::_parser``). Ticket ids go
bare, once checked to be digits. A value TicketSQL cannot carry safely is refused with
``BadInput`` naming the filter key, before any call:

- a control character (a newline ends nothing in TicketSQL, but no status or name has one);
- a quoted value RT would not take as a value: RT turns ``'CF.{Name}'`` into a comparison with
  that custom field, and ``'__Active__'``, ``'__Inactive__'``, ``'__Bookmarked__'`` into its own
  meta searches.

Times are written ``'YYYY-MM-DD HH:MM:SS'`` in UTC. RT reads a TicketSQL date in the account's
time zone (its preference, else the server's ``$Timezone``): the account the gateway uses must be
set to UTC, as the reference setup is (docs/connectors/request-tracker.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from connectors.errors import BadInput
from connectors.search import Order, SortField, TicketFilter

TICKET_ID = re.compile(r"[1-9][0-9]{0,17}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RT_MEANS_ELSE = re.compile(r"\s*(?:CF\.|CustomField\.|__\w+__\s*$)", re.IGNORECASE)
_MAX_VALUE = 255
# The ticket custom field the correlation id lives in (docs/connectors/request-tracker.md).
CORRELATION_FIELD = "CorrelationId"
# RT's lifecycle-independent meta statuses (``RT::Tickets``: any active / inactive status).
ACTIVE, INACTIVE = "__Active__", "__Inactive__"

ORDER_COLUMNS: Mapping[SortField, str] = {
    SortField.TICKET_NUMBER: "id",
    SortField.CREATED_TIME: "Created",
    SortField.UPDATED_TIME: "LastUpdated",
    SortField.TICKET_PRIORITY: "Priority",
}


def quoted(value: str, key: str) -> str:
    """``value`` as a TicketSQL string; ``BadInput`` naming ``key`` when it cannot go as one."""
    if _CONTROL.search(value):
        raise BadInput(f"filter.{key}: a control character (such as a newline) cannot be searched")
    if not value.strip():
        raise BadInput(f"filter.{key}: an empty value cannot be searched")
    if len(value) > _MAX_VALUE:
        raise BadInput(f"filter.{key}: at most {_MAX_VALUE} characters can be searched")
    if _RT_MEANS_ELSE.match(value):
        raise BadInput(
            f"filter.{key}: {value[:80]!r} cannot be searched in Request Tracker, which reads it "
            "as a custom field or one of its own search words"
        )
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def rt_time(moment: datetime, key: str) -> str:
    if moment.tzinfo is None:
        raise BadInput(f"filter.{key}: a time needs its offset")
    return f"'{moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')}'"


def _any(column: str, values: Iterable[str], key: str) -> str:
    terms = [f"{column} = {quoted(v, key)}" for v in values]
    return terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})"


def ticket_ids(numbers: Iterable[str]) -> list[str]:
    ids = [n.strip() for n in numbers]
    for ident in ids:
        if not TICKET_ID.fullmatch(ident):
            raise BadInput(
                f"filter.numbers: {ident[:80]!r} is not a Request Tracker ticket id (a number)"
            )
    return ids


def build_ticketsql(filter: TicketFilter, *, queues: Iterable[str] | None = None) -> str:
    """The TicketSQL for ``filter``; ``queues``: the connection profile's (``None``: any queue
    the account sees). Conditions are ANDed, a list's values ORed in parentheses."""
    clauses: list[str] = []
    if queues is not None:
        clauses.append(_any("Queue", sorted(queues), "assignedGroup"))
    if filter.numbers:
        ids = ticket_ids(filter.numbers)
        terms = [f"id = {ident}" for ident in ids]
        clauses.append(terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})")
    if filter.statuses:
        clauses.append(_any("Status", filter.statuses, "statuses"))
    if filter.priorities:
        clauses.append(_any("Priority", filter.priorities, "priorities"))
    if filter.assigned_to is not None:
        clauses.append(f"Owner = {quoted(filter.assigned_to, 'assignedTo')}")
    if filter.assigned_group is not None:
        clauses.append(f"Queue = {quoted(filter.assigned_group, 'assignedGroup')}")
    if filter.caller is not None:
        caller = quoted(filter.caller, "caller")
        clauses.append(f"(Requestor.Name = {caller} OR Requestor.EmailAddress = {caller})")
    if filter.correlation_id is not None:
        value = quoted(filter.correlation_id, "correlationId")
        clauses.append(f"CF.{{{CORRELATION_FIELD}}} = {value}")
    for bound in filter.time_bounds():
        moment = rt_time(bound.moment, bound.key)
        clauses.append(f"{ORDER_COLUMNS[bound.field]} {bound.operator} {moment}")
    if filter.active is not None:
        clauses.append(f"Status = '{ACTIVE if filter.active else INACTIVE}'")
    if filter.text is not None:
        clauses.append(f"Subject LIKE {quoted(filter.text, 'text')}")
    # No condition at all: every ticket the account sees.
    return " AND ".join(clauses) or "id > 0"


def order_params(order: tuple[Order, ...]) -> list[tuple[str, str]]:
    """``orderby`` and ``order`` pairs, repeated in order (RT's REST 2.0 takes several)."""
    pairs: list[tuple[str, str]] = []
    for item in order:
        pairs += [
            ("orderby", ORDER_COLUMNS[item.field]),
            ("order", "DESC" if item.descending else "ASC"),
        ]
    return pairs
