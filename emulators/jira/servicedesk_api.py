"""The Jira Service Management REST API (``/rest/servicedeskapi``), the parts the gateway uses
(https://developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/):

- ``GET/POST /request/{issueIdOrKey}/comment``: comments with ``public`` true (customer-visible)
  or false (internal); bodies are plain strings (see ``adf`` for how they become ADF);
- ``GET /request/{issueIdOrKey}/sla``: every SLA of the request, with its ongoing and completed
  cycles.

Answers are paged (``size``, ``start``, ``limit``, ``isLastPage``, ``values``). Only issues of a
service project are customer requests; for any other issue (and a missing one) these answer 404
in this API's error shape. The docs do not give that message; the emulator words it.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from emulators.jira import adf, responses
from emulators.jira.config import User
from emulators.jira.dates import date_dto
from emulators.jira.keys import STATE_KEY, USER_KEY
from emulators.jira.pipeline import base_url
from emulators.jira.sla import sla_json
from emulators.jira.state import Comment, Issue

PREFIX = "/rest/servicedeskapi"
DEFAULT_LIMIT = 50


def add_routes(app: web.Application, root: str = "") -> None:
    """The routes under ``root``: the site's own (``""``) or the API gateway's."""
    app.router.add_get(f"{root}{PREFIX}/request/{{issue}}/comment", get_comments)
    app.router.add_post(f"{root}{PREFIX}/request/{{issue}}/comment", add_comment)
    app.router.add_get(f"{root}{PREFIX}/request/{{issue}}/sla", get_slas)


def _request_issue(request: web.Request) -> Issue | web.Response:
    issue = request.app[STATE_KEY].find(request.match_info["issue"])
    if issue is None or not issue.project.is_service_desk:
        return responses.servicedesk_error(
            404,
            "The request does not exist or you do not have permission to see it.",
            "sd.request.error.not.found",
        )
    return issue


def _page(request: web.Request, values: list[Any]) -> dict[str, Any] | web.Response:
    start = _int(request.query.get("start"), 0)
    limit = _int(request.query.get("limit"), DEFAULT_LIMIT)
    if start is None or limit is None or limit < 1:
        return responses.servicedesk_error(
            400, "start and limit must be non-negative numbers", "sd.paging.invalid"
        )
    page = values[start : start + limit]
    base = f"{base_url(request)}{PREFIX}"
    links = {"base": base, "context": "", "self": str(request.url)}
    last = start + len(page) >= len(values)
    if not last:
        links["next"] = str(request.url.update_query(start=start + limit, limit=limit))
    if start > 0:
        links["prev"] = str(request.url.update_query(start=max(0, start - limit), limit=limit))
    return {
        "_expands": [],
        "size": len(page),
        "start": start,
        "limit": limit,
        "isLastPage": last,
        "_links": links,
        "values": page,
    }


def _int(raw: str | None, default: int) -> int | None:
    if raw is None:
        return default
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _user(request: web.Request, account_id: str) -> dict[str, Any] | None:
    user = request.app[STATE_KEY].user(account_id)
    if user is None:
        return None
    return {
        "accountId": user.account_id,
        "emailAddress": user.email,
        "displayName": user.display_name,
        "active": True,
        "timeZone": user.time_zone,
        "_links": {"jiraRest": f"{base_url(request)}/rest/api/2/user?accountId={user.account_id}"},
    }


def _comment(request: web.Request, issue: Issue, comment: Comment) -> dict[str, Any]:
    viewer: User = request[USER_KEY]
    return {
        "id": comment.id,
        "body": adf.to_text(comment.body),
        "public": comment.public,
        "author": _user(request, comment.author),
        "created": date_dto(comment.created, viewer.zone),
        "_links": {"self": f"{base_url(request)}{PREFIX}/request/{issue.id}/comment/{comment.id}"},
    }


async def get_comments(request: web.Request) -> web.Response:
    issue = _request_issue(request)
    if isinstance(issue, web.Response):
        return issue
    public = request.query.get("public", "true") != "false"
    internal = request.query.get("internal", "true") != "false"
    chosen = [
        c
        for c in sorted(issue.comments, key=lambda c: (c.created, int(c.id)))
        if (public and c.public) or (internal and not c.public)
    ]
    page = _page(request, [_comment(request, issue, c) for c in chosen])
    return page if isinstance(page, web.Response) else responses.json_response(page)


async def add_comment(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    issue = _request_issue(request)
    if isinstance(issue, web.Response):
        return issue
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        body = None
    text = body.get("body") if isinstance(body, dict) else None
    public = body.get("public", True) if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip() or not isinstance(public, bool):
        # The docs give no message for a missing body; the emulator words one.
        return responses.servicedesk_error(
            400, "A comment needs a body (a string) and public (a boolean).", "sd.comment.invalid"
        )
    comment = state.add_comment(
        issue, request[USER_KEY].account_id, adf.from_text(text), public=public
    )
    return responses.json_response(_comment(request, issue, comment), 201)


async def get_slas(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    issue = _request_issue(request)
    if isinstance(issue, web.Response):
        return issue
    if state.faults.sla_forbidden:
        return responses.servicedesk_error(
            403,
            "You do not have permission to view the SLAs of this request.",
            "sd.sla.error.no.permission",
        )
    now, zone = state.now(), request[USER_KEY].zone
    base = f"{base_url(request)}{PREFIX}/request/{issue.id}/sla"
    values = [sla_json(clock, now, zone, f"{base}/{clock.id}") for clock in issue.slas]
    page = _page(request, values)
    return page if isinstance(page, web.Response) else responses.json_response(page)
