"""Retries, a circuit breaker and a concurrency limit for the HTTP calls a connector makes to an
ITSM instance. Generic: it sees ``httpx`` answers and transport errors, never a vendor's payload.

``Resilience`` is long-lived (one per connector factory) and keeps, per instance URL, a
``CircuitBreaker`` and an ``asyncio.Semaphore``. ``Resilience.call`` runs one logical call:

- **Retries**, with exponential backoff and full jitter (``random() * min(max_backoff,
  backoff * 2**(retry-1))``), for idempotent calls (GET, HEAD, OPTIONS, or ``idempotent=True``)
  on connection errors, timeouts and 5xx; and for *any* method on 429 and 503, where the ITSM
  refused before doing anything. A ``Retry-After`` (seconds) is waited for when it is at most
  ``retry_after_cap_seconds``; a longer one ends the call at once with that answer.
- **Never a write whose outcome is unknown**: a non-idempotent request that timed out after
  connecting, lost its connection after sending, or got a 5xx other than 503 is not sent again,
  and ``outcome_unknown`` says so, so the connector can flag its error (``mark_outcome_unknown``).
  A connection refused or a connect timeout sent nothing: those are retried, writes included.
- **Circuit breaker**: ``breaker_failures`` failed calls in a row (connection errors, timeouts,
  5xx, a 2xx/3xx that is not JSON, such as a hibernation or login page; a call's retries count
  once, so the threshold does not depend on ``retries``) open it. While open, calls fail at once
  with ``Unavailable`` (503) and ``Retry-After``; after ``breaker_reset_seconds`` one trial call
  (sent once, without retries) goes through: success closes the breaker, failure opens it again.
  4xx and 429 answers prove the instance is alive and count as successes.
- **Concurrency limit**: at most ``max_concurrency_per_instance`` requests in flight per instance,
  so one slow instance cannot take every pooled connection. A slot is held for one attempt only
  (not across backoff sleeps); waiting for one counts against the caller's deadline, which the
  use case enforces by cancelling the call.

Each retry is logged at INFO with the host, method, attempt and reason, never a URL (its query
can carry data) nor a header. The clock, sleep and random are injectable for tests.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import random as random_module
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from connectors.answers import transport_error
from connectors.errors import GatewayError, Unavailable

log = logging.getLogger("itsm_gateway.resilience")

# Not PUT or DELETE, idempotent as HTTP defines them: a Table API PUT is a partial update that
# appends journal entries (comments, work notes) like a PATCH, so sending it twice is not harmless.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Instances tracked before idle, harmless entries are swept (callers choose instance URLs).
_SWEEP_AT = 256


@dataclass(frozen=True, slots=True)
class ResiliencePolicy:
    """The knobs. The defaults equal the gateway settings' defaults (``ITSM_GATEWAY_ITSM_*``).

    ``breaker_failures=None`` disables the breaker, ``max_concurrency_per_instance=None`` the
    limit; ``ResiliencePolicy.disabled()`` sends every call once, unguarded.
    """

    retries: int = 2
    backoff_seconds: float = 0.2
    max_backoff_seconds: float = 5.0
    retry_after_cap_seconds: float = 10.0
    breaker_failures: int | None = 5
    breaker_reset_seconds: float = 30.0
    max_concurrency_per_instance: int | None = 20

    def __post_init__(self) -> None:
        if self.retries < 0 or self.backoff_seconds < 0 or self.max_backoff_seconds < 0:
            raise ValueError("retries and backoff times must not be negative")
        if self.retry_after_cap_seconds < 0 or self.breaker_reset_seconds <= 0:
            raise ValueError("the Retry-After cap must be >= 0 and the breaker reset > 0")
        if self.breaker_failures is not None and self.breaker_failures < 1:
            raise ValueError("breaker_failures must be at least 1 (or None: no breaker)")
        if self.max_concurrency_per_instance is not None and self.max_concurrency_per_instance < 1:
            raise ValueError("max_concurrency_per_instance must be at least 1 (or None)")

    @classmethod
    def disabled(cls) -> ResiliencePolicy:
        return cls(retries=0, breaker_failures=None, max_concurrency_per_instance=None)


@dataclass(frozen=True, slots=True)
class Target:
    """The instance a call goes to: ``key`` (its URL) groups breaker and slots; ``name`` is how
    messages call it (``ServiceNow at acme.service-now.com``); ``host`` goes in log lines."""

    key: str
    name: str
    host: str
    itsm_type: str = "servicenow"  # metrics label: which kind of ITSM


class Health(enum.Enum):
    HEALTHY = "healthy"  # the instance answered sensibly, even if it refused (4xx, 429)
    UNHEALTHY = "unhealthy"  # counts towards opening the breaker
    NEUTRAL = "neutral"  # says nothing about the instance (e.g. our own pool was full)


@dataclass(frozen=True, slots=True)
class Verdict:
    health: Health
    retryable: bool
    outcome_unknown: bool  # a write that may have been applied
    reason: str  # for the log: "answer 503", "ConnectError"
    retry_after: float | None = None


Result = httpx.Response | httpx.TransportError


def judge(method: str, result: Result, *, idempotent: bool | None = None) -> Verdict:
    """What one attempt's outcome means for the instance's health, a retry and a write."""
    safe = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
    if isinstance(result, httpx.Response):
        status = result.status_code
        reason = f"answer {status}"
        if status in (429, 503):  # refused before doing anything: safe to send again
            health = Health.HEALTHY if status == 429 else Health.UNHEALTHY
            return Verdict(health, True, False, reason, _retry_after(result))
        if status >= 500:
            return Verdict(Health.UNHEALTHY, safe, not safe, reason)
        if status < 400 and not is_json(result):
            return Verdict(Health.UNHEALTHY, False, False, f"{reason} not JSON")
        return Verdict(Health.HEALTHY, False, False, reason)
    kind = type(result).__name__
    if isinstance(result, httpx.PoolTimeout):  # our own pool was full: nothing sent
        return Verdict(Health.NEUTRAL, True, False, kind)
    if isinstance(result, httpx.ConnectError | httpx.ConnectTimeout):  # nothing sent
        return Verdict(Health.UNHEALTHY, True, False, kind)
    if isinstance(result, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        # Sent, or partly sent: the ITSM may have acted on it.
        return Verdict(Health.UNHEALTHY, safe, not safe, kind)
    # UnsupportedProtocol, LocalProtocolError, ProxyError: our side, nothing reached the ITSM.
    return Verdict(Health.NEUTRAL, False, False, kind)


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


class ResilienceObserver:
    """What ``Resilience`` reports as it works, for metrics, logs and traces; every method does
    nothing here, and the gateway overrides them (``gateway.observability.metrics``).
    ``operation`` is a small fixed vocabulary (``read_ticket``, ``read_journal``,
    ``create_ticket``, ``oauth_token``...),
    ``outcome`` an HTTP status (``"200"``) or the kind of transport error (``"ConnectTimeout"``)."""

    def itsm_call(self, target: Target, operation: str, outcome: str, seconds: float) -> None:
        """One HTTP attempt ended."""

    def itsm_retry(self, target: Target, operation: str, reason: str, delay: float) -> None:
        """An attempt will be made again after ``delay`` seconds."""

    def itsm_rate_limit_wait(self, target: Target, seconds: float) -> None:
        """The instance asked to wait (429/503 with ``Retry-After``), and the gateway waits."""

    def itsm_breaker(self, target: Target, state: str) -> None:
        """The instance's breaker state after a call (``closed``, ``open``, ``half-open``)."""

    def itsm_breaker_refusal(self, target: Target, operation: str) -> None:
        """A call was refused at once because the instance's breaker is open."""


async def call_or_raise(
    resilience: Resilience,
    target: Target,
    method: str,
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    operation: str,
    idempotent: bool | None = None,
) -> httpx.Response:
    """``Resilience.call``, with a request that got no HTTP answer turned into the gateway error
    naming ``target`` (flagged when a write may have been applied)."""
    try:
        return await resilience.call(
            target, method, send, idempotent=idempotent, operation=operation
        )
    except httpx.TransportError as exc:
        error = transport_error(exc, target.name)
        if outcome_unknown(method, exc, idempotent=idempotent):
            mark_outcome_unknown(error, method)
        raise error from None


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


class Admission(enum.Enum):
    CALL = "call"
    TRIAL = "trial"  # the one call let through a half-open breaker


class CircuitBreaker:
    """One instance's breaker: closed -> open after ``failures`` failed calls in a row -> after
    ``reset_seconds``, half-open: one trial call -> closed on success, open again on failure."""

    def __init__(
        self, failures: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = failures
        self._reset = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._trial or self._clock() >= self._opened_at + self._reset:
            return "half-open"
        return "open"

    @property
    def pristine(self) -> bool:
        return self._failures == 0 and self._opened_at is None and not self._trial

    def admit(self) -> Admission | None:
        """May a call go ahead? ``None``: no, fail fast (see ``retry_in``)."""
        if self._opened_at is None:
            return Admission.CALL
        if not self._trial and self._clock() >= self._opened_at + self._reset:
            self._trial = True
            return Admission.TRIAL
        return None

    def is_open(self) -> bool:
        return self._opened_at is not None

    def retry_in(self) -> int:
        """Whole seconds until a trial call may go (at least 1: one may be under way)."""
        if self._opened_at is None:
            return 0
        return max(1, math.ceil(self._opened_at + self._reset - self._clock()))

    def record(self, admission: Admission, health: Health) -> None:
        if admission is Admission.TRIAL:
            self._trial = False
        if health is Health.HEALTHY:  # also from a call admitted before the breaker opened
            self._failures, self._opened_at = 0, None
        elif health is Health.UNHEALTHY:
            if admission is Admission.TRIAL:
                self._opened_at = self._clock()
            elif self._opened_at is None:
                self._failures += 1
                if self._failures >= self.threshold:
                    self._opened_at = self._clock()


@dataclass(slots=True)
class _Instance:
    breaker: CircuitBreaker | None
    slots: asyncio.Semaphore | None
    users: int = 0


class Resilience:
    """The per-instance state and the retry loop (see the module docstring)."""

    def __init__(
        self,
        policy: ResiliencePolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        random: Callable[[], float] = random_module.random,
        observer: ResilienceObserver | None = None,
    ) -> None:
        self.policy = policy or ResiliencePolicy()
        self.observer = observer or ResilienceObserver()
        self._clock = clock
        self._sleep = sleep
        self._random = random
        self._instances: dict[str, _Instance] = {}

    def breaker(self, key: str) -> CircuitBreaker | None:
        """The breaker of an instance now tracked (for tests and diagnostics)."""
        instance = self._instances.get(key)
        return instance.breaker if instance else None

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1, 2, ...): full jitter over the ceiling."""
        policy = self.policy
        ceiling = min(policy.max_backoff_seconds, policy.backoff_seconds * 2 ** (retry - 1))
        return self._random() * ceiling

    async def call(
        self,
        target: Target,
        method: str,
        send: Callable[[], Awaitable[httpx.Response]],
        *,
        idempotent: bool | None = None,
        operation: str = "call",
    ) -> httpx.Response:
        """The final answer, whatever its status; or the final ``httpx.TransportError``; or
        ``Unavailable`` when the breaker is open. ``send`` makes one attempt; ``operation`` names
        the call for the observer."""
        instance = self._enter(target.key)
        try:
            return await self._run(instance, target, method, send, idempotent, operation)
        finally:
            self._leave(target.key, instance)

    async def _run(
        self,
        instance: _Instance,
        target: Target,
        method: str,
        send: Callable[[], Awaitable[httpx.Response]],
        idempotent: bool | None,
        operation: str,
    ) -> httpx.Response:
        breaker = instance.breaker
        admission = Admission.CALL
        observer = self.observer
        if breaker is not None:
            admitted = breaker.admit()
            if admitted is None:
                observer.itsm_breaker_refusal(target, operation)
                raise self._open_error(target, breaker)
            admission = admitted
        retries = 0 if admission is Admission.TRIAL else self.policy.retries
        seen_unhealthy = False
        ending = Health.NEUTRAL
        try:
            attempt = 0
            while True:
                attempt += 1
                started = time.perf_counter()
                result = await self._attempt(instance, send)
                observer.itsm_call(
                    target, operation, _outcome(result), time.perf_counter() - started
                )
                verdict = judge(method, result, idempotent=idempotent)
                seen_unhealthy |= verdict.health is Health.UNHEALTHY
                delay = self._delay(verdict, attempt, retries, breaker)
                if delay is None:
                    ending = verdict.health
                    break
                log.info(
                    "retrying a %s to %s (attempt %d of %d) after %s; waiting %.2f s",
                    method,
                    target.name,
                    attempt + 1,
                    retries + 1,
                    verdict.reason,
                    delay,
                    extra={
                        "host": target.host,
                        "method": method,
                        "attempt": attempt + 1,
                        "reason": verdict.reason,
                    },
                )
                observer.itsm_retry(target, operation, verdict.reason, delay)
                if verdict.retry_after is not None:
                    observer.itsm_rate_limit_wait(target, delay)
                await self._sleep(delay)
                if breaker is not None and breaker.is_open():  # other calls opened it meanwhile
                    ending = verdict.health
                    break
        finally:  # also when cancelled by the caller's deadline
            if ending is Health.NEUTRAL and seen_unhealthy:
                ending = Health.UNHEALTHY
            if breaker is not None:
                breaker.record(admission, ending)
                observer.itsm_breaker(target, breaker.state)
        if isinstance(result, httpx.TransportError):
            raise result
        return result

    def _delay(
        self, verdict: Verdict, attempt: int, retries: int, breaker: CircuitBreaker | None
    ) -> float | None:
        """How long to wait before the next attempt, or ``None``: this outcome is final."""
        if not verdict.retryable or attempt > retries:
            return None
        if breaker is not None and breaker.is_open():  # other calls opened it meanwhile
            return None
        if verdict.retry_after is not None:
            if verdict.retry_after > self.policy.retry_after_cap_seconds:
                return None  # longer than the caller should wait: answer now, with it
            return verdict.retry_after
        return self.backoff(attempt)

    async def _attempt(
        self, instance: _Instance, send: Callable[[], Awaitable[httpx.Response]]
    ) -> Result:
        try:
            if instance.slots is None:
                return await send()
            async with instance.slots:
                return await send()
        except httpx.TransportError as exc:
            return exc

    def _open_error(self, target: Target, breaker: CircuitBreaker) -> Unavailable:
        wait = breaker.retry_in()
        return Unavailable(
            f"{target.name} is failing: the gateway stopped calling it after "
            f"{breaker.threshold} failures in a row (connection errors, timeouts, 5xx or "
            f"non-JSON answers) and will try it again in {wait} s",
            headers={"Retry-After": str(wait)},
        )

    def _enter(self, key: str) -> _Instance:
        instance = self._instances.get(key)
        if instance is None:
            if len(self._instances) >= _SWEEP_AT:
                self._sweep()
            instance = self._instances[key] = self._new_instance()
        instance.users += 1
        return instance

    def _new_instance(self) -> _Instance:
        policy = self.policy
        breaker = slots = None
        if policy.breaker_failures is not None:
            breaker = CircuitBreaker(
                policy.breaker_failures, policy.breaker_reset_seconds, self._clock
            )
        if policy.max_concurrency_per_instance is not None:
            slots = asyncio.Semaphore(policy.max_concurrency_per_instance)
        return _Instance(breaker, slots)

    def _leave(self, key: str, instance: _Instance) -> None:
        instance.users -= 1
        idle = instance.users == 0 and (instance.breaker is None or instance.breaker.pristine)
        if idle and self._instances.get(key) is instance:
            del self._instances[key]

    def _sweep(self) -> None:
        """Forget idle instances whose breaker is not open (their count of failures in a row
        restarts), so that callers naming many instance URLs cannot grow this without bound."""
        for key, instance in list(self._instances.items()):
            if instance.users == 0 and (
                instance.breaker is None or instance.breaker.state != "open"
            ):
                del self._instances[key]


def _outcome(result: Result) -> str:
    if isinstance(result, httpx.Response):
        return str(result.status_code)
    return type(result).__name__


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    return float(raw) if raw.isascii() and raw.isdigit() else None


def is_json(response: httpx.Response) -> bool:
    """Whether the body is (or claims to be) JSON; an empty body passes."""
    if not response.content:
        return True  # nothing to misread (204)
    if "json" in response.headers.get("Content-Type", "").lower():
        return True
    return response.content.lstrip()[:1] in (b"{", b"[")
