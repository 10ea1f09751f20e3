"""Typed keys for what the application and its requests carry."""

from __future__ import annotations

from aiohttp import web

from emulators.servicenow.state import EmulatorState, RecordedRequest

STATE_KEY = web.AppKey("servicenow_emulator_state", EmulatorState)
USER_KEY = web.RequestKey("servicenow_user", str)  # the authenticated user_name
RECORD_KEY = web.RequestKey("servicenow_record", RecordedRequest)
