"""The control API under ``/_emulator``: no authentication, never recorded.

For tests, the demo and benchmarks that run the emulator in another process:

- ``GET /_emulator/requests``, ``DELETE /_emulator/requests``: the request log;
- ``POST /_emulator/reset``: the seeded issues back, faults and the log cleared;
- ``GET/POST /_emulator/faults``: the ``Faults`` switches; POST merges the given ones, e.g.
  ``{"throttle_next": 1, "throttle_retry_after_s": 2}`` or ``{"reject_credentials": true}``;
- ``GET /_emulator/issues``: every issue as stored (key, id, project, status, summary,
  resolution, comments with their ``public`` flag and plain text), for assertions.

Bad input is 400 ``{"error": "<why>"}``; nothing is changed then.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from emulators.jira import adf
from emulators.jira.keys import STATE_KEY
from emulators.jira.responses import json_response
from emulators.jira.state import Issue, resolution_name


def add_routes(app: web.Application) -> None:
    app.router.add_get("/_emulator/requests", get_requests)
    app.router.add_delete("/_emulator/requests", clear_requests)
    app.router.add_post("/_emulator/reset", reset)
    app.router.add_get("/_emulator/faults", get_faults)
    app.router.add_post("/_emulator/faults", set_faults)
    app.router.add_get("/_emulator/issues", get_issues)


async def get_requests(request: web.Request) -> web.Response:
    return json_response([r.to_json() for r in request.app[STATE_KEY].requests])


async def clear_requests(request: web.Request) -> web.Response:
    request.app[STATE_KEY].requests.clear()
    return web.Response(status=204)


async def reset(request: web.Request) -> web.Response:
    request.app[STATE_KEY].reset()
    return web.Response(status=204)


async def get_faults(request: web.Request) -> web.Response:
    return json_response(request.app[STATE_KEY].faults.to_json())


async def set_faults(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    try:
        changes = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        changes = None
    if not isinstance(changes, dict):
        return json_response({"error": "the body must be a JSON object"}, 400)
    try:
        state.faults.merge(changes)
    except ValueError as exc:
        return json_response({"error": str(exc)}, 400)
    return json_response(state.faults.to_json())


async def get_issues(request: web.Request) -> web.Response:
    return json_response([stored(issue) for issue in request.app[STATE_KEY].issues.values()])


def stored(issue: Issue) -> dict[str, Any]:
    """An issue as the emulator holds it, with times in UTC ISO 8601."""
    workflow = issue.project.workflow
    return {
        "id": issue.id,
        "key": issue.key,
        "project": issue.project.key,
        "issuetype": issue.issue_type,
        "status": workflow.statuses[issue.status].name,
        "resolution": resolution_name(issue.resolution),
        "resolutiondate": issue.resolutiondate.isoformat() if issue.resolutiondate else None,
        "created": issue.created.isoformat(),
        "updated": issue.updated.isoformat(),
        "values": issue.values,
        "comments": [
            {
                "id": c.id,
                "author": c.author,
                "public": c.public,
                "text": adf.to_text(c.body),
                "body": c.body,
                "created": c.created.isoformat(),
            }
            for c in issue.comments
        ],
    }
