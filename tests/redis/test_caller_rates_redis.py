"""Caller rates shared through Redis: every process counts against one budget per caller, and a
process whose Redis fails counts alone instead of refusing or admitting everyone."""

from __future__ import annotations

import redis.asyncio

from gateway.caller_rates import MemoryCallerRates, RedisCallerRates
from tests.support.redis import RedisServer


def process(url: str) -> RedisCallerRates:
    return RedisCallerRates(
        redis.asyncio.from_url(url), per_minute=6, burst=3, fallback=MemoryCallerRates(6, 3)
    )


async def test_two_processes_share_one_budget_per_caller(redis_server: RedisServer) -> None:
    first, second = process(redis_server.url), process(redis_server.url)
    caller = "shared-budget-user|smartops-ui"
    admitted = [await p.admit(caller) for p in (first, second, first)]
    assert admitted == [None, None, None]  # the burst of three, across both
    wait = await second.admit(caller)
    assert wait is not None and 0 < wait <= 10.0  # one request per 10 s on average
    assert await first.admit("another-user|smartops-ui") is None


async def test_a_failing_redis_falls_back_to_counting_alone() -> None:
    broken = process("redis://127.0.0.1:1/0")  # nothing listens there
    results = [await broken.admit("alone|ui") for _ in range(4)]
    assert results[:3] == [None, None, None]
    assert results[3] is not None  # the per-process budget still holds
