"""A rate per caller: each SmartOps user and client gets its own share of the gateway.

One caller's burst must not take the gateway (and the ITSMs behind it) from the others, so every
authenticated request counts against its caller (the token's user and client), and a caller over
its rate is answered 429 with ``Retry-After`` before anything else runs.

The rule is GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp per
caller): ``per_minute`` requests a minute on average, up to ``burst`` at once. With Redis the
timestamps are shared by every worker and replica (one Lua script, on Redis's own clock, so
processes with drifting clocks agree); without it each process counts alone. If Redis fails,
each process falls back to counting alone rather than refusing or admitting everyone.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import redis.asyncio
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_NAMESPACE = "itsm-gateway:rate:"
# Admits and stores the new arrival time, or answers how many microseconds to wait.
_GCRA = """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if now < tat - tolerance then return tat - tolerance - now end
local next_tat = tat + interval
local keep_ms = math.ceil((next_tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', keep_ms)
return 0
"""


class CallerRates(Protocol):
    per_minute: int  # for messages

    async def admit(self, caller: str) -> float | None:
        """``None`` when ``caller`` may go on; else the seconds until it may."""
        ...

    async def aclose(self) -> None: ...


class MemoryCallerRates:
    """Per process. At most ``max_callers`` are remembered (least recently seen first out: a
    forgotten caller starts with a full burst, which only ever favours it)."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 100_000,
    ) -> None:
        self.per_minute = per_minute
        self._interval = 60.0 / per_minute
        self._tolerance = self._interval * (burst - 1)
        self._arrivals: OrderedDict[str, float] = OrderedDict()  # caller -> theoretical arrival
        self._clock = clock
        self._max_callers = max_callers

    async def admit(self, caller: str) -> float | None:
        now = self._clock()
        tat = max(self._arrivals.get(caller, now), now)
        if now < tat - self._tolerance:
            return tat - self._tolerance - now
        self._arrivals[caller] = tat + self._interval
        self._arrivals.move_to_end(caller)
        while len(self._arrivals) > self._max_callers:
            self._arrivals.popitem(last=False)
        return None

    async def aclose(self) -> None:
        self._arrivals.clear()


class RedisCallerRates:
    """Shared by every process through Redis; ``fallback`` counts alone while Redis fails."""

    def __init__(
        self, client: redis.asyncio.Redis, per_minute: int, burst: int, fallback: CallerRates
    ) -> None:
        self.per_minute = per_minute
        self._client = client
        interval = 60.0 / per_minute
        self._interval_us = int(interval * 1_000_000)
        self._tolerance_us = int(interval * (burst - 1) * 1_000_000)
        self._script = client.register_script(_GCRA)
        self._fallback = fallback
        self._failing = False

    async def admit(self, caller: str) -> float | None:
        # A digest for the name: Redis holds no user names.
        name = _NAMESPACE + hashlib.sha256(caller.encode()).hexdigest()[:32]
        try:
            wait_us = await self._script(keys=[name], args=[self._interval_us, self._tolerance_us])
        except RedisError as error:
            if not self._failing:
                log.warning(
                    "caller rates: Redis failed (%s); counting per process", type(error).__name__
                )
                self._failing = True
            return await self._fallback.admit(caller)
        if self._failing:
            log.info("caller rates: Redis answers again; counting across processes")
            self._failing = False
        wait = int(wait_us) / 1_000_000
        return wait if wait > 0 else None

    async def aclose(self) -> None:
        await self._client.aclose()


def caller_rates(per_minute: int, burst: int, redis_url: str | None = None) -> CallerRates | None:
    """The limiter the settings ask for; ``None`` when ``per_minute`` is 0 (no limit)."""
    if per_minute <= 0:
        return None
    memory = MemoryCallerRates(per_minute, burst)
    if redis_url is None:
        return memory
    return RedisCallerRates(redis.asyncio.from_url(redis_url), per_minute, burst, memory)


def retry_after(wait: float) -> int:
    """Whole seconds for ``Retry-After``: never 0, which would invite an immediate retry."""
    return max(1, math.ceil(wait))
