"""Where Jira keeps the canonical ``correlationId``: a text custom field named "Correlation ID"
(``FIELD_NAME``), which a Jira admin adds to the site (Settings > Issues > Custom fields, type
"Text Field (single line)", on the projects' screens).

Its id (``customfield_NNNNN``) differs from site to site: the connector finds it by name through
``GET /rest/api/3/field`` ("Get fields",
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-get)
once per site and account, and keeps the answer in the factory's ``SiteFieldCache``
(``connectors.jira.site_fields``, which keeps the SLA fields from the same answer; a site without
the field too, so an admin adding it is seen within its ``TTL``). The field list is read with the
caller's own account: what it answers is what that account can see, so the cache is per account.

A site without the field: a correlationId a caller names (to read, write or look up) is a 400
saying what the Jira admin must add (``missing``); the gateway's own digest on a keyed create is
written only where ``JiraConnector.holds_correlation_ids`` says the field is there, so a keyed
create on such a site still works (its lost answer stays "outcome unknown").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.errors import BadInput, Conflict, ItsmError
from connectors.jira.client import JiraClient
from connectors.jira.jql import CORRELATION_FIELD, quoted, text_term

FIELD_NAME = CORRELATION_FIELD  # "Correlation ID": declared once, where JQL names it
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
    return the_one(candidates(answer), host)


def is_correlation_field(item: Mapping[str, Any]) -> bool:
    """Whether a "Get fields" entry is a single-line text custom field named ``FIELD_NAME``."""
    return (
        item.get("custom") is True
        and isinstance(item.get("id"), str)
        and str(item.get("name", "")).strip().casefold() == FIELD_NAME.casefold()
        and _is_text(item.get("schema"))
    )


def candidates(answer: list[Any]) -> tuple[str, ...]:
    """Every field of a "Get fields" answer that could hold the correlation id, sorted."""
    return tuple(
        sorted(
            str(item["id"])
            for item in answer
            if isinstance(item, Mapping) and is_correlation_field(item)
        )
    )


def the_one(found: tuple[str, ...], host: str) -> str | None:
    """The one candidate; ``None`` for none; ``BadInput`` for several."""
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
