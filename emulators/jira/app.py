"""The application factory."""

from __future__ import annotations

from aiohttp import web

from emulators.jira import (
    account_api,
    cloud,
    control,
    platform_api,
    responses,
    servicedesk_api,
    users_api,
)
from emulators.jira.config import GATEWAY_ROOT
from emulators.jira.keys import STATE_KEY
from emulators.jira.pipeline import emulate_site
from emulators.jira.state import JiraState


def create_app(state: JiraState | None = None) -> web.Application:
    """An aiohttp application emulating one Jira Cloud site; a fresh seeded state if none.

    The site's API is served at its own root and, for OAuth 2.0 clients, under Atlassian's API
    gateway root ``/ex/jira/{cloudId}`` next to ``/oauth/token/accessible-resources``.

    The state is ``app[STATE_KEY]``, so in-process tests can assert on it and flip faults.
    """
    app = web.Application(middlewares=[emulate_site])
    app[STATE_KEY] = state if state is not None else JiraState()
    control.add_routes(app)
    cloud.add_routes(app)
    for root in ("", GATEWAY_ROOT):
        platform_api.add_routes(app, root)
        account_api.add_routes(app, root)
        servicedesk_api.add_routes(app, root)
        users_api.add_routes(app, root)
        app.router.add_route("*", f"{root}/rest/{{tail:.*}}", no_such_resource)
    cloud.add_fallback(app)
    return app


async def no_such_resource(request: web.Request) -> web.Response:
    # What Jira's REST layer (Jersey) answers for a path it has no resource for.
    return responses.jira_error(404, [f"null for uri: {request.url}"])
