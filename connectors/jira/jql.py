"""The canonical search filter as Jira Query Language (JQL): a builder that never concatenates
raw input.

Every value goes into a double-quoted JQL string with ``"`` and ``\\`` escaped by a backslash, as
Atlassian documents (https://support.atlassian.com/jira-software-cloud/docs/use-advanced-search-with-jira-query-language-jql/,
"Restricted characters"). A value JQL cannot carry safely (a control character, or a text too
long for a search) is refused with ``BadInput`` naming the filter key, before any call.

Pitfalls the builder takes care of:

- Text search (``summary ~``) runs on words through Jira's search index, where
  ``+ - & | ! ( ) { } [ ] ^ ~ * ? \\ :`` are operators: each is escaped with two backslashes
  inside the JQL string, so that it is searched for instead of interpreted (Atlassian: "you must
  use two backslashes before the special character").
- Date-times in JQL are written ``"yyyy/MM/dd HH:mm"`` in the time zone of the calling user's
  profile, to the minute: the caller's UTC instants are converted to that zone, and a time with
  seconds is refused (JQL would compare it to the minute, so a page could show tickets the filter
  excludes). ``*_after`` is ``>=``, ``*_before`` ``<``.
- People are accountIds (Jira Cloud's JQL takes no user names); the connector resolves a name or
  email first, as writes do (``connectors.jira.people``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from connectors.errors import BadInput
from connectors.search import Order, SortField, TicketFilter

ISSUE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,254}-[1-9][0-9]{0,17}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_OPERATORS = re.compile(r'([+\-&|!(){}\[\]^~*?\\:"])')
_MAX_VALUE = 255
# The Jira custom field the correlation id lives in (docs/connectors/jira.md).
CORRELATION_FIELD = "Correlation ID"

ORDER_FIELDS: Mapping[SortField, str] = {
    SortField.TICKET_NUMBER: "key",
    SortField.CREATED_TIME: "created",
    SortField.UPDATED_TIME: "updated",
    SortField.TICKET_PRIORITY: "priority",
}


@dataclass(frozen=True, slots=True)
class People:
    """The accountIds the filter's people resolved to (``None``: not filtered on)."""

    assignee: str | None = None
    reporter: str | None = None


def quoted(value: str, key: str) -> str:
    """``value`` as a JQL string literal; ``BadInput`` naming ``key`` when JQL cannot carry it."""
    if _CONTROL.search(value):
        raise BadInput(f"filter.{key}: a control character (such as a newline) cannot be searched")
    if not value.strip():
        raise BadInput(f"filter.{key}: an empty value cannot be searched")
    if len(value) > _MAX_VALUE:
        raise BadInput(f"filter.{key}: at most {_MAX_VALUE} characters can be searched")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def text_term(value: str, key: str) -> str:
    """A phrase for Jira's text search (``~``): its operators escaped, the whole a phrase."""
    quoted(value, key)  # the same refusals
    # One backslash before each operator in the string's value (two in the JQL text).
    phrase = _TEXT_OPERATORS.sub(r"\\\1", value.strip())
    # The phrase in escaped double quotes: words in this order, as one term.
    return quoted(f'"{phrase}"', key) if " " in value.strip() else quoted(phrase, key)


def jql_time(moment: datetime, zone: tzinfo, key: str) -> str:
    if moment.tzinfo is None:
        raise BadInput(f"filter.{key}: a time needs its offset")
    if moment.second or moment.microsecond:
        raise BadInput(
            f"filter.{key}: Jira compares times to the minute; give a whole minute "
            f"(such as {moment.replace(second=0, microsecond=0).isoformat()})"
        )
    return quoted(moment.astimezone(zone).strftime("%Y/%m/%d %H:%M"), key)


def _in(field: str, values: Iterable[str], key: str) -> str:
    items = [quoted(v, key) for v in values]
    return f"{field} = {items[0]}" if len(items) == 1 else f"{field} in ({', '.join(items)})"


def needs_zone(filter: TicketFilter) -> bool:
    """Whether the filter compares times (which JQL reads in the user's profile zone)."""
    return bool(filter.time_bounds())


def check_filter(filter: TicketFilter) -> None:
    """The refusals that need no call: what Jira has no field for, and malformed keys."""
    if filter.assigned_group is not None:
        raise BadInput(
            "filter.assignedGroup: Jira issues have no assignment group; filter by assignedTo"
        )
    for number in filter.numbers:
        if not ISSUE_KEY.fullmatch(number):
            raise BadInput(
                f"filter.numbers: {number[:80]!r} is not a Jira issue key such as DESK-1"
            )


def build_jql(
    filter: TicketFilter,
    order: tuple[Order, ...],
    *,
    project: str | None,
    people: People = People(),
    zone: tzinfo | None = None,
    correlation: str | None = None,
) -> str:
    """The JQL for ``filter`` in ``order`` within ``project`` (the connection's, when it names
    one). ``people``: the accountIds of the filter's people, found by the connector; ``zone``:
    the calling user's profile zone, needed when the filter compares times; ``correlation``:
    the id of the correlation id field (``customfield_NNNNN``), searched as ``cf[NNNNN]``
    (unambiguous where a name could be shared), else by its name."""
    check_filter(filter)
    clauses: list[str] = []
    if project is not None:
        clauses.append(f"project = {quoted(project, 'project')}")
    if filter.numbers:
        clauses.append(_in("key", filter.numbers, "numbers"))
    if filter.statuses:
        clauses.append(_in("status", filter.statuses, "statuses"))
    if filter.priorities:
        clauses.append(_in("priority", filter.priorities, "priorities"))
    if filter.assigned_to is not None:
        clauses.append(f"assignee = {quoted(people.assignee or filter.assigned_to, 'assignedTo')}")
    if filter.caller is not None:
        clauses.append(f"reporter = {quoted(people.reporter or filter.caller, 'caller')}")
    if filter.correlation_id is not None:
        term = text_term(filter.correlation_id, "correlationId")
        field = f"cf[{correlation.removeprefix('customfield_')}]" if correlation else None
        clauses.append(f"{field or quoted(CORRELATION_FIELD, 'correlationId')} ~ {term}")
    for bound in filter.time_bounds():
        if zone is None:
            raise ValueError("times need the user's zone")  # the connector's duty
        moment = jql_time(bound.moment, zone, bound.key)
        clauses.append(f"{ORDER_FIELDS[bound.field]} {bound.operator} {moment}")
    if filter.active is not None:
        clauses.append(f"statusCategory {'!=' if filter.active else '='} Done")
    if filter.text is not None:
        clauses.append(f"summary ~ {text_term(filter.text, 'text')}")
    ordering = ", ".join(
        f"{ORDER_FIELDS[o.field]} {'DESC' if o.descending else 'ASC'}" for o in order
    )
    if not clauses:
        raise BadInput(
            "Jira refuses a search without any condition: name the project "
            "(connectionDetails.table) or give a filter"
        )
    where = " AND ".join(clauses)
    return f"{where} ORDER BY {ordering}" if ordering else where
