"""Reading what Jira answers: status, JSON, its two error shapes, and turning each into one
gateway error whose message names Jira and the site's host and carries no secret.

The platform API answers errors as ``{"errorMessages": [...], "errors": {field: message}}``, the
service desk API as ``{"errorMessage": ..., "i18nErrorMessage": {...}}``, and Atlassian's API
gateway (OAuth 2.0 calls) as ``{"code": ..., "message": ...}``; ``quote`` reads all three.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import httpx
import orjson

from connectors.errors import GatewayError, ItsmError, ItsmTimeout, RateLimited, Unavailable

# Each quoted message is cut to this length, the whole quote to twice it: enough for Jira's
# field errors, never a whole payload.
_QUOTE_LIMIT = 300


class Scrubber:
    """Replaces every secret with ``***`` in text quoted from Jira or from an exception.
    Longest secrets first, so that a secret containing another is not half-replaced."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


@functools.lru_cache(maxsize=1024)
def host_of(instance_url: str) -> str:
    """The site as named in messages: host and port, never userinfo or path."""
    url = httpx.URL(instance_url)
    return f"{url.host}:{url.port}" if url.port else url.host


def transport_error(exc: httpx.TransportError, host: str) -> GatewayError:
    """A request that got no HTTP answer. The exception text is not quoted: it can carry URLs."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return ItsmTimeout(f"Jira at {host} did not answer in time ({kind})")
    if isinstance(exc, httpx.RemoteProtocolError):
        return ItsmError(
            f"Jira at {host} closed the connection without a valid HTTP answer ({kind})"
        )
    if isinstance(exc, httpx.ProtocolError):
        return ItsmError(f"Jira at {host} broke the HTTP protocol ({kind})")
    return Unavailable(f"Could not reach Jira at {host} ({kind})")


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
    content_type = response.headers.get("Content-Type", "")
    looks_html = "html" in content_type or response.content.lstrip()[:1] == b"<"
    what = "an HTML page" if looks_html else f"non-JSON content ({content_type or 'no type'})"
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


def scrubbed(error: GatewayError, scrub: Scrubber) -> GatewayError:
    """The same error with its message scrubbed (the type, status and headers are kept)."""
    clean = scrub(error.message)
    if clean != error.message:
        error.message = clean
        error.args = (clean,)
    return error
