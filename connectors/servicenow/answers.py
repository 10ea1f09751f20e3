"""Reading what ServiceNow answers: status, JSON, its error body, and turning each into one
gateway error whose message names ServiceNow and the instance host and carries no secret.

Used by the Table API client and by the OAuth token fetch alike, so that both speak the same way.
Vendor facts: ``/work/shared/notes/servicenow.md`` ("Answers", "Rate limits").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import httpx
import orjson

from connectors.errors import GatewayError, ItsmError, ItsmTimeout, RateLimited, Unavailable

# A quote from ServiceNow is cut to this length: enough for "Data Policy Exception: The
# following fields are mandatory: ...", never a whole payload.
_QUOTE_LIMIT = 300


class AccessDenied(ItsmError):
    """ServiceNow answered 403. Still a 502 for the caller (SPEC section 7: the ITSM refused the
    gateway's account, or a data policy refused the write); a subclass only so that the journal
    read can fall back to the incident's display text when ``sys_journal_field`` is refused."""


class Scrubber:
    """Replaces every secret with ``***`` in text quoted from ServiceNow or from an exception.

    Longest secrets first, so that a secret containing another is not half-replaced.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def with_secrets(self, more: Iterable[str]) -> Scrubber:
        return Scrubber([*self._secrets, *more])

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


@functools.lru_cache(maxsize=1024)  # a pure function, asked on every call with the same URLs
def host_of(instance_url: str) -> str:
    """The instance as named in messages: host and port, never userinfo or path."""
    url = httpx.URL(instance_url)
    return f"{url.host}:{url.port}" if url.port else url.host


def transport_error(exc: httpx.TransportError, host: str) -> GatewayError:
    """A request that got no HTTP answer. The exception text is not quoted: it can carry URLs."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return ItsmTimeout(f"ServiceNow at {host} did not answer in time ({kind})")
    if isinstance(exc, httpx.RemoteProtocolError):  # what a dropped connection looks like
        return ItsmError(
            f"ServiceNow at {host} closed the connection without a valid HTTP answer ({kind})"
        )
    if isinstance(exc, httpx.ProtocolError):
        return ItsmError(f"ServiceNow at {host} broke the HTTP protocol ({kind})")
    return Unavailable(f"Could not reach ServiceNow at {host} ({kind})")


def retry_after(response: httpx.Response) -> int | None:
    """``Retry-After`` in whole seconds when ServiceNow sent it as such (its 429s may omit it)."""
    raw = response.headers.get("Retry-After", "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def rate_limited(response: httpx.Response, host: str) -> RateLimited:
    return RateLimited(
        f"ServiceNow at {host} is rate-limiting the gateway's account (429); retry later",
        retry_after=retry_after(response),
    )


def json_body(response: httpx.Response, host: str) -> object:
    """The decoded body, or ``ItsmError`` when it is not JSON, whatever the status: a hibernating
    developer instance answers 200 with an HTML page, and so can a login page."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    content_type = response.headers.get("Content-Type", "")
    looks_html = "html" in content_type or response.content.lstrip()[:1] == b"<"
    what = "an HTML page" if looks_html else f"non-JSON content ({content_type or 'no type'})"
    raise ItsmError(
        f"ServiceNow at {host} answered {response.status_code} with {what} instead of JSON "
        "(the instance may be hibernating or asking for a login); check the instance in a "
        "browser and retry"
    )


def quote(body: object) -> str:
    """ServiceNow's own ``error.message`` and ``error.detail`` (``detail`` may be null), or the
    OAuth endpoint's ``error`` and ``error_description``, cut short; never the whole body."""
    if not isinstance(body, dict):
        return "no error message"
    error = body.get("error")
    if isinstance(error, dict):
        parts = (error.get("message"), error.get("detail"))
    else:
        parts = (error, body.get("error_description"))
    texts = [str(part).strip()[:_QUOTE_LIMIT] for part in parts if part not in (None, "")]
    return ": ".join(texts) if texts else "no error message"


def refusal(status: int, body: object, host: str) -> ItsmError:
    """The error for a non-2xx JSON answer that the caller of the client did not handle itself."""
    quoted = quote(body)
    if status == 401:
        return ItsmError(f"ServiceNow at {host} rejected the gateway's credentials ({quoted})")
    if status == 403:
        if "data policy" in quoted.lower():
            return AccessDenied(
                f"ServiceNow at {host} refused the write because of a data policy (403: {quoted})"
            )
        return AccessDenied(
            f"ServiceNow at {host} refused the gateway's account access (403: {quoted})"
        )
    if status == 400:
        return ItsmError(f"ServiceNow at {host} refused the request (400: {quoted})")
    return ItsmError(f"ServiceNow at {host} answered {status} ({quoted})")


def scrubbed(error: GatewayError, scrub: Scrubber) -> GatewayError:
    """The same error with its message scrubbed (the type, status and headers are kept)."""
    clean = scrub(error.message)
    if clean != error.message:
        error.message = clean
        error.args = (clean,)
    return error
