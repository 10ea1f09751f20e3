"""What a client asks Jira Cloud about its own account and reach, as ``itsm-gateway
check-connection`` does (platform REST API v3):

- ``GET /rest/api/3/myself``: the calling user, with ``timeZone``
  (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-myself/);
- ``GET /rest/api/3/mypermissions?permissions=A,B[&projectKey=|projectId=]``: whether the
  user holds each permission, ``{"permissions": {KEY: {"id", "key", "name", "type",
  "description", "havePermission"}}}``. ``permissions`` is required (400 without it); an unknown
  key is a 400; with no project, a project permission is held if it is held in any project
  (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-permissions/#api-rest-api-3-mypermissions-get);
- ``GET /rest/api/3/search/jql?jql=&fields=&maxResults=&nextPageToken=``: the enhanced search,
  ``{"issues": [...], "nextPageToken": "...", "isLast": false}``, ``isLast: true`` and no token on
  the last page, never a total
  (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get).
  The JQL it reads is ``emulators.jira.jql``'s; JQL it cannot read is a 400, as JQL Jira cannot
  parse is. ``maxResults`` is at most 100 (Jira's bound when fields are named; default 50); the
  token is opaque to callers (here the offset of the next page, tied to the JQL).

Every account holds every permission unless the app's ``SitePermissions`` withholds it (tests
set ``app[PERMISSIONS_KEY].withheld``, per account id or for all with ``"*"``).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from aiohttp import web

from emulators.jira import responses
from emulators.jira.jql import JqlError, parse
from emulators.jira.keys import STATE_KEY, USER_KEY
from emulators.jira.pipeline import base_url
from emulators.jira.render import Renderer

PREFIX = "/rest/api/3"
# The project permissions of Jira Cloud the gateway's checks ask about (a subset of
# GET /rest/api/3/permissions), with their names as Jira gives them.
PROJECT_PERMISSIONS = {
    "BROWSE_PROJECTS": "Browse Projects",
    "CREATE_ISSUES": "Create Issues",
    "EDIT_ISSUES": "Edit Issues",
    "ADD_COMMENTS": "Add Comments",
    "TRANSITION_ISSUES": "Transition Issues",
    "ASSIGN_ISSUES": "Assign Issues",
    "RESOLVE_ISSUES": "Resolve Issues",
    "CLOSE_ISSUES": "Close Issues",
}
MAX_RESULTS = 100


@dataclass
class SitePermissions:
    """Permission keys withheld, by account id (``"*"``: from every account)."""

    withheld: dict[str, set[str]] = field(default_factory=dict)

    def holds(self, account_id: str, key: str) -> bool:
        return key not in self.withheld.get(account_id, set()) | self.withheld.get("*", set())


PERMISSIONS_KEY = web.AppKey("jira_permissions", SitePermissions)


def add_routes(app: web.Application, root: str = "") -> None:
    """The routes under ``root``: the site's own (``""``) or the API gateway's."""
    if PERMISSIONS_KEY not in app:
        app[PERMISSIONS_KEY] = SitePermissions()
    app.router.add_get(f"{root}{PREFIX}/myself", get_myself)
    app.router.add_get(f"{root}{PREFIX}/mypermissions", get_my_permissions)
    app.router.add_get(f"{root}{PREFIX}/search/jql", search_jql)


def _renderer(request: web.Request) -> Renderer:
    return Renderer(request.app[STATE_KEY], base_url(request), request[USER_KEY].zone)


async def get_myself(request: web.Request) -> web.Response:
    body = _renderer(request).user(request[USER_KEY].account_id)
    return responses.json_response(body)


async def get_my_permissions(request: web.Request) -> web.Response:
    wanted = [k.strip() for k in request.query.get("permissions", "").split(",") if k.strip()]
    if not wanted:
        return responses.jira_error(
            400, ["The 'permissions' query parameter is required and must not be empty."]
        )
    unknown = [key for key in wanted if key not in PROJECT_PERMISSIONS]
    if unknown:
        return responses.jira_error(400, [f"Invalid permission keys: [{', '.join(unknown)}]"])
    project = request.query.get("projectKey") or request.query.get("projectId")
    if project is not None and request.app[STATE_KEY].project(project) is None:
        return responses.jira_error(404, [f"No project could be found with key '{project}'."])
    account = request[USER_KEY].account_id
    site = request.app[PERMISSIONS_KEY]
    permissions = {
        key: {
            "id": str(index),
            "key": key,
            "name": PROJECT_PERMISSIONS[key],
            "type": "PROJECT",
            "description": "",
            "havePermission": site.holds(account, key),
        }
        for index, key in enumerate(wanted, start=10)
    }
    return responses.json_response({"permissions": permissions})


async def search_jql(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    jql = request.query.get("jql", "")
    try:
        query = parse(jql, state, request[USER_KEY].zone)
    except JqlError as error:
        return responses.jira_error(400, error.messages)
    try:
        limit = max(1, min(MAX_RESULTS, int(request.query.get("maxResults", "50"))))
    except ValueError:
        return responses.jira_error(400, ["maxResults must be a number"])
    start = _start(request.query.get("nextPageToken"), jql)
    if start is None:
        return responses.jira_error(400, ["The nextPageToken is invalid."])
    fields = request.query.getall("fields", [])
    matching = query.sorted([i for i in state.issues.values() if query.matches(i)])
    page = matching[start : start + limit]
    renderer = _renderer(request)
    body: dict[str, object] = {"issues": [renderer.issue(i, fields) for i in page]}
    if start + limit < len(matching):
        body["nextPageToken"] = _token(start + limit, jql)
        body["isLast"] = False
    else:
        body["isLast"] = True
    return responses.json_response(body)


def _token(start: int, jql: str) -> str:
    raw = f"{start}:{hashlib.sha256(jql.encode()).hexdigest()[:16]}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def _start(token: str | None, jql: str) -> int | None:
    """Where a page starts: 0 without a token; ``None`` for a token of another query."""
    if token is None:
        return 0
    try:
        start, digest = base64.urlsafe_b64decode(token.encode()).decode().split(":")
    except (ValueError, UnicodeDecodeError):
        return None
    if digest != hashlib.sha256(jql.encode()).hexdigest()[:16] or not start.isdigit():
        return None
    return int(start)
