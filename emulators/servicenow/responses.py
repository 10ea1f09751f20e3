"""Answers shaped like an instance's: JSON content type, error envelope, the hibernation page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

# Instances write it this way, without a space and with the charset upper case.
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(payload),
        status=status,
        headers={"Content-Type": JSON_CONTENT_TYPE, **(headers or {})},
    )


def error_response(
    status: int, message: str, detail: str | None, headers: Mapping[str, str] | None = None
) -> web.Response:
    """The Table API error envelope; ``detail`` may be ``None`` (sent as JSON null)."""
    body = {"error": {"message": message, "detail": detail}, "status": "failure"}
    return json_response(body, status, headers)


def not_authenticated() -> web.Response:
    return error_response(
        401,
        "User Not Authenticated",
        "Required to provide Auth information",
        {"WWW-Authenticate": 'BASIC realm="Service-now"'},
    )


def no_record() -> web.Response:
    return error_response(
        404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"
    )


def invalid_table(table: str) -> web.Response:
    return error_response(400, f"Invalid table {table}", None)


def unreadable_body(detail: str) -> web.Response:
    # Instances answer unparsable bodies with 400 and this message (detail text unconfirmed).
    return error_response(400, "Exception while reading request", detail)


HIBERNATING_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Instance Hibernating page</title>
</head>
<body>
<div class="instance-hibernating">
<h1>Your instance is hibernating</h1>
<p>Developer instances hibernate when they are not in use. To wake your instance, sign in to
the <a href="https://developer.servicenow.com">ServiceNow Developer Program</a> and select
&quot;Wake up instance&quot;.</p>
</div>
</body>
</html>
"""


def hibernating() -> web.Response:
    """200 with an HTML page: what a sleeping developer instance answers to API calls."""
    return web.Response(text=HIBERNATING_PAGE, content_type="text/html", charset="utf-8")
