"""Prometheus metrics, served at ``GET /metrics``.

Every label value comes from a fixed set: doors, operations, HTTP statuses, kinds of transport
error, cache names, and ITSM instance hosts, of which the first ``MAX_HOSTS`` seen get their own
label and the rest share ``other`` (callers name instances, so their number is the callers' to
choose). No label ever carries a ticket number, a user, a token or a URL.

One ``Metrics`` per app, with its own registry, so tests start from zero. With several workers
(``serve --workers``) the supervisor sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker starts,
each worker writes its values there, and ``/metrics`` answers the sum over the workers, whichever
worker the scrape reaches (prometheus-client's multiprocess mode).

``Metrics`` is also the ITSM call observer (``connectors.http.ResilienceObserver``): it
counts each attempt, adds it to the request's trail (``resolvers.trail``), and logs it at debug.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from connectors.http import ResilienceObserver, Target
from gateway.errors import error_response
from resolvers.trail import current_trail

log = logging.getLogger("itsm_gateway.itsm")

MAX_HOSTS = 50
_CHILDREN_KEPT = 4096
_BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class Metrics(ResilienceObserver):
    def __init__(self) -> None:
        registry = self.registry = CollectorRegistry(auto_describe=True)
        self._hosts: set[str] = set()
        # Label children already made, by their label values. The ITSM key holds the real host
        # (callers choose instances), so that map is emptied when it grows past _CHILDREN_KEPT.
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._itsm_children: dict[tuple[str, str, str, str], tuple[Any, Any]] = {}
        self._breaker_children: dict[tuple[str, str], Any] = {}
        self.requests = Counter(
            "itsm_gateway_requests",
            "Requests answered, by door (rest, graphql, ...), operation and HTTP status",
            ["door", "operation", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "itsm_gateway_request_duration_seconds",
            "Time to answer a request, by door and operation",
            ["door", "operation"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        # No field names among the labels: callers choose them (ticketJSON), so they are unbounded;
        # the access log line names them.
        self.writes_not_taken = Counter(
            "itsm_gateway_writes_not_taken",
            "Creates and updates the ITSM did not take whole (the ticket exists; some values it "
            "asked for are not held), by ITSM type and operation",
            ["itsm_type", "operation"],
            registry=registry,
        )
        itsm = ["itsm_type", "host", "operation"]
        self.itsm_calls = Counter(
            "itsm_gateway_itsm_calls",
            "HTTP attempts to ITSM instances, by outcome (HTTP status or transport error kind)",
            [*itsm, "outcome"],
            registry=registry,
        )
        self.itsm_seconds = Histogram(
            "itsm_gateway_itsm_call_duration_seconds",
            "Time of one HTTP attempt to an ITSM instance",
            itsm,
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.itsm_retries = Counter(
            "itsm_gateway_itsm_retries",
            "Attempts repeated, by the reason the previous one failed",
            [*itsm, "reason"],
            registry=registry,
        )
        self.rate_limit_waits = Counter(
            "itsm_gateway_itsm_rate_limit_waits",
            "Waits the ITSM asked for (429/503 with Retry-After)",
            ["itsm_type", "host"],
            registry=registry,
        )
        self.rate_limit_seconds = Counter(
            "itsm_gateway_itsm_rate_limit_wait_seconds",
            "Seconds spent waiting as the ITSM asked",
            ["itsm_type", "host"],
            registry=registry,
        )
        self.breaker_state = Gauge(
            "itsm_gateway_itsm_circuit_state",
            "Circuit breaker of each instance: 0 closed, 1 half-open, 2 open",
            ["itsm_type", "host"],
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.breaker_refusals = Counter(
            "itsm_gateway_itsm_circuit_refusals",
            "Calls refused at once because the instance's circuit was open",
            itsm,
            registry=registry,
        )
        self.jwks_fetches = Counter(
            "itsm_gateway_keycloak_jwks_fetches",
            "Fetches of Keycloak's signing keys, by outcome (ok, failed)",
            ["outcome"],
            registry=registry,
        )
        self.offline_exchanges = Counter(
            "itsm_gateway_keycloak_offline_exchanges",
            "Offline tokens exchanged for access tokens, by outcome (ok, refused, unavailable, "
            "misconfigured), and those not sent to Keycloak (refused_again, paced)",
            ["outcome"],
            registry=registry,
        )
        self.cache_lookups = Counter(
            "itsm_gateway_cache_lookups",
            "Cache lookups, by cache (access_token_claims, offline_access_token) and result",
            ["cache", "result"],
            registry=registry,
        )

    # -- what the app reports -------------------------------------------------------------------

    def request(self, door: str, operation: str, status: int, seconds: float) -> None:
        key = (door, operation, status)
        children = self._request_children.get(key)
        if children is None:  # labels() validates and locks each time: ~2% of a fetch
            children = self._request_children[key] = (
                self.requests.labels(door, operation, str(status)),
                self.request_seconds.labels(door, operation),
            )
        children[0].inc()
        children[1].observe(seconds)

    def write_not_taken(self, itsm_type: str, operation: str) -> None:
        self.writes_not_taken.labels(itsm_type, operation).inc()

    def jwks_fetch(self, ok: bool) -> None:
        self.jwks_fetches.labels("ok" if ok else "failed").inc()

    def offline_exchange(self, outcome: str) -> None:
        self.offline_exchanges.labels(outcome).inc()

    def cache_lookup(self, cache: str, hit: bool) -> None:
        self.cache_lookups.labels(cache, "hit" if hit else "miss").inc()

    # -- ResilienceObserver ---------------------------------------------------------------------

    def itsm_call(self, target: Target, operation: str, outcome: str, seconds: float) -> None:
        key = (target.itsm_type, target.host, operation, outcome)
        children = self._itsm_children.get(key)
        if children is None:
            if len(self._itsm_children) >= _CHILDREN_KEPT:
                self._itsm_children.clear()
            host = self._host(target.host)
            children = self._itsm_children[key] = (
                self.itsm_calls.labels(target.itsm_type, host, operation, outcome),
                self.itsm_seconds.labels(target.itsm_type, host, operation),
            )
        children[0].inc()
        children[1].observe(seconds)
        trail = current_trail()
        if trail is not None:
            trail.itsm_calls += 1
            trail.note_itsm(target.itsm_type, target.host)
        log.debug(
            "ITSM call %s to %s: %s",
            operation,
            target.host,
            outcome,
            extra={
                "itsm_type": target.itsm_type,
                "itsm_host": target.host,
                "operation": operation,
                "outcome": outcome,
                "latency_ms": round(seconds * 1000, 2),
            },
        )

    def itsm_retry(self, target: Target, operation: str, reason: str, delay: float) -> None:
        self.itsm_retries.labels(target.itsm_type, self._host(target.host), operation, reason).inc()

    def itsm_rate_limit_wait(self, target: Target, seconds: float) -> None:
        host = self._host(target.host)
        self.rate_limit_waits.labels(target.itsm_type, host).inc()
        self.rate_limit_seconds.labels(target.itsm_type, host).inc(seconds)

    def itsm_breaker(self, target: Target, state: str) -> None:
        key = (target.itsm_type, target.host)
        child = self._breaker_children.get(key)
        if child is None:  # told after every call: labels() each time cost ~1% of a fetch
            if len(self._breaker_children) >= _CHILDREN_KEPT:
                self._breaker_children.clear()
            child = self._breaker_children[key] = self.breaker_state.labels(
                target.itsm_type, self._host(target.host)
            )
        child.set(_BREAKER_STATES.get(state, 0))

    def itsm_breaker_refusal(self, target: Target, operation: str) -> None:
        self.breaker_refusals.labels(target.itsm_type, self._host(target.host), operation).inc()

    def _host(self, host: str) -> str:
        if host in self._hosts:
            return host
        if len(self._hosts) < MAX_HOSTS:
            self._hosts.add(host)
            return host
        return "other"

    # -- exposition -----------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The text format; across all workers in multiprocess mode."""
        if os.environ.get(MULTIPROCESS_DIR):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)


def metrics_handler(
    metrics: Metrics, token: str | None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``GET /metrics``: with ``token``, only for ``Authorization: Bearer <token>``; without one,
    only for a caller on this host that no proxy forwarded (a sidecar, ``kubectl port-forward``,
    the demo), since the metrics name the ITSM hosts the gateway serves."""
    expected = f"Bearer {token}".encode() if token else None

    async def handler(request: web.Request) -> web.Response:
        if expected is not None:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return error_response(
                    401,
                    "UNAUTHENTICATED",
                    "/metrics needs Authorization: Bearer <the metrics token> "
                    "(ITSM_GATEWAY_METRICS_TOKEN)",
                    {"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        elif not _local_and_direct(request):
            return error_response(
                403,
                "FORBIDDEN",
                "/metrics answers only callers on the gateway's own host unless "
                "ITSM_GATEWAY_METRICS_TOKEN is set; set it and scrape with that bearer token",
            )
        return web.Response(
            body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    return handler


_PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def _local_and_direct(request: web.Request) -> bool:
    """Whether the peer is a loopback address and the request carries no sign of a proxy."""
    try:
        peer = ipaddress.ip_address((request.remote or "").split("%", 1)[0])
    except ValueError:
        return False
    return peer.is_loopback and not any(name in request.headers for name in _PROXY_HEADERS)
