"""One instance's circuit breaker.

``failures`` failed calls in a row (connection errors, timeouts, 5xx, a 2xx/3xx that is not
JSON; a call's retries count once, so the threshold does not depend on ``retries``) open it.
While open, calls fail at once; after ``reset_seconds`` one trial call (sent once, without
retries) goes through: success closes the breaker, failure opens it again. 4xx and 429 answers
prove the instance is alive and count as successes (``Health.HEALTHY``).
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable

from connectors.http.outcomes import Health


class Admission(enum.Enum):
    CALL = "call"
    TRIAL = "trial"  # the one call let through a half-open breaker


class CircuitBreaker:
    """One instance's breaker: closed -> open after ``failures`` failed calls in a row -> after
    ``reset_seconds``, half-open: one trial call -> closed on success, open again on failure."""

    def __init__(
        self, failures: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = failures
        self._reset = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._trial or self._clock() >= self._opened_at + self._reset:
            return "half-open"
        return "open"

    @property
    def pristine(self) -> bool:
        return self._failures == 0 and self._opened_at is None and not self._trial

    def admit(self) -> Admission | None:
        """May a call go ahead? ``None``: no, fail fast (see ``retry_in``)."""
        if self._opened_at is None:
            return Admission.CALL
        if not self._trial and self._clock() >= self._opened_at + self._reset:
            self._trial = True
            return Admission.TRIAL
        return None

    def is_open(self) -> bool:
        return self._opened_at is not None

    def retry_in(self) -> int:
        """Whole seconds until a trial call may go (at least 1: one may be under way)."""
        if self._opened_at is None:
            return 0
        return max(1, math.ceil(self._opened_at + self._reset - self._clock()))

    def record(self, admission: Admission, health: Health) -> None:
        if admission is Admission.TRIAL:
            self._trial = False
        if health is Health.HEALTHY:  # also from a call admitted before the breaker opened
            self._failures, self._opened_at = 0, None
        elif health is Health.UNHEALTHY:
            if admission is Admission.TRIAL:
                self._opened_at = self._clock()
            elif self._opened_at is None:
                self._failures += 1
                if self._failures >= self.threshold:
                    self._opened_at = self._clock()
