"""The application factory."""

from __future__ import annotations

from aiohttp import web

from emulators.jira import control, platform_api, responses, servicedesk_api
from emulators.jira.keys import STATE_KEY
from emulators.jira.pipeline import emulate_site
from emulators.jira.state import JiraState


def create_app(state: JiraState | None = None) -> web.Application:
    """An aiohttp application emulating one Jira Cloud site; a fresh seeded state if none.

    The state is ``app[STATE_KEY]``, so in-process tests can assert on it and flip faults.
    """
    app = web.Application(middlewares=[emulate_site])
    app[STATE_KEY] = state if state is not None else JiraState()
    control.add_routes(app)
    platform_api.add_routes(app)
    servicedesk_api.add_routes(app)
    app.router.add_route("*", "/rest/{tail:.*}", no_such_resource)
    return app


async def no_such_resource(request: web.Request) -> web.Response:
    # What Jira's REST layer (Jersey) answers for a path it has no resource for.
    return responses.jira_error(404, [f"null for uri: {request.url}"])
