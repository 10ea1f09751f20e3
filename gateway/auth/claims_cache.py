"""Verified tokens remembered until they expire, so a signature is checked once per token.

Keyed by the SHA-256 of the token: the cache never holds a token, so a heap dump or a debug
print of it reveals none.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from gateway.auth.principal import Principal


class ClaimsCache:
    """At most ``max_entries`` principals, each served only strictly before its deadline.

    When full, the entry stored first is evicted (insertion order, not use order: a token is
    short-lived, so the oldest entry is the one closest to expiry).
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str, now: float) -> Principal | None:
        digest = _digest(token)
        entry = self._entries.get(digest)
        if entry is None:
            return None
        principal, deadline = entry
        if now >= deadline:
            del self._entries[digest]
            return None
        return principal

    def put(self, token: str, principal: Principal, deadline: float, now: float) -> None:
        """Remember ``principal`` for ``token`` until ``deadline`` (epoch seconds)."""
        if now >= deadline:
            return
        digest = _digest(token)
        self._entries.pop(digest, None)
        self._entries[digest] = (principal, deadline)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
