"""Where Jira keeps the canonical ``correlationId``: a text custom field named "Correlation ID"
(``FIELD_NAME``), which a Jira admin adds to the site (Settings > Issues > Custom fields, type
"Text Field (single line)", on the projects' screens).

Its id (``customfield_NNNNN``) differs from site to site: the connector finds it by name through
``GET /rest/api/3/field`` ("Get fields",
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-get)
once per site and account, and keeps the answer ``TTL`` seconds in the factory's
``CorrelationFields`` (a site without the field too, so an admin adding it is seen within that
time). The field list is read with the caller's own account: what it answers is what that account
can see, so the cache is per account.

A site without the field: a correlationId a caller names (to read, write or look up) is a 400
saying what the Jira admin must add (``missing``); the gateway's own digest on a keyed create is
written only where ``JiraConnector.holds_correlation_ids`` says the field is there, so a keyed
create on such a site still works (its lost answer stays "outcome unknown").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connectors.errors import BadInput, Conflict, ItsmError
from connectors.jira.client import JiraClient
from connectors.jira.jql import CORRELATION_FIELD, quoted, text_term

FIELD_NAME = CORRELATION_FIELD  # "Correlation ID": declared once, where JQL names it
TTL = 300.0
MAX_ENTRIES = 1024
_TEXT_FIELD = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
LOOK_UP_PAGE = 100  # issues a look-up reads (the enhanced search's most with fields named)


def missing(host: str) -> BadInput:
    return BadInput(
        f"correlationId: Jira at {host} has no custom field named {FIELD_NAME!r} that this "
        f"account can see; a Jira admin must add a text custom field (single line) named "
        f"{FIELD_NAME!r} to the project's screens"
    )


def field_id_in(answer: Any, host: str) -> str | None:
    """The id of the one text custom field named ``FIELD_NAME`` in a "Get fields" answer;
    ``None`` when there is none; ``BadInput`` when several share the name (an admin's choice
    the gateway cannot make for them)."""
    if not isinstance(answer, list):
        raise ItsmError(f"Jira at {host} answered its fields without a list")
    found = sorted(
        str(item["id"])
        for item in answer
        if isinstance(item, Mapping)
        and item.get("custom") is True
        and isinstance(item.get("id"), str)
        and str(item.get("name", "")).strip().casefold() == FIELD_NAME.casefold()
        and _is_text(item.get("schema"))
    )
    if len(found) > 1:
        raise BadInput(
            f"correlationId: Jira at {host} has several text custom fields named "
            f"{FIELD_NAME!r} ({', '.join(found)}); a Jira admin must keep only one"
        )
    return found[0] if found else None


def _is_text(schema: Any) -> bool:
    if not isinstance(schema, Mapping) or schema.get("type") != "string":
        return False
    custom = schema.get("custom")
    return custom is None or custom == _TEXT_FIELD


class CorrelationFields:
    """The factory's cache: (site, account) -> the field's id, or ``""`` for none. Bounded
    (past ``max_entries`` the soonest-expiring go); one look-up at a time per key, so
    concurrent requests wait for it instead of asking Jira again."""

    def __init__(
        self,
        *,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._ttl, self._clock, self._max = ttl, clock, max_entries
        self._entries: dict[tuple[str, str], tuple[float, str]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def clear(self) -> None:
        self._entries.clear()
        self._locks.clear()

    async def field_id(
        self, key: tuple[str, str], look_up: Callable[[], Awaitable[str | None]]
    ) -> str | None:
        """The cached id for ``key``, or ``look_up()``'s (cached unless it raised)."""
        async with self._locks.setdefault(key, asyncio.Lock()):
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                entry = (self._clock() + self._ttl, await look_up() or "")
                self._entries[key] = entry
                self._prune()
        return entry[1] or None

    def _prune(self) -> None:
        if len(self._entries) <= self._max:
            return
        by_expiry = sorted(self._entries, key=lambda k: self._entries[k][0])
        for key in by_expiry[: len(self._entries) - self._max]:
            del self._entries[key]
            if key in self._locks and not self._locks[key].locked():
                del self._locks[key]


async def correlated_issue(
    client: JiraClient,
    correlation_id: str,
    field_id: str,
    field_list: str,
    *,
    project: str | None,
) -> Mapping[str, Any] | None:
    """The issue whose field ``field_id`` holds exactly ``correlation_id`` (within ``project``),
    read with ``field_list``; ``None`` when Jira answered that there is none. One enhanced
    search, ``cf[<id>] ~ "<value>"`` (a text field takes no ``=`` in JQL, and ``~`` matches
    words), whose answer is checked for the exact value. ``Conflict`` when two issues hold it;
    ``ItsmError`` when more issues hold its words than one answer carries and none of them is
    it ("none" would be a guess, and a wrong "not created" invites a duplicate; the gateway's
    own fingerprints are one word no other issue holds)."""
    term = text_term(correlation_id, "correlationId")
    jql = f"cf[{field_id.removeprefix('customfield_')}] ~ {term}"
    if project is not None:
        jql = f"project = {quoted(project, 'project')} AND {jql}"
    answer = await client.request(
        "GET",
        "/rest/api/3/search/jql",
        operation="find_correlated",
        params={
            "jql": jql,
            "fields": ",".join(sorted({*field_list.split(","), field_id})),
            "maxResults": str(LOOK_UP_PAGE),
        },
    )
    issues = answer.get("issues") if isinstance(answer, Mapping) else None
    if not isinstance(issues, list):
        raise ItsmError(f"Jira at {client.host} answered a search without a list of issues")
    matches = [
        issue
        for issue in issues
        if isinstance(issue, Mapping)
        and isinstance(issue.get("fields"), Mapping)
        and issue["fields"].get(field_id) == correlation_id
    ]
    if len(matches) > 1:
        raise Conflict(
            f"correlationId {correlation_id} matches more than one issue in {client.host}: "
            + ", ".join(str(issue.get("key")) for issue in matches)
        )
    if not matches and answer.get("isLast") is False:
        raise ItsmError(
            f"Jira at {client.host} has more than {LOOK_UP_PAGE} issues whose correlationId "
            f"holds the words of {correlation_id}; none of the first is exactly it"
        )
    return matches[0] if matches else None
