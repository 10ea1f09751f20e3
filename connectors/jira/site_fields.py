"""The custom fields the connector looks up by what they are, not by id: the correlation id field
(``connectors.jira.correlation``) and Jira Service Management's SLA fields
(``connectors.jira.sla_fields``). Their ids (``customfield_NNNNN``) differ from site to site.

One ``GET /rest/api/3/field`` ("Get fields",
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-get)
finds both, once per site and account: the factory's ``SiteFieldCache`` keeps what it found
``TTL`` seconds (a site without them too, so an admin adding one is seen within that time). The
list is read with the caller's own account and answers what that account can see, so the cache
is per account.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import ItsmError
from connectors.jira.correlation import candidates, the_one

TTL = 300.0
MAX_ENTRIES = 1024
# The custom field type of a Jira Service Management SLA ("Time to resolution", ...): its value
# on an issue is that SLA's record, as the service desk API's "Get SLA information" answers it.
SLA_FIELD_TYPE = "com.atlassian.servicedesk:sd-sla-field"


@dataclass(frozen=True, slots=True)
class SiteFields:
    """What one "Get fields" answer told: every text field named "Correlation ID" (one is
    expected; several is the admin's to fix, said when correlationId is used) and the SLA
    fields, sorted."""

    correlation_candidates: tuple[str, ...] = ()
    slas: tuple[str, ...] = ()

    def correlation(self, host: str) -> str | None:
        """The correlation id field; ``None`` when the site has none; ``BadInput`` when it
        has several (so a site with that mistake still lists its SLAs)."""
        return the_one(self.correlation_candidates, host)


def site_fields_in(answer: Any, host: str) -> SiteFields:
    """The fields of a "Get fields" answer this connector looks for."""
    if not isinstance(answer, list):
        raise ItsmError(f"Jira at {host} answered its fields without a list")
    slas = sorted(
        str(item["id"])
        for item in answer
        if isinstance(item, Mapping)
        and item.get("custom") is True
        and isinstance(item.get("id"), str)
        and isinstance(item.get("schema"), Mapping)
        and item["schema"].get("custom") == SLA_FIELD_TYPE
    )
    return SiteFields(correlation_candidates=candidates(answer), slas=tuple(slas))


class SiteFieldCache:
    """The factory's cache: (site, account) -> ``SiteFields``. Bounded (past ``max_entries``
    the soonest-expiring go); one look-up at a time per key, so concurrent requests wait for it
    instead of asking Jira again. A look-up that raised is not kept."""

    def __init__(
        self,
        *,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._ttl, self._clock, self._max = ttl, clock, max_entries
        self._entries: dict[tuple[str, str], tuple[float, SiteFields]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def clear(self) -> None:
        self._entries.clear()
        self._locks.clear()

    async def fields(
        self, key: tuple[str, str], look_up: Callable[[], Awaitable[SiteFields]]
    ) -> SiteFields:
        """The cached fields for ``key``, or ``look_up()``'s."""
        async with self._locks.setdefault(key, asyncio.Lock()):
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                entry = (self._clock() + self._ttl, await look_up())
                self._entries[key] = entry
                self._prune()
        return entry[1]

    def _prune(self) -> None:
        if len(self._entries) <= self._max:
            return
        by_expiry = sorted(self._entries, key=lambda k: self._entries[k][0])
        for key in by_expiry[: len(self._entries) - self._max]:
            del self._entries[key]
            if key in self._locks and not self._locks[key].locked():
                del self._locks[key]
