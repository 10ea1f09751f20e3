"""Reading what Request Tracker answers: status, JSON, its ``{"message": ...}`` error body, and
turning each into one gateway error whose message names RT and the host and carries no secret.

RT 5's REST 2.0 answers errors as ``{"message": "..."}`` (notes, section 7); a client it takes for
a browser gets a 302 to its login page instead of a 401, which reads here as a non-JSON answer.
"""

from __future__ import annotations

import httpx
import orjson

from connectors.answers import not_json
from connectors.errors import GatewayError, ItsmError, RateLimited

# A quote from RT is cut to this length: enough for its one-line messages, never a payload.
QUOTE_LIMIT = 300


def json_body(response: httpx.Response, name: str) -> object:
    """The decoded body, or ``ItsmError`` when it is not JSON whatever the status (a login page,
    a proxy's error page, RT's 302 for clients it takes for browsers)."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    status = response.status_code
    if 300 <= status < 400:
        raise ItsmError(
            f"{name} answered {status} (a redirect, to {response.headers.get('Location', '?')!r})"
            " instead of JSON: RT redirects to its login page when it takes a client for a "
            "browser; check the instance URL (the RT base URL, without /REST/2.0)"
        )
    if not response.content.strip():
        raise ItsmError(f"{name} answered {status} with an empty body")
    what = not_json(response)
    raise ItsmError(
        f"{name} answered {status} with {what} instead of JSON; check that the instance URL is "
        "RT's base URL and that REST 2.0 is served there"
    )


def quote(body: object) -> str:
    """RT's own ``message`` (or its list of messages), cut short; never the whole body."""
    if isinstance(body, dict):
        message = body.get("message")
        texts = [str(message).strip()] if message not in (None, "") else []
    elif isinstance(body, list):
        texts = [str(item).strip() for item in body if item not in (None, "")]
    else:
        texts = []
    text = "; ".join(texts)
    if len(text) > QUOTE_LIMIT:
        text = text[: QUOTE_LIMIT - 3] + "..."
    return text or "no error message"


def rate_limited(response: httpx.Response, name: str) -> RateLimited:
    raw = response.headers.get("Retry-After", "").strip()
    return RateLimited(
        f"{name} is rate-limiting the gateway's account (429); retry later",
        retry_after=int(raw) if raw.isascii() and raw.isdigit() else None,
    )


def refusal(status: int, body: object, name: str) -> GatewayError:
    """The error for a non-2xx JSON answer the caller of the client did not handle itself."""
    quoted = quote(body)
    if status == 401:
        return ItsmError(f"{name} rejected the gateway's credentials (401: {quoted})")
    if status == 403:
        return ItsmError(f"{name} refused the gateway's account (403: {quoted})")
    if 400 <= status < 500:
        return ItsmError(f"{name} refused the request ({status}: {quoted})")
    return ItsmError(f"{name} answered {status} ({quoted})")
