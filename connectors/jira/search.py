"""Searching Jira issues (``connectors.search``): one page is one call to the enhanced search,
``GET /rest/api/3/search/jql``
(https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get),
with ``jql`` (``connectors.jira.jql``), ``fields`` naming only what the asked fields need,
``maxResults`` and ``nextPageToken`` (the position Jira gave for the page after).

Comments come in the same answer (``fields=comment``): no call per issue. Jira embeds a limited
number of comments per issue (``comment.total`` says how many there are); an issue whose
comments do not all fit has the rest read with the comment endpoint, for that issue only.

Before the search, and only when the filter needs them: one user search per person named by
name or email (``connectors.jira.people``, as writes resolve them) and ``GET /myself`` for the
profile zone JQL reads date-times in.

Jira refuses a search naming an issue key it does not know; the keys its refusal names are
searched without (one more call), so an unknown key matches nothing, as in any other filter. A
status or priority it does not know is a 400 naming the filter key.

Jira's enhanced search gives no total (``SearchPage.total`` is ``None``). The SLA time left
comes in the same answer too: the search names the site's SLA custom fields in ``fields``
(``connectors.jira.sla_fields``, their ids from the cached field list), so a page with it is still
one call.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Set
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.errors import BadInput, GatewayError, ItsmError
from connectors.fields import ORDERED_FIELDS, TicketField
from connectors.http import together
from connectors.jira.client import JiraClient
from connectors.jira.jql import People, build_jql, check_filter, needs_zone
from connectors.jira.mapping import (
    JOURNAL_FIELDS,
    issue_fields,
    notes_from_comments,
    values_from_issue,
)
from connectors.jira.people import account_of
from connectors.jira.sla_fields import time_left_in_issue
from connectors.model import RefusedRead, Ticket
from connectors.search import SearchPage, SearchRequest, TicketFilter

API = "/rest/api/3"
MAX_RESULTS = 100  # what the enhanced search answers at most per page with fields named
# Jira's nextPageToken is opaque; this only keeps a forged position from being sent on.
_POSITION = re.compile(r"[A-Za-z0-9+/=_.:-]{1,2048}")

# Jira's enhanced search refuses JQL naming an issue key it does not know, with one message per
# key (it has no validateQuery to lower that to a warning); the keys it names are searched
# without, a few times at most (its messages are quoted cut short).
_NO_SUCH_KEY = re.compile(
    r"An issue with key '([^']{1,300})' does not exist for field '(?:key|issuekey)'"
)
_KEY_ATTEMPTS = 5
_NO_SUCH_VALUE = re.compile(
    r"The value '(?P<value>[^']{1,300})' does not exist for the field '(?P<field>\w+)'"
)
_FILTER_KEYS = {"status": "statuses", "priority": "priorities"}

CommentReader = Callable[[str], Awaitable[list[Mapping[str, Any]]]]


def check_request(request: SearchRequest, fields: Set[TicketField]) -> None:
    """The refusals that need no call."""
    check_filter(request.filter)
    if request.position is not None and not _POSITION.fullmatch(request.position):
        raise BadInput("after: not a position this search gave")


async def search_issues(
    client: JiraClient,
    request: SearchRequest,
    fields: Set[TicketField],
    *,
    project: str | None,
    comments: CommentReader,
    correlation: str | None = None,
    slas: tuple[str, ...] = (),
) -> SearchPage:
    """One page of the issues matching ``request`` within ``project`` (``None``: the site).
    ``correlation``: the id of the site's correlation id field, when the filter or the fields
    name correlationId (``connectors.jira.correlation``); ``slas``: the ids of its SLA fields,
    when the fields name the SLA time left (none: the site has none this account can see)."""
    check_request(request, fields)
    people, zone = await together(_people(client, request.filter), _zone(client, request.filter))
    wants_journal = bool(fields & JOURNAL_FIELDS)
    names = issue_fields(fields, correlation, slas) + (",comment" if wants_journal else "")
    params = {
        "fields": ",".join(sorted(names.split(","))),
        "maxResults": str(max(1, min(request.first, MAX_RESULTS))),
        **({"nextPageToken": request.position} if request.position else {}),
    }
    filter = request.filter
    for _ in range(_KEY_ATTEMPTS):
        jql = build_jql(
            filter,
            request.order,
            project=project,
            people=people or People(),
            zone=zone,
            correlation=correlation,
        )
        try:
            answer = await client.request(
                "GET",
                f"{API}/search/jql",
                operation="search_tickets",
                params={"jql": jql, **params},
            )
            break
        except ItsmError as error:
            unknown = _unknown_keys(error.message, filter.numbers)
            if not unknown:
                raise _as_caller_error(error) from None
            # Jira refuses a search naming a key it does not know: such a key matches nothing.
            filter = replace(filter, numbers=tuple(n for n in filter.numbers if n not in unknown))
            if not filter.numbers:
                return SearchPage(tickets=())
    else:
        raise ItsmError(f"Jira at {client.host} kept refusing the search's issue keys")
    issues = answer.get("issues") if isinstance(answer, Mapping) else None
    if not isinstance(issues, list):
        raise ItsmError(f"Jira at {client.host} answered a search without a list of issues")
    found = [i for i in issues if isinstance(i, Mapping)]
    for issue in found:
        _check_issue(issue, project, client.host)
    journals: list[list[Mapping[str, Any]] | None] = [None] * len(found)
    if wants_journal:
        # Each read in full only when the answer could not hold them all (rare: one by one).
        journals = [await _all_comments(issue, comments) for issue in found]
    token = answer.get("nextPageToken")
    last = answer.get("isLast") is not False or not isinstance(token, str) or not token
    sla = _SlaRead(slas, client.host) if TicketField.TICKET_BUSINESS_TIME_LEFT in fields else None
    return SearchPage(
        tickets=tuple(
            _ticket(i, j, fields, correlation, sla) for i, j in zip(found, journals, strict=True)
        ),
        position=None if last else str(token),
        total=None,
    )


def _as_caller_error(error: ItsmError) -> GatewayError:
    """A refusal naming a value of the caller's that Jira does not know ("The value 'Nope' does
    not exist for the field 'status'."), as the 400 naming the filter key; others as they are."""
    found = _NO_SUCH_VALUE.search(error.message)
    if found is None or found["field"] not in _FILTER_KEYS:
        return error
    return BadInput(
        f"filter.{_FILTER_KEYS[found['field']]}: Jira has no {found['field']} "
        f"{found['value'][:80]!r}"
    )


def _unknown_keys(message: str, numbers: tuple[str, ...]) -> set[str]:
    """The searched keys a Jira refusal says do not exist (its words: "An issue with key
    'DESK-9' does not exist for field 'key'.")."""
    named = {key.casefold() for key in _NO_SUCH_KEY.findall(message)}
    return {number for number in numbers if number.casefold() in named}


async def _people(client: JiraClient, filter: TicketFilter) -> People:
    assignee, reporter = await together(
        account_of(client, "filter.assignedTo", filter.assigned_to) if filter.assigned_to else None,
        account_of(client, "filter.caller", filter.caller) if filter.caller else None,
    )
    return People(assignee=assignee, reporter=reporter)


async def _zone(client: JiraClient, filter: TicketFilter) -> tzinfo | None:
    """The calling user's profile zone (``GET /myself``'s ``timeZone``), in which JQL reads
    date-times; ``None`` when the filter compares none."""
    if not needs_zone(filter):
        return None
    myself = await client.request("GET", f"{API}/myself", operation="read_user")
    name = myself.get("timeZone") if isinstance(myself, Mapping) else None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ItsmError(
            f"Jira at {client.host} answered a user profile zone {str(name)[:40]!r} that is no "
            "IANA zone; times cannot be searched"
        ) from error


def _check_issue(issue: Mapping[str, Any], project: str | None, host: str) -> None:
    if not issue.get("id") or not issue.get("key"):
        raise ItsmError(f"Jira at {host} answered an issue without its id and key")
    if project is None:
        return
    raw = issue.get("fields")
    found = raw.get("project") if isinstance(raw, Mapping) else None
    keys = (found.get("key"), found.get("id")) if isinstance(found, Mapping) else ()
    if project not in keys:
        # The JQL names the project: an issue from elsewhere means the query was not applied.
        raise ItsmError(f"Jira at {host} answered an issue outside project {project}")


async def _all_comments(
    issue: Mapping[str, Any], comments: CommentReader
) -> list[Mapping[str, Any]]:
    """The issue's comments from the search answer; read in full when they did not all fit."""
    raw = issue.get("fields")
    embedded = raw.get("comment") if isinstance(raw, Mapping) else None
    listed = embedded.get("comments") if isinstance(embedded, Mapping) else None
    if not isinstance(embedded, Mapping) or not isinstance(listed, list):
        raise ItsmError("Jira answered a searched issue without its comments")
    total = embedded.get("total")
    if isinstance(total, int) and total > len(listed):
        return await comments(str(issue["id"]))
    return [c for c in listed if isinstance(c, Mapping)]


def _ticket(
    issue: Mapping[str, Any],
    comments: list[Mapping[str, Any]] | None,
    fields: Set[TicketField],
    correlation: str | None,
    sla: _SlaRead | None,
) -> Ticket:
    values = values_from_issue(issue, fields, correlation)
    refused: dict[TicketField, str] = {}
    if comments is not None:
        values[TicketField.COMMENTS], values[TicketField.WORK_NOTES] = notes_from_comments(comments)
    if sla is not None:
        left = time_left_in_issue(issue, sla.fields, sla.host)
        if isinstance(left, RefusedRead):
            refused[TicketField.TICKET_BUSINESS_TIME_LEFT] = left.message
            left = None
        values[TicketField.TICKET_BUSINESS_TIME_LEFT] = left
    return Ticket(
        values={field: values.get(field) for field in ORDERED_FIELDS if field in fields},
        refused=refused,
    )


@dataclass(frozen=True, slots=True)
class _SlaRead:
    """The SLA time left was asked: the site's SLA fields, and its host for the refusal."""

    fields: tuple[str, ...]
    host: str
