"""A small cache of answers that expire, keyed per instance and account: what the factory keeps
between requests (the account's zone in ``servicenow.account_zone``; people, groups, choices and
display names in ``servicenow.directory``).

Callers bring their own accounts, so the cache is bounded: past ``max_entries``, expired then
soonest-expiring entries go. ``load_once`` lets one request learn a key while concurrent ones
wait for its answer instead of asking ServiceNow again. No module-level state: the factory owns
each cache and clears it in ``aclose``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from connectors.connection import Credentials

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_ENTRIES = 1024


def account_key(instance_url: str, credentials: Credentials) -> tuple[str, str]:
    """Instance and account (``Credentials.account_key``: a keyed digest, never a secret)."""
    return (instance_url.rstrip("/").casefold(), credentials.account_key())


class TtlCache(Generic[K, V]):
    """Values kept ``ttl`` seconds by ``clock``, at most ``max_entries`` of them."""

    def __init__(
        self,
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}
        self._locks: dict[K, asyncio.Lock] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self._locks.clear()

    def get(self, key: K) -> V | None:
        """The value while ``key`` is cached and fresh, else ``None`` (so cache a value that
        means "none", such as ``()``, rather than ``None``)."""
        cached = self._fresh(key)
        return None if cached is None else cached[0]

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (self._clock() + self._ttl, value)
        self._prune()

    async def load_once(self, key: K, load: Callable[[], Awaitable[tuple[V, bool]]]) -> V:
        """The cached value, or ``load()``'s; ``load`` gives the value and whether it may be
        cached (a failure that says nothing about the account should not be). One ``load`` at a
        time per key."""
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._fresh(key)
            if cached is not None:
                return cached[0]
            loaded, cacheable = await load()
            if cacheable:
                self.put(key, loaded)
            return loaded

    def _fresh(self, key: K) -> tuple[V] | None:
        entry = self._entries.get(key)
        return (entry[1],) if entry is not None and entry[0] > self._clock() else None

    def _prune(self) -> None:
        if len(self._entries) <= self._max_entries:
            return
        now = self._clock()
        by_expiry = sorted(self._entries.items(), key=lambda item: item[1][0])
        for key, (expires, _) in by_expiry:
            if len(self._entries) <= self._max_entries and expires > now:
                break
            del self._entries[key]
        for key in [k for k, lock in self._locks.items() if not lock.locked()]:
            if key not in self._entries:
                del self._locks[key]
