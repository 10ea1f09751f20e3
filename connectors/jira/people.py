"""Canonical people written to Jira: ``assignedTo`` (``fields.assignee``) and ``callerId``
(``fields.reporter``) resolved to an accountId before anything is written
(docs/contract.md#people).

Jira Cloud takes users by accountId only. A caller may give an accountId (sent as is: the read
back reports it if Jira does not take it), a display name or an email address, looked up with the
platform API's user search (``GET /rest/api/3/user/search?query=``, which matches prefixes of the
display name and email address;
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-user-search/). Only an exact
match counts (without regard to case): none is a 400 naming the field and the value, several a 400
listing them, and nothing is written. A site may hide email addresses (each user's privacy
settings), so a display name is the surer way to name someone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.errors import BadInput, ItsmError
from connectors.jira.client import JiraClient

API = "/rest/api/3"
# Atlassian accountIds: 24 hex digits, "557058:<uuid>", or a portal customer's "qm:<uuid>:<hex>".
_ACCOUNT_ID = re.compile(r"[0-9a-f]{24}|[0-9]+:[0-9a-f-]{36}|qm:[0-9a-f-]{36}:[0-9a-f]{24}")
_SEARCH_LIMIT = 20


def is_account_id(value: str) -> bool:
    return bool(_ACCOUNT_ID.fullmatch(value.strip()))


async def account_of(client: JiraClient, given_as: str, value: str) -> str:
    """The accountId of the one user ``value`` names (an accountId, display name or email)."""
    wanted = value.strip()
    if is_account_id(wanted):
        return wanted
    found = await client.request(
        "GET",
        f"{API}/user/search",
        operation="read_user",
        params={"query": wanted, "maxResults": str(_SEARCH_LIMIT)},
    )
    if not isinstance(found, list):
        raise ItsmError(f"Jira at {client.host} answered a user search that is not a list")
    users = [user for user in found if isinstance(user, Mapping)]
    exact = [user for user in users if _names(user, wanted)]
    if len(exact) == 1:
        return str(exact[0]["accountId"])
    if not exact:
        raise BadInput(
            f"{given_as} {value!r}: no Jira user has that display name, email address or account "
            "id; nothing was written"
        )
    listed = ", ".join(_described(user) for user in exact)
    raise BadInput(
        f"{given_as} {value!r} names {len(exact)} Jira users: {listed}; give the account id of "
        "the one meant; nothing was written"
    )


def _names(user: Mapping[str, Any], wanted: str) -> bool:
    if not user.get("accountId"):
        return False
    keys = ("displayName", "emailAddress", "accountId")
    return any(str(user.get(key) or "").casefold() == wanted.casefold() for key in keys)


def _described(user: Mapping[str, Any]) -> str:
    email = user.get("emailAddress")
    extra = f", {email}" if email else ""
    return f"{user.get('displayName')} ({user.get('accountId')}{extra})"
