"""The SLA time left of a searched issue, read from Jira Service Management's SLA custom fields
in the search answer itself: no call per issue.

Each SLA of a service project ("Time to first response", "Time to resolution", ...) is a custom
field of type ``com.atlassian.servicedesk:sd-sla-field`` (``connectors.jira.site_fields`` finds
their ids). Its value on an issue is that SLA's record as the service desk API's "Get SLA
information" answers it (``completedCycles``, ``ongoingCycle`` with ``breached``, ``paused`` and
``remainingTime.millis``), so the time left is ``mapping.time_left`` over them: the same rule as a
fetch, which reads the same records from ``/rest/servicedeskapi/request/{key}/sla``.

What each answer means for one issue:

- a field's value is a record: that SLA counts (as in a fetch, completed cycles do not);
- every SLA field ``null``: the issue has no SLA (not a customer request): empty, as a fetch
  leaves it when the service desk API answers 404;
- none of the named SLA fields in the answer at all: Jira left out fields the account may not
  view, so the read is refused (partial data, like a fetch's 403);
- the site has no SLA field this account can see (plain Jira Software, or an account that is no
  agent): refused the same way, saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.jira.mapping import time_left
from connectors.model import RefusedRead

SLA_FIELDS_REFUSED = (
    "request SLAs (the SLA custom fields in the search answer): Jira left them out, the account "
    "lacks read access (an agent of the service project, role Service Desk Team)"
)


def no_sla_fields(host: str) -> str:
    return (
        f"request SLAs: Jira at {host} has no SLA custom field (type "
        "com.atlassian.servicedesk:sd-sla-field) that this account can see; they exist on Jira "
        "Service Management sites, for agents of a service project"
    )


def time_left_in_issue(
    issue: Mapping[str, Any], sla_fields: tuple[str, ...], host: str
) -> str | RefusedRead | None:
    """The issue's SLA time left (``mapping.time_left``) from its SLA fields ``sla_fields``;
    ``None`` when it has no SLA; a ``RefusedRead`` when the account cannot see them."""
    if not sla_fields:
        return RefusedRead(no_sla_fields(host))
    raw = issue.get("fields")
    answered: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    present = [answered[name] for name in sla_fields if name in answered]
    if not present:
        return RefusedRead(SLA_FIELDS_REFUSED)
    return time_left(value for value in present if isinstance(value, Mapping))
