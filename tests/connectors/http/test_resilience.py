"""``connectors.http``: retries, the circuit breaker and the concurrency limit, against a
fake instance behind ``httpx.MockTransport``. Sleep, clock and random are injected: nothing here
waits or measures time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from connectors.errors import Unavailable
from connectors.http import (
    CircuitBreaker,
    Health,
    Resilience,
    ResiliencePolicy,
    Target,
    judge,
    outcome_unknown,
)
from gateway.settings import Settings

INSTANCE = "https://acme.service-now.com"
TARGET = Target(INSTANCE, "ServiceNow at acme.service-now.com", "acme.service-now.com")
URL = f"{INSTANCE}/api/now/table/incident?sysparm_query=number%3DINC0010001"
OK: dict[str, list[object]] = {"result": []}

Outcome = int | httpx.Response | type[httpx.TransportError]


class Instance:
    """A fake instance answering from a script, one outcome per request; the last one repeats.

    An outcome is a status (a JSON body), a whole response, or a transport error class to raise.
    """

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes) or [200]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes[min(len(self.requests), len(self.outcomes)) - 1]
        if isinstance(outcome, type):
            raise outcome("scripted failure", request=request)
        if isinstance(outcome, int):
            return httpx.Response(outcome, json=OK if outcome < 400 else {"error": {}})
        return outcome


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    resilience: Resilience
    sleeps: Sleeps
    clock: Clock
    instance: Instance = field(default_factory=Instance)

    async def call(
        self, method: str = "GET", *, idempotent: bool | None = None, target: Target = TARGET
    ) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.MockTransport(self.instance)) as http:
            return await self.resilience.call(
                target, method, lambda: http.request(method, URL), idempotent=idempotent
            )

    def script(self, *outcomes: Outcome) -> None:
        self.instance.outcomes = list(outcomes)


def harness(
    random: Callable[[], float] = lambda: 0.5,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    **policy: object,
) -> Harness:
    """A ``Resilience`` with a fake clock, recorded sleeps (or ``sleep``) and fixed jitter."""
    sleeps, clock = Sleeps(), Clock()
    resilience = Resilience(
        ResiliencePolicy(**policy),  # type: ignore[arg-type]
        clock=clock,
        sleep=sleep or sleeps,
        random=random,
    )
    return Harness(resilience, sleeps, clock)


def throttled(retry_after: str | None = None, status: int = 429) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(status, headers=headers, json={"error": {"message": "Rate limit"}})


def test_the_defaults_are_the_gateway_settings_defaults() -> None:
    fields = Settings.model_fields
    policy = ResiliencePolicy()
    assert policy.retries == fields["itsm_retries"].default
    assert policy.backoff_seconds == fields["itsm_retry_backoff_seconds"].default
    assert policy.retry_after_cap_seconds == fields["itsm_retry_after_cap_seconds"].default
    assert policy.breaker_failures == fields["itsm_breaker_failures"].default
    assert policy.breaker_reset_seconds == fields["itsm_breaker_reset_seconds"].default
    assert (
        policy.max_concurrency_per_instance == fields["itsm_max_concurrency_per_instance"].default
    )


@pytest.mark.parametrize(
    "changes",
    [{"retries": -1}, {"breaker_failures": 0}, {"max_concurrency_per_instance": 0}],
)
def test_a_policy_refuses_nonsense(changes: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        ResiliencePolicy(**changes)


# -- retries ---------------------------------------------------------------------------------


async def test_backoff_doubles_with_full_jitter_up_to_its_maximum() -> None:
    h = harness(retries=6, backoff_seconds=1.0, max_backoff_seconds=5.0)
    h.script(500)

    answer = await h.call()

    assert answer.status_code == 500  # retries exhausted: the last answer
    assert len(h.instance.requests) == 7
    # ceilings 1, 2, 4, 5, 5, 5 (capped), each times the jitter draw 0.5
    assert h.sleeps == [0.5, 1.0, 2.0, 2.5, 2.5, 2.5]


async def test_jitter_is_drawn_anew_for_every_retry() -> None:
    draws = iter([0.0, 1.0])
    h = harness(random=lambda: next(draws), backoff_seconds=0.2)
    h.script(503, 502, 200)

    assert (await h.call()).status_code == 200
    assert h.sleeps == [0.0, 0.4]


@pytest.mark.parametrize(
    "failure",
    [
        500,
        502,
        503,
        429,
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.ReadTimeout,
        httpx.ReadError,
        httpx.RemoteProtocolError,
    ],
)
async def test_a_read_is_retried_until_it_succeeds(failure: Outcome) -> None:
    h = harness()
    h.script(failure, failure, 200)

    assert (await h.call("GET")).status_code == 200
    assert len(h.instance.requests) == 3
    assert len(h.sleeps) == 2


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
@pytest.mark.parametrize("refusal", [429, 503, httpx.ConnectError, httpx.ConnectTimeout])
async def test_a_write_is_retried_when_the_itsm_refused_before_doing_anything(
    method: str, refusal: Outcome
) -> None:
    h = harness()
    h.script(refusal, 201)

    assert (await h.call(method)).status_code == 201
    assert len(h.instance.requests) == 2


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout,
        httpx.WriteTimeout,
        httpx.ReadError,
        httpx.WriteError,
        httpx.RemoteProtocolError,
    ],
)
async def test_a_write_that_may_have_been_applied_is_never_sent_again(
    method: str, failure: type[httpx.TransportError]
) -> None:
    h = harness()
    h.script(failure, 201)

    with pytest.raises(failure) as raised:
        await h.call(method)

    assert len(h.instance.requests) == 1
    assert h.sleeps == []
    assert outcome_unknown(method, raised.value)


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_a_write_answered_5xx_is_not_sent_again_and_its_outcome_is_unknown(
    status: int,
) -> None:
    h = harness()
    h.script(status, 201)

    answer = await h.call("POST")

    assert answer.status_code == status
    assert len(h.instance.requests) == 1
    assert outcome_unknown("POST", answer)


def test_what_is_unknown_and_what_is_not() -> None:
    request = httpx.Request("POST", URL)
    refused = httpx.ConnectError("refused", request=request)
    assert not outcome_unknown("POST", refused)  # nothing was sent
    assert not outcome_unknown("POST", httpx.Response(503))  # refused before doing anything
    assert not outcome_unknown("POST", httpx.Response(429))
    assert not outcome_unknown("POST", httpx.Response(400, json={}))
    assert outcome_unknown("POST", httpx.Response(500, json={}))
    assert outcome_unknown("PATCH", httpx.ReadTimeout("slow", request=request))
    assert not outcome_unknown("GET", httpx.ReadTimeout("slow", request=request))
    assert not outcome_unknown("POST", httpx.Response(500), idempotent=True)


async def test_a_call_declared_idempotent_is_retried_like_a_read() -> None:
    h = harness()
    h.script(500, httpx.ReadTimeout, 200)

    assert (await h.call("POST", idempotent=True)).status_code == 200
    assert len(h.instance.requests) == 3


@pytest.mark.parametrize(
    "answer",
    [
        400,
        401,
        403,
        404,
        httpx.Response(200, headers={"Content-Type": "text/html"}, text="<html>asleep</html>"),
    ],
    ids=["400", "401", "403", "404", "html"],
)
async def test_refusals_and_non_json_pages_are_not_retried(answer: Outcome) -> None:
    h = harness()
    h.script(answer, 200)

    await h.call("GET")

    assert len(h.instance.requests) == 1


async def test_retry_after_is_waited_for() -> None:
    h = harness(retry_after_cap_seconds=10.0)
    h.script(throttled("3"), throttled("10", status=503), 201)

    assert (await h.call("POST")).status_code == 201
    assert h.sleeps == [3.0, 10.0]  # the server's word, not the backoff


async def test_retry_after_beyond_the_cap_ends_the_call_at_once_with_that_answer() -> None:
    h = harness(retry_after_cap_seconds=10.0)
    h.script(throttled("11"), 200)

    answer = await h.call("GET")

    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "11"  # for the connector to pass on
    assert h.sleeps == []
    assert len(h.instance.requests) == 1


async def test_a_429_without_retry_after_backs_off() -> None:
    h = harness(backoff_seconds=0.2)
    h.script(throttled(), 200)

    assert (await h.call("POST")).status_code == 200
    assert h.sleeps == [0.1]


async def test_a_disabled_policy_sends_once() -> None:
    resilience = Resilience(ResiliencePolicy.disabled())
    instance = Instance(500, 200)
    async with httpx.AsyncClient(transport=httpx.MockTransport(instance)) as http:
        answer = await resilience.call(TARGET, "GET", lambda: http.get(URL))
    assert answer.status_code == 500
    assert len(instance.requests) == 1


async def test_each_retry_is_logged_without_url_query_or_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = harness()
    h.script(503, httpx.ConnectError, 200)

    with caplog.at_level(logging.INFO, logger="itsm_gateway.resilience"):
        await h.call("GET")

    retries = [r for r in caplog.records if r.name == "itsm_gateway.resilience"]
    assert [(r.levelno, r.host, r.method, r.attempt, r.reason) for r in retries] == [  # type: ignore[attr-defined]
        (logging.INFO, "acme.service-now.com", "GET", 2, "answer 503"),
        (logging.INFO, "acme.service-now.com", "GET", 3, "ConnectError"),
    ]
    for record in retries:
        text = record.getMessage() + str(vars(record))
        assert "sysparm_query" not in text and "INC0010001" not in text


# -- circuit breaker -------------------------------------------------------------------------


def test_breaker_opens_after_n_failures_then_lets_one_trial_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, 30.0, clock)
    for _ in range(2):
        breaker.record(breaker.admit(), Health.UNHEALTHY)  # type: ignore[arg-type]
    assert breaker.state == "closed"
    breaker.record(breaker.admit(), Health.UNHEALTHY)  # type: ignore[arg-type]
    assert breaker.state == "open"
    assert breaker.admit() is None
    clock.now += 10.2
    assert breaker.retry_in() == 20  # rounded up

    clock.now += 19.8
    assert breaker.state == "half-open"
    trial = breaker.admit()
    assert trial is not None and trial.value == "trial"
    assert breaker.admit() is None  # one trial at a time
    breaker.record(trial, Health.HEALTHY)
    assert breaker.state == "closed"
    assert breaker.pristine


def test_a_failed_trial_opens_the_breaker_for_another_full_period() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 30.0, clock)
    breaker.record(breaker.admit(), Health.UNHEALTHY)  # type: ignore[arg-type]
    clock.now += 30
    trial = breaker.admit()
    assert trial is not None
    breaker.record(trial, Health.UNHEALTHY)
    assert breaker.state == "open"
    assert breaker.retry_in() == 30


def test_a_trial_that_ended_without_a_verdict_lets_another_try() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 30.0, clock)
    breaker.record(breaker.admit(), Health.UNHEALTHY)  # type: ignore[arg-type]
    clock.now += 30
    trial = breaker.admit()
    assert trial is not None
    breaker.record(trial, Health.NEUTRAL)  # e.g. cancelled before any answer
    assert breaker.admit() is not None


def test_successes_and_refusals_reset_the_count() -> None:
    breaker = CircuitBreaker(2, 30.0, Clock())
    breaker.record(breaker.admit(), Health.UNHEALTHY)  # type: ignore[arg-type]
    breaker.record(breaker.admit(), Health.HEALTHY)  # type: ignore[arg-type]
    breaker.record(breaker.admit(), Health.UNHEALTHY)  # type: ignore[arg-type]
    assert breaker.state == "closed"


@pytest.mark.parametrize(
    ("answer", "health"),
    [
        (200, Health.HEALTHY),
        (404, Health.HEALTHY),
        (429, Health.HEALTHY),
        (500, Health.UNHEALTHY),
        (503, Health.UNHEALTHY),
        (httpx.Response(200, text="<html>login</html>"), Health.UNHEALTHY),
        (httpx.Response(302, text="<!DOCTYPE html>"), Health.UNHEALTHY),
        (httpx.Response(401, text="<html>login</html>"), Health.HEALTHY),  # 4xx: not the health
    ],
)
def test_what_counts_against_an_instance(answer: int | httpx.Response, health: Health) -> None:
    response = answer if isinstance(answer, httpx.Response) else httpx.Response(answer, json={})
    assert judge("GET", response).health is health


async def test_an_open_breaker_fails_fast_naming_the_host_and_saying_when_to_retry() -> None:
    h = harness(breaker_failures=3, breaker_reset_seconds=30.0, retries=2)
    h.script(500)
    for _ in range(3):
        await h.call()
    assert len(h.instance.requests) == 9  # a call's retries count once

    h.clock.now += 5
    with pytest.raises(Unavailable) as raised:
        await h.call()

    assert len(h.instance.requests) == 9  # not called
    error = raised.value
    assert error.status == 503
    assert error.headers == {"Retry-After": "25"}
    assert "ServiceNow at acme.service-now.com" in error.message
    assert "stopped calling it after 3 failures in a row" in error.message
    assert "25 s" in error.message


async def test_the_trial_call_is_sent_once_and_its_success_closes_the_breaker() -> None:
    h = harness(breaker_failures=1, breaker_reset_seconds=30.0)
    h.script(httpx.ConnectError)
    with pytest.raises(httpx.ConnectError):
        await h.call()
    assert len(h.instance.requests) == 3

    h.clock.now += 30
    with pytest.raises(httpx.ConnectError):
        await h.call()  # the trial: no retries
    assert len(h.instance.requests) == 4
    with pytest.raises(Unavailable):
        await h.call()

    h.clock.now += 30
    h.script(200)
    assert (await h.call()).status_code == 200
    assert (await h.call()).status_code == 200
    assert len(h.instance.requests) == 6


async def test_refusals_never_open_the_breaker() -> None:
    h = harness(breaker_failures=2, retries=0)
    h.script(404, throttled(), 403, 400)
    for _ in range(4):
        await h.call()
    assert len(h.instance.requests) == 4
    h.script(200)
    assert (await h.call()).status_code == 200


async def test_breakers_are_per_instance() -> None:
    h = harness(breaker_failures=1, retries=0)
    h.script(500)
    await h.call()
    with pytest.raises(Unavailable):
        await h.call()
    other = Target("https://other.service-now.com", "ServiceNow at other", "other")
    assert (await h.call(target=other)).status_code == 500  # still called


async def test_retries_stop_when_other_calls_opened_the_breaker() -> None:
    first_waits, go_on = asyncio.Event(), asyncio.Event()

    async def sleep(seconds: float) -> None:
        if not first_waits.is_set():  # only the first call's first backoff is held
            first_waits.set()
            await go_on.wait()

    h = harness(sleep=sleep, breaker_failures=1, retries=2)
    h.script(500)
    first = asyncio.create_task(h.call())
    await first_waits.wait()
    await h.call()  # fails three times and opens the breaker
    assert len(h.instance.requests) == 4
    go_on.set()

    assert (await first).status_code == 500  # answered with what it had, without retrying
    assert len(h.instance.requests) == 4


async def test_a_call_cancelled_after_a_failure_counts_as_a_failure() -> None:
    waiting, never = asyncio.Event(), asyncio.Event()

    async def sleep(seconds: float) -> None:
        waiting.set()
        await never.wait()

    h = harness(sleep=sleep, breaker_failures=1)
    h.script(503)
    call = asyncio.create_task(h.call())
    await waiting.wait()  # answered 503, waiting to retry
    call.cancel()  # the caller's deadline
    with pytest.raises(asyncio.CancelledError):
        await call

    with pytest.raises(Unavailable):
        await h.call()


async def test_healthy_instances_are_not_kept() -> None:
    h = harness()
    await h.call()
    assert h.resilience.breaker(INSTANCE) is None
    h.script(500)
    await h.call()
    breaker = h.resilience.breaker(INSTANCE)
    assert breaker is not None and breaker.state == "closed"


# -- concurrency limit -----------------------------------------------------------------------


async def test_no_more_than_the_limit_in_flight_per_instance() -> None:
    resilience = Resilience(ResiliencePolicy(max_concurrency_per_instance=2))
    in_flight, most, release = 0, 0, asyncio.Event()

    async def slow_instance(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await release.wait()
        in_flight -= 1
        return httpx.Response(200, json=OK)

    other = Target("https://other.service-now.com", "ServiceNow at other", "other")
    async with httpx.AsyncClient(transport=httpx.MockTransport(slow_instance)) as http:
        calls = [
            asyncio.create_task(resilience.call(TARGET, "GET", lambda: http.get(URL)))
            for _ in range(5)
        ]
        elsewhere = asyncio.create_task(resilience.call(other, "GET", lambda: http.get(URL)))
        for _ in range(20):
            await asyncio.sleep(0)
        assert in_flight == 3  # two for the slow instance, and the other instance is not held up
        release.set()
        answers = await asyncio.gather(*calls, elsewhere)

    assert most == 3
    assert [a.status_code for a in answers] == [200] * 6


async def test_a_slot_is_not_held_while_waiting_to_retry() -> None:
    backoff_started, finish_backoff = asyncio.Event(), asyncio.Event()

    async def sleep(seconds: float) -> None:
        backoff_started.set()
        await finish_backoff.wait()

    resilience = Resilience(ResiliencePolicy(max_concurrency_per_instance=1), sleep=sleep)
    instance = Instance(503, 200, 200)
    async with httpx.AsyncClient(transport=httpx.MockTransport(instance)) as http:
        first = asyncio.create_task(resilience.call(TARGET, "GET", lambda: http.get(URL)))
        await backoff_started.wait()
        # the only slot is free while the first call waits: another call goes through
        assert (await resilience.call(TARGET, "GET", lambda: http.get(URL))).status_code == 200
        finish_backoff.set()
        assert (await first).status_code == 200


async def test_waiting_for_a_slot_ends_with_the_callers_deadline() -> None:
    resilience = Resilience(ResiliencePolicy(max_concurrency_per_instance=1))
    holding, release = asyncio.Event(), asyncio.Event()

    async def stuck(request: httpx.Request) -> httpx.Response:
        holding.set()
        await release.wait()
        return httpx.Response(200, json=OK)

    async with httpx.AsyncClient(transport=httpx.MockTransport(stuck)) as http:
        holder = asyncio.create_task(resilience.call(TARGET, "GET", lambda: http.get(URL)))
        await holding.wait()
        waiter = asyncio.create_task(resilience.call(TARGET, "GET", lambda: http.get(URL)))
        await asyncio.sleep(0)
        waiter.cancel()  # what the use case's deadline does
        with pytest.raises(asyncio.CancelledError):
            await waiter
        release.set()
        assert (await holder).status_code == 200
    # the cancelled waiter neither took the slot nor counted against the instance
    assert resilience.breaker(INSTANCE) is None
