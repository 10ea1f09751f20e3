"""Who a call goes to (``Target``) and what the spine reports as it works
(``ResilienceObserver``), for metrics, logs and traces."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Target:
    """The instance a call goes to: ``key`` (its URL) groups breaker and slots; ``name`` is how
    messages call it (``ServiceNow at acme.service-now.com``); ``host`` goes in log lines."""

    key: str
    name: str
    host: str
    itsm_type: str = "servicenow"  # metrics label: which kind of ITSM


class ResilienceObserver:
    """What ``Resilience`` reports as it works, for metrics, logs and traces; every method does
    nothing here, and the gateway overrides them (``gateway.observability.metrics``).
    ``operation`` is a small fixed vocabulary (``read_ticket``, ``read_journal``,
    ``create_ticket``, ``oauth_token``...),
    ``outcome`` an HTTP status (``"200"``) or the kind of transport error (``"ConnectTimeout"``)."""

    def itsm_call(self, target: Target, operation: str, outcome: str, seconds: float) -> None:
        """One HTTP attempt ended."""

    def itsm_retry(self, target: Target, operation: str, reason: str, delay: float) -> None:
        """An attempt will be made again after ``delay`` seconds."""

    def itsm_rate_limit_wait(self, target: Target, seconds: float) -> None:
        """The instance asked to wait (429/503 with ``Retry-After``), and the gateway waits."""

    def itsm_breaker(self, target: Target, state: str) -> None:
        """The instance's breaker state after a call (``closed``, ``open``, ``half-open``)."""

    def itsm_breaker_refusal(self, target: Target, operation: str) -> None:
        """A call was refused at once because the instance's breaker is open."""
