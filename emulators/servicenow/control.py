"""The control API under ``/_emulator``: no authentication, never recorded.

For tests, the demo and benchmarks that run the emulator in another process:

- ``GET /_emulator/requests``, ``DELETE /_emulator/requests``: the request log.
- ``POST /_emulator/reset``: reseed, restore settings, clear faults and the log.
- ``GET/POST /_emulator/faults``: the ``Faults`` fields; POST merges the given ones, e.g.
  ``{"drop_next": 1, "drop_after_write": true}``, ``{"seed": 7, "fail_rate": 0.05,
  "throttle_rate": 0.1, "drop_rate": 0.05}`` or ``{"lookups_forbidden": true}`` (see
  ``faults.Faults`` for every switch).
- ``GET/POST /_emulator/config``: ``time_zone``, ``date_format``, ``time_format``,
  ``token_lifetime_s``; POST merges.
- ``GET /_emulator/records/{table}``: stored values; ``POST`` stores one row raw
  (``insert_raw``: no business rules, e.g. a duplicate number).

Bad input is 400 ``{"error": "<why>"}``; nothing is changed then.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from emulators.servicenow.keys import STATE_KEY
from emulators.servicenow.responses import json_response
from emulators.servicenow.schema import TABLES
from emulators.servicenow.state import EmulatorState


def add_routes(app: web.Application) -> None:
    app.router.add_get("/_emulator/requests", get_requests)
    app.router.add_delete("/_emulator/requests", clear_requests)
    app.router.add_post("/_emulator/reset", reset)
    app.router.add_get("/_emulator/faults", get_faults)
    app.router.add_post("/_emulator/faults", set_faults)
    app.router.add_get("/_emulator/config", get_config)
    app.router.add_post("/_emulator/config", set_config)
    app.router.add_get("/_emulator/records/{table}", get_records)
    app.router.add_post("/_emulator/records/{table}", insert_record)


async def get_requests(request: web.Request) -> web.Response:
    return json_response([r.to_json() for r in request.app[STATE_KEY].requests])


async def clear_requests(request: web.Request) -> web.Response:
    request.app[STATE_KEY].clear_requests()
    return web.Response(status=204)


async def reset(request: web.Request) -> web.Response:
    request.app[STATE_KEY].reset()
    return web.Response(status=204)


async def get_faults(request: web.Request) -> web.Response:
    return json_response(request.app[STATE_KEY].faults.to_json())


async def set_faults(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    changes = await _object(request)
    if isinstance(changes, web.Response):
        return changes
    try:
        state.faults.merge(changes)
    except ValueError as exc:
        return _bad(str(exc))
    return json_response(state.faults.to_json())


async def get_config(request: web.Request) -> web.Response:
    return json_response(_settings(request.app[STATE_KEY]))


async def set_config(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    changes = await _object(request)
    if isinstance(changes, web.Response):
        return changes
    try:
        state.update_settings(changes)
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    return json_response(_settings(state))


async def get_records(request: web.Request) -> web.Response:
    table = request.match_info["table"]
    if table not in TABLES:
        return _bad(f"unknown table {table}", status=404)
    return json_response(request.app[STATE_KEY].records(table))


async def insert_record(request: web.Request) -> web.Response:
    table = request.match_info["table"]
    if table not in TABLES:
        return _bad(f"unknown table {table}", status=404)
    record = await _object(request)
    if isinstance(record, web.Response):
        return record
    try:
        row = request.app[STATE_KEY].insert_raw(table, record)
    except ValueError as exc:
        return _bad(str(exc))
    return json_response(row, status=201)


def _settings(state: EmulatorState) -> dict[str, Any]:
    config = state.config
    return {
        "time_zone": config.time_zone,
        "date_format": config.date_format,
        "time_format": config.time_format,
        "token_lifetime_s": config.token_lifetime_s,
    }


async def _object(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return _bad("the body must be a JSON object")
    if not isinstance(body, dict):
        return _bad("the body must be a JSON object")
    return body


def _bad(why: str, status: int = 400) -> web.Response:
    return json_response({"error": why}, status=status)
