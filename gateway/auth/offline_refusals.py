"""Keeping a stream of bad offline tokens away from Keycloak.

An offline token cannot be verified locally (Keycloak signs it with a secret it never publishes),
so each one the gateway has not seen costs a call to Keycloak's token endpoint. Anyone can make a
JWT that looks like one. What can be refused locally is refused before this (``offline_tokens``:
its shape, issuer, audience, client); this module bounds what remains:

- **refusals are remembered**: a token Keycloak refused (revoked, expired, already used) is
  refused again at once for ``remember_seconds``, without a call (the memory holds SHA-256 digests,
  never tokens, and at most ``max_remembered`` of them);
- **the pace of refusals is limited**: each refusal takes one unit from a bucket that refills at
  ``refusals_per_minute``; while it is empty, no offline token the gateway does not already hold
  an exchange for is sent to Keycloak (429 with ``Retry-After``). Tokens that were exchanged
  before keep working: an attack slows newcomers for a while, and locks out nobody already in.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class OfflineRefusals:
    def __init__(
        self,
        *,
        refusals_per_minute: int = 60,
        remember_seconds: float = 600.0,
        max_remembered: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = float(refusals_per_minute)
        self._rate = refusals_per_minute / 60.0  # units per second
        self._units = self._capacity
        self._filled_at = clock()
        self._remember_seconds = remember_seconds
        self._max_remembered = max_remembered
        self._refused: OrderedDict[bytes, float] = OrderedDict()  # digest -> until (clock)
        self._clock = clock

    def was_refused(self, key: bytes) -> bool:
        """Whether Keycloak refused the token with this digest recently."""
        until = self._refused.get(key)
        if until is None:
            return False
        if self._clock() < until:
            return True
        del self._refused[key]
        return False

    def note_refusal(self, key: bytes) -> None:
        """Keycloak refused the token with this digest: remember it, and count it."""
        self._refill()
        self._units = max(self._units - 1.0, 0.0)
        self._refused[key] = self._clock() + self._remember_seconds
        self._refused.move_to_end(key)
        while len(self._refused) > self._max_remembered:
            self._refused.popitem(last=False)

    def wait_before_new(self) -> float | None:
        """``None`` when a new token may be sent to Keycloak; else the seconds until one may."""
        self._refill()
        if self._units >= 1.0:
            return None
        return (1.0 - self._units) / self._rate if self._rate > 0 else 60.0

    def _refill(self) -> None:
        now = self._clock()
        self._units = min(self._capacity, self._units + (now - self._filled_at) * self._rate)
        self._filled_at = now
