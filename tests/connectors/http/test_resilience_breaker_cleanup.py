"""Issue 18, item 4: the breaker's bookkeeping when callers name many instances, and retries
that stop because another call opened the breaker before this one even waited.

``Resilience`` keeps a breaker per instance URL, and callers choose instance URLs, so it forgets
idle instances once it tracks 256 of them (``_sweep``): an open breaker must survive that (or a
failing instance would be called again at once), a count of failures short of opening may
restart, and an instance with a call in flight is never forgotten under it."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from connectors.errors import Unavailable
from connectors.http import Target
from tests.connectors.http.test_resilience import INSTANCE, TARGET, harness

TRACKED = 256  # retries._SWEEP_AT


def target(n: int) -> Target:
    url = f"https://tenant{n}.service-now.com"
    return Target(url, f"ServiceNow at tenant{n}.service-now.com", f"tenant{n}.service-now.com")


async def test_a_sweep_keeps_open_breakers_and_forgets_idle_ones() -> None:
    h = harness(breaker_failures=2, retries=0)
    h.script(500)
    for _ in range(2):
        await h.call()  # TARGET's breaker opens
    for n in range(1, TRACKED):
        await h.call(target=target(n))  # one failure each: tracked, not open
    assert h.resilience.breaker(target(1).key) is not None

    await h.call(target=target(TRACKED))  # the 257th instance: the sweep runs first

    assert h.resilience.breaker(target(1).key) is None  # forgotten: its count restarts
    kept = h.resilience.breaker(INSTANCE)
    assert kept is not None and kept.state == "open"
    sent = len(h.instance.requests)
    with pytest.raises(Unavailable, match="stopped calling it after 2 failures"):
        await h.call()
    assert len(h.instance.requests) == sent  # still failing fast: nothing sent


async def test_a_sweep_forgets_a_breaker_whose_reset_time_has_passed() -> None:
    h = harness(breaker_failures=1, retries=0, breaker_reset_seconds=30)
    h.script(500)
    await h.call()
    for n in range(1, TRACKED):
        await h.call(target=target(n))
    h.clock.now += 31  # TARGET's breaker would let a trial through now

    await h.call(target=target(TRACKED))

    assert h.resilience.breaker(INSTANCE) is None


async def test_a_sweep_never_forgets_an_instance_with_a_call_in_flight() -> None:
    h = harness(breaker_failures=5, retries=0)
    h.script(500)
    started, finish = asyncio.Event(), asyncio.Event()

    async def slow() -> httpx.Response:
        started.set()
        await finish.wait()
        return httpx.Response(200, json={"result": []})

    in_flight = asyncio.create_task(h.resilience.call(TARGET, "GET", slow))
    await started.wait()
    for n in range(1, TRACKED + 1):
        await h.call(target=target(n))
    tracked = h.resilience.breaker(INSTANCE)
    assert tracked is not None  # swept around, not away

    finish.set()
    assert (await in_flight).status_code == 200
    assert h.resilience.breaker(INSTANCE) is None  # healthy and idle now: let go


async def test_a_call_whose_answer_finds_the_breaker_open_does_not_even_wait() -> None:
    """The breaker opened while this call's attempt was out (other calls failed meanwhile): its
    outcome is final at once, without a backoff, let alone another attempt."""
    h = harness(breaker_failures=1, retries=2)
    h.script(500)
    others_failed = False

    async def send() -> httpx.Response:
        nonlocal others_failed
        if not others_failed:
            others_failed = True
            await h.call("POST")  # another call's 500 opens the breaker (threshold 1)
        return httpx.Response(500, json={"error": {}})

    answer = await h.resilience.call(TARGET, "GET", send)

    assert answer.status_code == 500
    assert h.sleeps == []  # no backoff: the breaker was already open
    breaker = h.resilience.breaker(INSTANCE)
    assert breaker is not None and breaker.state == "open"
