"""Reading what ServiceNow answers: status, JSON, its error body, and turning each into one
gateway error whose message names ServiceNow and the instance host and carries no secret.

Used by the Table API client and by the OAuth token fetch alike, so that both speak the same way.
Vendor facts: ``docs/connectors/servicenow.md`` ("What ServiceNow does silently").
"""

from __future__ import annotations

import httpx
import orjson

from connectors.answers import not_json
from connectors.answers import transport_error as core_transport_error
from connectors.errors import GatewayError, ItsmError, RateLimited

# A quote from ServiceNow is cut to this length: enough for "Data Policy Exception: The
# following fields are mandatory: ...", never a whole payload.
_QUOTE_LIMIT = 300


class AccessDenied(ItsmError):
    """ServiceNow answered 403. Still a 502 for the caller (docs/contract.md#errors: the ITSM
    refused the gateway's account, or a data policy refused the write); a subclass only so that
    the journal read can fall back to the incident's display text when ``sys_journal_field`` is
    refused."""


def transport_error(exc: httpx.TransportError, host: str) -> GatewayError:
    """A request that got no HTTP answer (``connectors.answers``)."""
    return core_transport_error(exc, f"ServiceNow at {host}")


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
    what = not_json(response)
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
