"""Reading what Jira answers: status, JSON, its two error shapes, and turning each into one
gateway error whose message names Jira and the site's host and carries no secret.

The platform API answers errors as ``{"errorMessages": [...], "errors": {field: message}}``, the
service desk API as ``{"errorMessage": ..., "i18nErrorMessage": {...}}``, and Atlassian's API
gateway (OAuth 2.0 calls) as ``{"code": ..., "message": ...}``; ``quote`` reads all three.
"""

from __future__ import annotations

import httpx
import orjson

from connectors.answers import not_json
from connectors.answers import transport_error as core_transport_error
from connectors.errors import GatewayError, ItsmError, RateLimited

# Each quoted message is cut to this length, the whole quote to twice it: enough for Jira's
# field errors, never a whole payload.
_QUOTE_LIMIT = 300


def transport_error(exc: httpx.TransportError, host: str) -> GatewayError:
    """A request that got no HTTP answer (``connectors.answers``)."""
    return core_transport_error(exc, f"Jira at {host}")


def rate_limited(response: httpx.Response, host: str) -> RateLimited:
    """Jira Cloud's 429 carries ``Retry-After`` in seconds (it may be missing)."""
    raw = response.headers.get("Retry-After", "").strip()
    retry_after = int(raw) if raw.isascii() and raw.isdigit() else None
    return RateLimited(
        f"Jira at {host} is rate-limiting the gateway's account (429); retry later",
        retry_after=retry_after,
    )


def json_body(response: httpx.Response, host: str) -> object:
    """The decoded body, or ``ItsmError`` when it is not JSON, whatever the status: a site
    behind single sign-on or in maintenance can answer 200 with an HTML page."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    what = not_json(response)
    raise ItsmError(
        f"Jira at {host} answered {response.status_code} with {what} instead of JSON (the site "
        "may be asking for a login or be in maintenance); check the site in a browser and retry"
    )


def quote(body: object) -> str:
    """Jira's own error messages, cut short; never the whole body."""
    if not isinstance(body, dict):
        return "no error message"
    parts: list[str] = []
    messages = body.get("errorMessages")
    if isinstance(messages, list):
        parts.extend(str(m) for m in messages if m)
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts.extend(f"{field}: {message}" for field, message in errors.items())
    for key in ("errorMessage", "message"):
        if isinstance(body.get(key), str) and body[key]:
            parts.append(body[key])
    text = "; ".join(part.strip()[:_QUOTE_LIMIT] for part in parts)
    return text[: 2 * _QUOTE_LIMIT] if text else "no error message"


def refusal(status: int, body: object, host: str) -> ItsmError:
    """The error for a non-2xx JSON answer that the caller of the client did not handle."""
    quoted = quote(body)
    if status == 401:
        return ItsmError(
            f"Jira at {host} rejected the gateway's credentials (401: {quoted}); check the "
            "account's email address and API token (basic) or the OAuth 2.0 access token (bearer)"
        )
    if status == 403:
        return ItsmError(f"Jira at {host} refused the gateway's account access (403: {quoted})")
    if status == 400:
        return ItsmError(f"Jira at {host} refused the request (400: {quoted})")
    return ItsmError(f"Jira at {host} answered {status} ({quoted})")
