"""The Jira Cloud platform REST API v3 (``/rest/api/3``), the parts the gateway uses:

- ``GET/PUT /issue/{issueIdOrKey}`` and ``POST /issue``
  (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/);
- ``GET/POST /issue/{issueIdOrKey}/transitions`` (same page);
- ``GET/POST /issue/{issueIdOrKey}/comment``
  (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/);
- ``GET /project/{projectIdOrKey}``
  (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/);
- ``GET /field`` (``emulators.jira.field_list``).

Authentication, faults and recording have already happened (``pipeline``).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from emulators.jira import adf, responses
from emulators.jira.field_list import get_fields
from emulators.jira.fields import check_fields, issue_type_of, not_settable
from emulators.jira.keys import STATE_KEY, USER_KEY
from emulators.jira.pipeline import base_url
from emulators.jira.projects import ISSUE_TYPES
from emulators.jira.render import Renderer
from emulators.jira.state import Issue, JiraState
from emulators.jira.workflow import RESOLUTIONS

PREFIX = "/rest/api/3"
INVALID_PAYLOAD = "Invalid request payload. Refer to the REST API documentation and try again."
# Jira Service Management reads this comment property to keep a comment internal (agents only).
# Atlassian documents it in its knowledge base, not in the REST reference, whose ``jsdPublic``
# description points to the service desk API for internal comments instead.
SD_PUBLIC_COMMENT = "sd.public.comment"
DEFAULT_MAX_COMMENTS = 5000


def add_routes(app: web.Application, root: str = "") -> None:
    """The routes under ``root``: the site's own (``""``) or the API gateway's."""
    app.router.add_post(f"{root}{PREFIX}/issue", create_issue)
    app.router.add_get(f"{root}{PREFIX}/issue/{{issue}}", get_issue)
    app.router.add_put(f"{root}{PREFIX}/issue/{{issue}}", edit_issue)
    app.router.add_get(f"{root}{PREFIX}/issue/{{issue}}/transitions", get_transitions)
    app.router.add_post(f"{root}{PREFIX}/issue/{{issue}}/transitions", do_transition)
    app.router.add_get(f"{root}{PREFIX}/issue/{{issue}}/comment", get_comments)
    app.router.add_post(f"{root}{PREFIX}/issue/{{issue}}/comment", add_comment)
    app.router.add_get(f"{root}{PREFIX}/project/{{project}}", get_project)
    app.router.add_get(f"{root}{PREFIX}/field", get_fields)


def _renderer(request: web.Request) -> Renderer:
    return Renderer(request.app[STATE_KEY], base_url(request), request[USER_KEY].zone)


def _issue(request: web.Request) -> Issue | None:
    return request.app[STATE_KEY].find(request.match_info["issue"])


async def _object(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return responses.jira_error(400, [INVALID_PAYLOAD])
    if not isinstance(body, dict):
        return responses.jira_error(400, [INVALID_PAYLOAD])
    return body


async def get_issue(request: web.Request) -> web.Response:
    issue = _issue(request)
    if issue is None:
        return responses.issue_not_found()
    if request.app[STATE_KEY].faults.take_issue_read_failure():
        return responses.jira_error(503, ["Service temporarily unavailable (an emulator fault)"])
    expand = ",".join(request.query.getall("expand", [])).split(",")
    body = _renderer(request).issue(issue, request.query.getall("fields", []), expand)
    return responses.json_response(body)


async def create_issue(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = await _object(request)
    if isinstance(body, web.Response):
        return body
    fields = body.get("fields", {})
    if not isinstance(fields, dict):
        return responses.jira_error(400, [INVALID_PAYLOAD])
    if body.get("update"):
        # The docs allow ``update`` on create; the emulator does not model it.
        return responses.jira_error(400, ["The emulator does not support 'update' on create"])
    reference = fields.get("project")
    project = None
    if isinstance(reference, dict):
        project = state.project(str(reference.get("key") or reference.get("id") or ""))
    if project is None:
        return responses.jira_error(400, errors={"project": "Specify a valid project ID or key"})
    errors: dict[str, str] = {}
    issue_type = issue_type_of(project, fields.get("issuetype"))
    if issue_type is None:
        given = "issuetype" in fields
        errors["issuetype"] = "Specify a valid issue type" if given else "Specify an issue type"
    values, problems = check_fields(state, project, fields, creating=True)
    errors.update(problems)
    if errors:
        return responses.jira_error(400, errors=errors)
    assert issue_type is not None
    issue = state.create_issue(project, issue_type, values, request[USER_KEY].account_id)
    _run_automation(state, issue)
    link = f"{base_url(request)}{PREFIX}/issue/{issue.id}"
    return responses.json_response({"id": issue.id, "key": issue.key, "self": link}, 201)


async def edit_issue(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    issue = _issue(request)
    if issue is None:
        return responses.issue_not_found()
    body = await _object(request)
    if isinstance(body, web.Response):
        return body
    fields, update = body.get("fields", {}), body.get("update", {})
    if not isinstance(fields, dict) or not isinstance(update, dict):
        return responses.jira_error(400, [INVALID_PAYLOAD])
    values, errors = check_fields(state, issue.project, fields, creating=False)
    comments: list[dict[str, Any]] = []
    for name, operations in update.items():
        if name in fields:
            errors[name] = f"Field '{name}' cannot be set in both 'fields' and 'update'"
        elif name == "comment":
            problem = _comment_operations(operations, comments)
            if problem:
                errors[name] = problem
        elif name == "labels":
            labels = _label_operations(issue, operations)
            if isinstance(labels, str):
                errors[name] = labels
            else:
                values[name] = labels
        else:
            errors[name] = not_settable(name)  # the emulator models update only for these two
    if errors:
        return responses.jira_error(400, errors=errors)
    _apply(state, issue, values, comments, request[USER_KEY].account_id)
    if request.query.get("returnIssue") == "true":
        expand = request.query.get("expand", "").split(",")
        return responses.json_response(_renderer(request).issue(issue, (), expand))
    return responses.no_content()


def _apply(
    state: JiraState,
    issue: Issue,
    values: dict[str, Any],
    comments: list[dict[str, Any]],
    author: str,
) -> None:
    issue.values.update(values)
    for body in comments:
        state.add_comment(issue, author, body)
    issue.updated = state.now()
    if values:
        _run_automation(state, issue)


def _run_automation(state: JiraState, issue: Issue) -> None:
    """The ``automation_edits`` fault: a rule edits the issue right after the write (values Jira
    would refuse are left out, as a failing rule changes nothing)."""
    edits = state.faults.automation_edits
    if edits:
        values, _ = check_fields(state, issue.project, edits, creating=False)
        issue.values.update(values)


def _comment_operations(operations: Any, into: list[dict[str, Any]]) -> str | None:
    if not isinstance(operations, list):
        return INVALID_PAYLOAD
    for operation in operations:
        added = operation.get("add") if isinstance(operation, dict) else None
        body = added.get("body") if isinstance(added, dict) else None
        if not adf.is_document(body):
            return adf.NOT_A_DOCUMENT
        into.append(body)
    return None


def _label_operations(issue: Issue, operations: Any) -> list[str] | str:
    labels = list(issue.values.get("labels") or [])
    if not isinstance(operations, list):
        return INVALID_PAYLOAD
    for operation in operations:
        if not isinstance(operation, dict) or len(operation) != 1:
            return INVALID_PAYLOAD
        ((verb, value),) = operation.items()
        if verb == "set" and isinstance(value, list):
            labels = [str(v) for v in value]
        elif verb == "add" and isinstance(value, str) and " " not in value:
            labels += [] if value in labels else [value]
        elif verb == "remove" and isinstance(value, str):
            labels = [label for label in labels if label != value]
        else:
            return INVALID_PAYLOAD
    return labels


async def get_transitions(request: web.Request) -> web.Response:
    issue = _issue(request)
    if issue is None:
        return responses.issue_not_found()
    with_fields = "transitions.fields" in request.query.get("expand", "").split(",")
    transitions = _renderer(request).transitions(issue, with_fields)
    wanted = request.query.get("transitionId")
    if wanted:
        transitions = [t for t in transitions if t["id"] == wanted]
    return responses.json_response({"expand": "transitions", "transitions": transitions})


async def do_transition(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    issue = _issue(request)
    if issue is None:
        return responses.issue_not_found()
    body = await _object(request)
    if isinstance(body, web.Response):
        return body
    reference = body.get("transition")
    wanted = reference.get("id") if isinstance(reference, dict) else None
    if wanted is None:
        return responses.jira_error(400, ["Missing 'transition' identifier"])
    transition = next(
        (t for t in issue.project.workflow.available(issue.status) if t.id == str(wanted)), None
    )
    if transition is None:
        return responses.jira_error(400, [f"Transition id '{wanted}' is not valid for this issue."])
    fields, update = body.get("fields", {}), body.get("update", {})
    if not isinstance(fields, dict) or not isinstance(update, dict):
        return responses.jira_error(400, [INVALID_PAYLOAD])
    errors: dict[str, str] = {}
    resolution = None
    for name, value in fields.items():
        if name == "resolution" and transition.has_screen:
            resolution = _resolution_id(value)
            if resolution is None:
                errors[name] = f"Resolution '{_named(value)}' is not valid"
        else:
            errors[name] = not_settable(name)
    comments: list[dict[str, Any]] = []
    for name, operations in update.items():
        if name == "comment":
            problem = _comment_operations(operations, comments)
        else:
            problem = not_settable(name)
        if problem:
            errors[name] = problem
    if errors:
        return responses.jira_error(400, errors=errors)
    author = request[USER_KEY].account_id
    state.transition(issue, transition, resolution)
    for comment in comments:
        state.add_comment(issue, author, comment)
    return responses.no_content()


def _resolution_id(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if value.get("id") in RESOLUTIONS:
        return str(value["id"])
    return next((rid for rid, name in RESOLUTIONS.items() if name == value.get("name")), None)


def _named(value: Any) -> str:
    return str(value.get("name") or value.get("id")) if isinstance(value, dict) else str(value)


async def get_comments(request: web.Request) -> web.Response:
    issue = _issue(request)
    if issue is None:
        return responses.issue_not_found()
    start = _int(request.query.get("startAt"), 0)
    limit = _int(request.query.get("maxResults"), DEFAULT_MAX_COMMENTS)
    if start is None or limit is None:
        return responses.jira_error(400, [INVALID_PAYLOAD])
    ordered = sorted(issue.comments, key=lambda c: (c.created, int(c.id)))
    if request.query.get("orderBy", "").startswith("-"):
        ordered.reverse()
    renderer = _renderer(request)
    expand = request.query.get("expand", "").split(",")
    page = [renderer.comment(issue, c, expand) for c in ordered[start : start + limit]]
    return responses.json_response(
        {"startAt": start, "maxResults": limit, "total": len(ordered), "comments": page}
    )


def _int(raw: str | None, default: int) -> int | None:
    if raw is None:
        return default
    return int(raw) if raw.isascii() and raw.isdigit() else None


async def add_comment(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    issue = _issue(request)
    if issue is None:
        return responses.issue_not_found()
    body = await _object(request)
    if isinstance(body, web.Response):
        return body
    if not adf.is_document(body.get("body")):
        return responses.jira_error(400, errors={"comment": adf.NOT_A_DOCUMENT})
    visibility = body.get("visibility")
    if visibility is not None and not (
        isinstance(visibility, dict)
        and visibility.get("type") in ("group", "role")
        and (visibility.get("value") or visibility.get("identifier"))
    ):
        return responses.jira_error(400, errors={"visibility": "Invalid visibility"})
    properties = body.get("properties", [])
    if not isinstance(properties, list) or not all(
        isinstance(p, dict) and isinstance(p.get("key"), str) for p in properties
    ):
        return responses.jira_error(400, [INVALID_PAYLOAD])
    internal = any(
        p["key"] == SD_PUBLIC_COMMENT
        and isinstance(p.get("value"), dict)
        and p["value"].get("internal") is True
        for p in properties
    )
    comment = state.add_comment(
        issue,
        request[USER_KEY].account_id,
        body["body"],
        # jsdPublic "defaults to true when comments are created in the Jira Cloud Platform".
        public=not (internal and issue.project.is_service_desk),
        visibility=visibility,
        properties=properties,
    )
    return responses.json_response(_renderer(request).comment(issue, comment), 201)


async def get_project(request: web.Request) -> web.Response:
    wanted = request.match_info["project"]
    project = request.app[STATE_KEY].project(wanted)
    if project is None:
        return responses.jira_error(404, [f"No project could be found with key '{wanted}'."])
    body = _renderer(request).project(project)
    body["issueTypes"] = [
        {"id": t, "name": ISSUE_TYPES[t], "subtask": False} for t in project.issue_types
    ]
    return responses.json_response(body)
