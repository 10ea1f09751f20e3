"""``gateway.caller_rates``: each caller gets ``per_minute`` requests a minute, ``burst`` at once,
and a caller over it is told how long to wait; callers never share a budget."""

from __future__ import annotations

import pytest

from gateway.caller_rates import MemoryCallerRates, caller_rates, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_passes_then_the_caller_waits_its_interval() -> None:
    clock = Clock()
    rates = MemoryCallerRates(per_minute=60, burst=5, clock=clock)
    for _ in range(5):
        assert await rates.admit("alice|ui") is None
    wait = await rates.admit("alice|ui")
    assert wait == pytest.approx(1.0)  # one request a second on average
    assert await rates.admit("bob|ui") is None  # another caller is not held back
    clock.now += 1.0
    assert await rates.admit("alice|ui") is None
    assert await rates.admit("alice|ui") is not None


async def test_a_refused_request_does_not_count() -> None:
    clock = Clock()
    rates = MemoryCallerRates(per_minute=60, burst=1, clock=clock)
    assert await rates.admit("alice|ui") is None
    for _ in range(10):  # hammering while refused does not push the next slot further away
        assert await rates.admit("alice|ui") == pytest.approx(1.0)
    clock.now += 1.0
    assert await rates.admit("alice|ui") is None


def test_zero_means_no_limit_and_retry_after_is_never_zero() -> None:
    assert caller_rates(0, 10) is None
    assert isinstance(caller_rates(60, 10), MemoryCallerRates)
    assert retry_after(0.01) == 1 and retry_after(2.2) == 3
