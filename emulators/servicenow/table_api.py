"""Table API handlers: ``/api/now[/v1|/v2]/table/{table}[/{sys_id}]``.

Authentication, faults and recording have already happened (``pipeline``). Answers are
``{"result": ...}`` shaped by ``sysparm_fields``, ``sysparm_display_value`` and
``sysparm_exclude_reference_link``, for reads and writes alike.

What else the Table API reference describes and the handlers follow:
- A list is filtered by ``sysparm_query`` ANDed with name-value pairs (``?active=false``): every
  parameter not named ``sysparm_*`` is a ``column=value`` condition. The reference calls the two
  mutually exclusive; given both, the emulator keeps both (the narrower answer, never a wider one).
- ``sysparm_limit`` / ``sysparm_offset`` page the list; ``X-Total-Count`` is always sent and
  ``Link`` (first/prev/next/last) unless ``sysparm_suppress_pagination_header=true``.
- ``X-no-response-body: true`` on a write keeps its status and headers and drops the body.
- An encoded query the emulator cannot evaluate is a 400 (``query.InvalidQuery``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web

from emulators.servicenow import responses, writes
from emulators.servicenow.display import DisplayMode, Lookups, RenderOptions, render
from emulators.servicenow.keys import STATE_KEY, USER_KEY
from emulators.servicenow.query import InvalidQuery
from emulators.servicenow.schema import TABLES
from emulators.servicenow.session import session_zone
from emulators.servicenow.state import EmulatorState

DEFAULT_LIMIT = 10_000


def add_routes(app: web.Application) -> None:
    for prefix in ("/api/now", "/api/now/v1", "/api/now/v2"):
        app.router.add_get(prefix + "/table/{table}", list_records)
        app.router.add_post(prefix + "/table/{table}", create_record)
        app.router.add_get(prefix + "/table/{table}/{sys_id}", get_record)
        app.router.add_patch(prefix + "/table/{table}/{sys_id}", update_record)
        app.router.add_put(prefix + "/table/{table}/{sys_id}", update_record)
        app.router.add_delete(prefix + "/table/{table}/{sys_id}", delete_record)
    app.router.add_route("*", "/api/{tail:.*}", no_such_resource)


async def list_records(request: web.Request) -> web.StreamResponse:
    state, table = request.app[STATE_KEY], request.match_info["table"]
    refused = _refuse_read(state, table)
    if refused is not None:
        return refused
    query = request.query
    limit = _int_param(query.get("sysparm_limit"), DEFAULT_LIMIT, minimum=1)
    offset = _int_param(query.get("sysparm_offset"), 0, minimum=0)
    filters = {name: value for name, value in query.items() if not name.startswith("sysparm_")}
    try:
        rows, total = state.select(table, query.get("sysparm_query", ""), limit, offset, filters)
    except InvalidQuery as invalid:
        # The vendor documents no error for this (see query.py): strict, and said so.
        return responses.error_response(400, "Invalid query", str(invalid))
    if state.faults.filters_rows(table):
        rows = []  # ACLs filter rows after the limit and the count, and still answer 200
    shaper = _Shaper(request, state, table)
    headers = {"X-Total-Count": str(total)}
    if not _true(query.get("sysparm_suppress_pagination_header")):
        headers["Link"] = _link_header(request, shaper.instance_url, table, limit, offset, total)
    return responses.json_response({"result": [shaper.shape(r) for r in rows]}, headers=headers)


async def get_record(request: web.Request) -> web.StreamResponse:
    state, table = request.app[STATE_KEY], request.match_info["table"]
    refused = _refuse_read(state, table)
    if refused is not None:
        return refused
    row = state.get(table, request.match_info["sys_id"])
    if row is None or state.faults.filters_rows(table):
        return responses.no_record()
    return responses.json_response({"result": _Shaper(request, state, table).shape(row)})


async def create_record(request: web.Request) -> web.StreamResponse:
    state, table = request.app[STATE_KEY], request.match_info["table"]
    if table not in TABLES:
        return responses.invalid_table(table)
    body = await _json_object(request)
    if isinstance(body, web.Response):
        return body
    try:
        row = writes.insert(state, table, body, request[USER_KEY], _display_input(request))
    except writes.WriteRefused as refused:
        return responses.error_response(refused.status, refused.message, refused.detail)
    shaper = _Shaper(request, state, table)
    location = f"{shaper.instance_url}/api/now/v2/table/{table}/{row['sys_id']}"
    if _no_body(request):
        return web.Response(status=201, headers={"Location": location})
    return responses.json_response(
        {"result": shaper.shape(row)}, status=201, headers={"Location": location}
    )


async def update_record(request: web.Request) -> web.StreamResponse:
    """PATCH, and PUT, which instances also treat as a partial update."""
    state, table = request.app[STATE_KEY], request.match_info["table"]
    if table not in TABLES:
        return responses.invalid_table(table)
    body = await _json_object(request)
    if isinstance(body, web.Response):
        return body
    sys_id = request.match_info["sys_id"]
    try:
        row = writes.update(state, table, sys_id, body, request[USER_KEY], _display_input(request))
    except writes.WriteRefused as refused:
        return responses.error_response(refused.status, refused.message, refused.detail)
    if row is None:
        return responses.no_record()
    if _no_body(request):
        return web.Response(status=200)
    return responses.json_response({"result": _Shaper(request, state, table).shape(row)})


async def delete_record(request: web.Request) -> web.StreamResponse:
    state, table = request.app[STATE_KEY], request.match_info["table"]
    if table not in TABLES:
        return responses.invalid_table(table)
    if not writes.delete(state, table, request.match_info["sys_id"]):
        return responses.no_record()
    return web.Response(status=204)


async def no_such_resource(request: web.Request) -> web.StreamResponse:
    return responses.error_response(
        400, "Requested URI does not represent any resource", request.path
    )


class _Shaper:
    """Renders rows as one request asked: its fields, display mode and reference links."""

    def __init__(self, request: web.Request, state: EmulatorState, table: str) -> None:
        query = request.query
        config = state.config
        self.instance_url = (config.instance_url or f"{request.scheme}://{request.host}").rstrip(
            "/"
        )
        self._state, self._table = state, table
        self._lookups: Lookups = state
        self._options = RenderOptions(
            mode=DisplayMode.from_param(query.get("sysparm_display_value")),
            exclude_links=_true(query.get("sysparm_exclude_reference_link")),
            instance_url=self.instance_url,
            zone=session_zone(state, request.get(USER_KEY)),
            datetime_format=config.datetime_format,
        )
        self._fields = _fields_param(query.get("sysparm_fields"))

    def shape(self, row: Mapping[str, str]) -> dict[str, Any]:
        """The rendered row. Unknown names in ``sysparm_fields`` are dropped; if none is
        known, the record renders as ``{}`` (plausible; the notes only say unknown names are
        ignored). Columns under a field ACL the account fails (``Faults.unreadable_columns``)
        are dropped the same way."""
        names = self._fields or [c.name for c in self._state.columns(self._table)]
        shaped: dict[str, Any] = {}
        hides = self._state.faults.hides
        for name in names:
            if hides(self._table, name):
                continue  # a field ACL the account fails: the key is absent, not empty
            field = self._state.field_at(self._table, row, name)
            if field is not None:
                shaped[name] = render(field, self._options, self._lookups)
        return shaped


def _refuse_read(state: EmulatorState, table: str) -> web.Response | None:
    if table not in TABLES:
        return responses.invalid_table(table)
    if state.faults.forbids(table):
        return responses.error_response(
            403,
            "Insufficient rights to query records",
            "Field(s) present in the query do not have permission to be read",
        )
    return None


async def _json_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The body as a JSON object, or the 4xx answer to give instead. No body is ``{}``."""
    raw = await request.read()
    if not raw.strip():
        return {}
    if request.content_type != "application/json":
        # The notes require JSON content; the status and text instances use are unconfirmed.
        return responses.error_response(
            415, "Unsupported Media Type", "Content-Type must be application/json"
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return responses.unreadable_body("The payload is not valid JSON.")
    if not isinstance(body, dict):
        return responses.unreadable_body("The payload is not a JSON object.")
    return body


def _no_body(request: web.Request) -> bool:
    return _true(request.headers.get("X-no-response-body"))


def _display_input(request: web.Request) -> bool:
    return _true(request.query.get("sysparm_input_display_value"))


def _true(raw: str | None) -> bool:
    return (raw or "").strip().lower() == "true"


def _fields_param(raw: str | None) -> list[str]:
    return [name.strip() for name in (raw or "").split(",") if name.strip()]


def _int_param(raw: str | None, default: int, *, minimum: int) -> int:
    """A numeric parameter; anything unparsable or too small is the default (ignored)."""
    try:
        value = int(raw or "")
    except ValueError:
        return default
    return value if value >= minimum else default


def _link_header(
    request: web.Request, instance_url: str, table: str, limit: int, offset: int, total: int
) -> str:
    """``first``, ``prev``, ``next`` and ``last`` page links, as instances send them: the
    request's own parameters with ``sysparm_limit``/``sysparm_offset`` set, on ``/v2/``."""
    base = {k: v for k, v in request.query.items() if k not in {"sysparm_limit", "sysparm_offset"}}

    def url(page_offset: int) -> str:
        params = {**base, "sysparm_limit": str(limit), "sysparm_offset": str(page_offset)}
        return f"{instance_url}/api/now/v2/table/{table}?{urlencode(params)}"

    pages = [("first", 0)]
    if offset > 0:
        pages.append(("prev", max(0, offset - limit)))
    if offset + limit < total:
        pages.append(("next", offset + limit))
    pages.append(("last", max(0, (total - 1) // limit * limit)))
    return ",".join(f'<{url(o)}>;rel="{rel}"' for rel, o in pages)
