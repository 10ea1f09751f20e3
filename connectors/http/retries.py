"""The retry and limit engine: retries and a concurrency limit around the HTTP calls a connector
makes to an ITSM instance, with the instance's circuit breaker (``breaker``). Generic: it sees
``httpx`` answers and transport errors, never a vendor's payload; what each outcome means is
``outcomes.judge``.

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
- **Circuit breaker** (``breaker``): ``breaker_failures`` failed calls in a row open it. While
  open, calls fail at once with ``Unavailable`` (503) and ``Retry-After``.
- **Concurrency limit**: at most ``max_concurrency_per_instance`` requests in flight per instance,
  so one slow instance cannot take every pooled connection. A slot is held for one attempt only
  (not across backoff sleeps); waiting for one counts against the caller's deadline, which the
  use case enforces by cancelling the call.

Each retry is logged at INFO with the host, method, attempt and reason, never a URL (its query
can carry data) nor a header. The clock, sleep and random are injectable for tests.
"""

from __future__ import annotations

import asyncio
import logging
import random as random_module
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from connectors.errors import Unavailable
from connectors.http.breaker import Admission, CircuitBreaker
from connectors.http.observer import ResilienceObserver, Target
from connectors.http.outcomes import AttemptVerdict, Health, Result, judge

log = logging.getLogger("itsm_gateway.resilience")

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
        ceiling = min(policy.max_backoff_seconds, policy.backoff_seconds * 2.0 ** (retry - 1))
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
        self, verdict: AttemptVerdict, attempt: int, retries: int, breaker: CircuitBreaker | None
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
