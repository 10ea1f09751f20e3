"""The platform API's user search, ``GET /rest/api/3/user/search``, as Atlassian documents it
(https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-user-search/): ``query``
"is matched against user attributes (displayName, and emailAddress) to find relevant users. The
string can match the prefix of the attribute's value"; ``accountId`` finds that one account. The
answer is a bare list of users, at most ``maxResults`` (default 50).

Where the reference is silent the emulator chooses: a prefix matches the start of the display
name, of any word in it, or of the email address, without regard to case; every account is
visible to the caller (a real site may hide email addresses, by each user's privacy settings).
"""

from __future__ import annotations

from aiohttp import web

from emulators.jira import responses
from emulators.jira.config import User
from emulators.jira.keys import STATE_KEY, USER_KEY
from emulators.jira.pipeline import base_url
from emulators.jira.render import Renderer

PREFIX = "/rest/api/3"


def add_routes(app: web.Application, root: str = "") -> None:
    app.router.add_get(f"{root}{PREFIX}/user/search", search_users)


def matches(user: User, query: str) -> bool:
    wanted = query.strip().casefold()
    if not wanted:
        return False
    names = [user.display_name.casefold(), *user.display_name.casefold().split()]
    return any(name.startswith(wanted) for name in names) or user.email.casefold().startswith(
        wanted
    )


async def search_users(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    query, account_id = request.query.get("query"), request.query.get("accountId")
    if not query and not account_id:
        return responses.jira_error(
            400, ["The query parameter 'query' or 'accountId' is required."]
        )
    try:
        limit = int(request.query.get("maxResults", "50"))
    except ValueError:
        return responses.jira_error(400, ["maxResults must be a number"])
    found = [
        user
        for user in state.config.users
        if (account_id is None or user.account_id == account_id)
        and (not query or matches(user, query))
    ]
    renderer = Renderer(state, base_url(request), request[USER_KEY].zone)
    return responses.json_response([renderer.user(user.account_id) for user in found[:limit]])
