"""What a client asks Jira Cloud about its own account and reach, as ``itsm-gateway
check-connection`` does (platform REST API v3):

- ``GET /rest/api/3/myself``: the calling user, with ``timeZone``
  (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-myself/);
- ``GET /rest/api/3/mypermissions?permissions=A,B[&projectKey=|projectId=]``: whether the
  user holds each permission, ``{"permissions": {KEY: {"id", "key", "name", "type",
  "description", "havePermission"}}}``. ``permissions`` is required (400 without it); an unknown
  key is a 400; with no project, a project permission is held if it is held in any project
  (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-permissions/#api-rest-api-3-mypermissions-get);
- ``GET /rest/api/3/search/jql?jql=project = KEY [ORDER BY ...]&maxResults=&fields=``: the
  enhanced search, ``{"issues": [...], "isLast": true}``, newest first
  (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get).
  The emulator reads one JQL clause only, ``project = KEY`` (an optional ``ORDER BY`` is
  accepted, and newest first is what it answers); any other JQL is a 400, as JQL Jira cannot
  parse is.

Every account holds every permission unless the app's ``SitePermissions`` withholds it (tests
set ``app[PERMISSIONS_KEY].withheld``, per account id or for all with ``"*"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aiohttp import web

from emulators.jira import responses
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
_PROJECT_JQL = re.compile(
    r'^\s*project\s*=\s*"?(?P<project>[A-Za-z0-9_]+)"?\s*(?:ORDER\s+BY\s+[\w\s,]+)?$',
    re.IGNORECASE,
)


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
    match = _PROJECT_JQL.match(request.query.get("jql", ""))
    if match is None:
        return responses.jira_error(
            400, ["The emulator reads only the JQL project = KEY [ORDER BY ...]"]
        )
    project = state.project(match["project"])
    if project is None:
        return responses.jira_error(
            400, [f"The value '{match['project']}' does not exist for the field 'project'."]
        )
    try:
        limit = max(0, min(100, int(request.query.get("maxResults", "50"))))
    except ValueError:
        return responses.jira_error(400, ["maxResults must be a number"])
    fields = request.query.getall("fields", [])
    issues = [i for i in state.issues.values() if i.project.key == project.key]
    newest = sorted(issues, key=lambda i: int(i.id), reverse=True)[:limit]
    renderer = _renderer(request)
    body = {"issues": [renderer.issue(i, fields) for i in newest], "isLast": True}
    return responses.json_response(body)
