"""Where idempotency records live: the store's interface, and the in-process store (Redis's is
``gateway.idempotency_redis``)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from connectors.errors import Unavailable

HEADER = "Idempotency-Key"
DEFAULT_TTL_SECONDS = 86_400


class IdempotencyStore(Protocol):
    """Text values under keys, each expiring a TTL after it was last written.

    Every method raises ``Unavailable`` when the store cannot be reached. Implementations: the
    in-process ``MemoryIdempotencyStore`` and ``gateway.idempotency_redis.RedisIdempotencyStore``.
    """

    async def claim(self, key: str, value: str) -> str | None:
        """Store ``value`` unless ``key`` holds a value (atomically): ``None`` when stored, else
        the value held."""
        ...

    async def replace(self, key: str, value: str) -> None:
        """Store ``value`` whatever ``key`` holds."""
        ...

    async def release(self, key: str, value: str) -> None:
        """Delete ``key`` if it still holds ``value`` (a claim never deletes another's)."""
        ...

    async def usage(self, owner: str) -> int:
        """The characters ``owner`` (a caller's digest) stored within the last TTL."""
        ...

    async def charge(self, owner: str, chars: int) -> None:
        """Count ``chars`` more stored by ``owner``; the count ends a TTL after its last charge."""
        ...

    async def aclose(self) -> None: ...


class MemoryIdempotencyStore:
    """The default store, for one gateway process. Bounded: past ``max_chars`` of stored text,
    new keys are refused (503) rather than old ones dropped, as dropping a key could let its
    retry create a second ticket. ``clock`` (monotonic seconds) drives expiry."""

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_chars: int = 64 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max_chars = max_chars
        self._clock = clock
        # In expiry order: the TTL is one for all and every write moves its key to the end.
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._chars = 0
        self._usage: dict[str, tuple[float, int]] = {}  # owner -> (expires at, chars)

    async def claim(self, key: str, value: str) -> str | None:
        self._drop_expired()
        held = self._entries.get(key)
        if held is not None:
            return held[1]
        if self._chars + len(value) > self._max_chars:
            raise Unavailable(
                f"the gateway's idempotency store is full; retry later, or without an {HEADER}"
            )
        self._write(key, value)
        return None

    async def replace(self, key: str, value: str) -> None:
        # Never refused for size: the key's claim was counted already, and refusing the outcome
        # of a create that happened would be worse than a store somewhat over its bound.
        self._drop_expired()
        self._write(key, value)

    async def release(self, key: str, value: str) -> None:
        held = self._entries.get(key)
        if held is not None and held[1] == value:
            self._remove(key)

    async def usage(self, owner: str) -> int:
        expires_at, chars = self._usage.get(owner, (0.0, 0))
        return chars if expires_at > self._clock() else 0

    async def charge(self, owner: str, chars: int) -> None:
        now = self._clock()
        self._usage = {o: u for o, u in self._usage.items() if u[0] > now}  # forget idle owners
        self._usage[owner] = (now + self._ttl, await self.usage(owner) + chars)

    async def aclose(self) -> None:
        self._entries.clear()
        self._chars = 0
        self._usage.clear()

    def __len__(self) -> int:
        self._drop_expired()
        return len(self._entries)

    def _write(self, key: str, value: str) -> None:
        self._remove(key)
        self._entries[key] = (self._clock() + self._ttl, value)
        self._chars += len(value)

    def _remove(self, key: str) -> None:
        held = self._entries.pop(key, None)
        if held is not None:
            self._chars -= len(held[1])

    def _drop_expired(self) -> None:
        now = self._clock()
        while self._entries:
            key, (expires_at, _) = next(iter(self._entries.items()))
            if expires_at > now:
                return
            self._remove(key)
