"""Answers shaped like Jira Cloud's: JSON, the two APIs' error bodies, the 401, an HTML page.

The platform API (``/rest/api/3``) reports errors as ``{"errorMessages": [...], "errors":
{field: message}}``; the service desk API (``/rest/servicedeskapi``) as ``{"errorMessage": ...,
"i18nErrorMessage": {"i18nKey": ..., "parameters": [...]}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(payload),
        status=status,
        headers={"Content-Type": JSON_CONTENT_TYPE, **(headers or {})},
    )


def no_content() -> web.Response:
    return web.Response(status=204)


def jira_error(
    status: int,
    messages: list[str] | None = None,
    errors: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    return json_response(
        {"errorMessages": messages or [], "errors": dict(errors or {})}, status, headers
    )


def issue_not_found() -> web.Response:
    return jira_error(404, [ISSUE_NOT_FOUND])


def servicedesk_error(status: int, message: str, key: str) -> web.Response:
    body = {"errorMessage": message, "i18nErrorMessage": {"i18nKey": key, "parameters": []}}
    return json_response(body, status)


def not_authenticated(base: str) -> web.Response:
    """A refused credential. The docs give no body for the 401; the emulator answers the
    platform API's error shape and the ``WWW-Authenticate`` challenge Jira Cloud sends."""
    return jira_error(
        401,
        ["You are not authenticated. Authentication required to perform this operation."],
        headers={"WWW-Authenticate": f'OAuth realm="{base}"'},
    )


LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Log in with Atlassian account</title></head>
<body><div id="root"><h1>Log in to continue</h1>
<p>Your site requires single sign-on. Continue with your identity provider.</p></div></body>
</html>
"""


def login_page() -> web.Response:
    """200 with HTML: what a site behind SSO or maintenance can answer an API call with."""
    return web.Response(text=LOGIN_PAGE, content_type="text/html", charset="utf-8")
