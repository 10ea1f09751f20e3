"""The application factory."""

from __future__ import annotations

from aiohttp import web

from emulators.servicenow import control, oauth, table_api
from emulators.servicenow.keys import STATE_KEY
from emulators.servicenow.pipeline import OAUTH_PATH, emulate_instance
from emulators.servicenow.state import EmulatorState


def create_app(state: EmulatorState | None = None) -> web.Application:
    """An aiohttp application emulating one instance; a fresh seeded state if none is given.

    The state is ``app[STATE_KEY]``, so in-process tests can assert on it and flip faults.
    """
    app = web.Application(middlewares=[emulate_instance])
    app[STATE_KEY] = state if state is not None else EmulatorState()
    app.router.add_post(OAUTH_PATH, oauth.token)
    control.add_routes(app)
    table_api.add_routes(app)
    return app
