"""What one attempt's outcome means: for the instance's health, for a retry, and for a write
that may have been applied. Generic: it sees ``httpx`` answers and transport errors, never a
vendor's payload.

- A 429 or a 503 was refused before anything was done: safe to send again, whatever the method,
  after its ``Retry-After`` (seconds) when it has one.
- Other 5xx, and a timeout or a lost connection after sending: retried for idempotent calls only
  (GET, HEAD, OPTIONS, or ``idempotent=True``); for a write the **outcome is unknown**, it is not
  sent again, and its error says so (``mark_outcome_unknown``).
- A connection refused or a connect timeout sent nothing: retried, writes included.
- A 2xx/3xx that is not JSON (a hibernation or login page) is unhealthy but not retried.
- 4xx answers prove the instance is alive.
- An answer the gateway would not read (``UnreadableAnswer``: too large, an unknown encoding)
  proves it alive too, and is not retried: the same request would get the same answer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import httpx

from connectors.errors import GatewayError

# Not PUT or DELETE, idempotent as HTTP defines them: a Table API PUT is a partial update that
# appends journal entries (comments, work notes) like a PATCH, so sending it twice is not harmless.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Result = httpx.Response | httpx.TransportError


class UnreadableAnswer(httpx.RemoteProtocolError):
    """The ITSM answered, but the gateway would not read the answer: larger than the configured
    limit (on the wire or once decompressed), or in an encoding it does not decode. Raised by the
    transport below the connectors (``gateway.outbound.answer_reader``); ``detail`` finishes the
    sentence "<ServiceNow at host> ..." and names the limit and its setting. It never quotes the
    answer, nor the URL."""

    def __init__(self, detail: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(detail, request=request)
        self.detail = detail


class Health(enum.Enum):
    HEALTHY = "healthy"  # the instance answered sensibly, even if it refused (4xx, 429)
    UNHEALTHY = "unhealthy"  # counts towards opening the breaker
    NEUTRAL = "neutral"  # says nothing about the instance (e.g. our own pool was full)


@dataclass(frozen=True, slots=True)
class AttemptVerdict:
    """What one HTTP attempt's outcome means (``judge``)."""

    health: Health
    retryable: bool
    outcome_unknown: bool  # a write that may have been applied
    reason: str  # for the log: "answer 503", "ConnectError"
    retry_after: float | None = None


def judge(method: str, result: Result, *, idempotent: bool | None = None) -> AttemptVerdict:
    """What one attempt's outcome means for the instance's health, a retry and a write."""
    safe = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
    if isinstance(result, httpx.Response):
        status = result.status_code
        reason = f"answer {status}"
        if status in (429, 503):  # refused before doing anything: safe to send again
            health = Health.HEALTHY if status == 429 else Health.UNHEALTHY
            return AttemptVerdict(health, True, False, reason, _retry_after(result))
        if status >= 500:
            return AttemptVerdict(Health.UNHEALTHY, safe, not safe, reason)
        if status < 400 and not is_json(result):
            return AttemptVerdict(Health.UNHEALTHY, False, False, f"{reason} not JSON")
        return AttemptVerdict(Health.HEALTHY, False, False, reason)
    kind = type(result).__name__
    if isinstance(result, UnreadableAnswer):
        # The instance answered (healthy), and would answer the same again: no retry. A write
        # was received, so its outcome is unknown.
        return AttemptVerdict(Health.HEALTHY, False, not safe, kind)
    if isinstance(result, httpx.PoolTimeout):  # our own pool was full: nothing sent
        return AttemptVerdict(Health.NEUTRAL, True, False, kind)
    if isinstance(result, httpx.ConnectError | httpx.ConnectTimeout):  # nothing sent
        return AttemptVerdict(Health.UNHEALTHY, True, False, kind)
    if isinstance(result, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        # Sent, or partly sent: the ITSM may have acted on it.
        return AttemptVerdict(Health.UNHEALTHY, safe, not safe, kind)
    # UnsupportedProtocol, LocalProtocolError, ProxyError: our side, nothing reached the ITSM.
    return AttemptVerdict(Health.NEUTRAL, False, False, kind)


def outcome_unknown(method: str, result: Result, *, idempotent: bool | None = None) -> bool:
    """Whether a call that ended with ``result`` may have applied a write."""
    return judge(method, result, idempotent=idempotent).outcome_unknown


def mark_outcome_unknown(error: GatewayError, method: str) -> GatewayError:
    """Flag ``error`` and say in its message what the caller must know before sending again."""
    error.outcome_unknown = True
    error.message = (
        f"{error.message}; the {method.upper()} was sent and may have been applied, so the "
        "gateway did not send it again: check in the ITSM whether it was applied before retrying"
    )
    error.args = (error.message,)
    return error


def flag_if_applied(
    error: GatewayError, method: str, response: httpx.Response, *, idempotent: bool | None = None
) -> GatewayError:
    """An error made from ``response``, flagged when the write may have been applied: a 5xx (503
    aside) may come after the write; a 2xx in JSON means it was, whatever its body says."""
    safe = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
    applied = response.is_success and not safe
    if outcome_unknown(method, response, idempotent=idempotent) or (applied and is_json(response)):
        mark_outcome_unknown(error, method)
    return error


def is_json(response: httpx.Response) -> bool:
    """Whether the body is (or claims to be) JSON; an empty body passes."""
    if not response.content:
        return True  # nothing to misread (204)
    if "json" in response.headers.get("Content-Type", "").lower():
        return True
    return response.content.lstrip()[:1] in (b"{", b"[")


def retry_after_seconds(response: httpx.Response) -> int | None:
    """``Retry-After`` in whole seconds, when the answer sent it as such (an HTTP date, or
    nothing, gives ``None``)."""
    raw = response.headers.get("Retry-After", "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    return float(raw) if raw.isascii() and raw.isdigit() else None
