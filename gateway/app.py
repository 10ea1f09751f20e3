"""The application factory: the one way to build the gateway, in production, the demo and tests.

Nothing happens at import time. The pooled HTTP clients are built with the app (building an httpx
client opens no socket) so the doors can be wired to them; everything that does I/O starts and
stops in ``cleanup_ctx``, which also closes the clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
from aiohttp import web
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider

from connectors.catalog import connector_factories
from connectors.http import Resilience, ResiliencePolicy
from connectors.registry import ConnectorRegistry
from gateway.access import AccessPolicy
from gateway.auth.access_tokens import AccessTokenVerifier
from gateway.auth.authenticator import Authenticator
from gateway.auth.jwks import JwksCache
from gateway.auth.offline_refusals import OfflineRefusals
from gateway.auth.offline_tokens import OfflineTokenExchanger
from gateway.auth.shared_exchanges import SharedExchanges
from gateway.caller_rates import caller_rates
from gateway.health import healthz, readyz
from gateway.idempotency_redis import RedisIdempotencyStore
from gateway.middleware import authentication, request_context
from gateway.observability.metrics import Metrics, metrics_handler
from gateway.observability.tracing import TRACER_NAME, tracer_provider_for
from gateway.outbound.client import CookielessClient
from gateway.outbound.transport import guarded_transport
from gateway.profiles import connection_resolver
from gateway.request_keys import request_id_of
from gateway.settings import Settings
from graph.limits import GraphQLLimits
from graph.view import GraphQLView
from resolvers.connections import ConnectionResolver
from resolvers.idempotency_store import IdempotencyStore, MemoryIdempotencyStore
from resolvers.limits import InputLimits
from resolvers.search import PageLimits
from resolvers.tickets import TicketService
from rest_compat.handlers import RestDoor

log = logging.getLogger("itsm_gateway")

SETTINGS = web.AppKey("settings", Settings)
REGISTRY = web.AppKey("registry", ConnectorRegistry)
JWKS = web.AppKey("jwks", JwksCache)

_KEY_RETRY_SECONDS = 5.0


def create_app(
    settings: Settings,
    *,
    itsm_transport: httpx.AsyncBaseTransport | None = None,
    connections: ConnectionResolver | None = None,
    tracer_provider: trace.TracerProvider | None = None,
) -> web.Application:
    """The gateway. Tests may give ``itsm_transport``, what carries the ITSM calls (default: one
    that connects only to addresses the URL policy allows), and ``connections``, the resolver of
    connection details (default: from the settings, with the system's DNS), and
    ``tracer_provider``, where spans go (default: as ``ITSM_GATEWAY_TRACING`` says)."""
    metrics = Metrics()
    provider = tracer_provider or tracer_provider_for(settings.tracing)
    tracer = provider.get_tracer(TRACER_NAME)
    keycloak_http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.keycloak_timeout_seconds), follow_redirects=False
    )
    # One client serves every caller: it keeps no cookies, as one set for a caller must not go out
    # with another's request.
    itsm_http = CookielessClient(
        timeout=httpx.Timeout(
            settings.itsm_read_timeout_seconds, connect=settings.itsm_connect_timeout_seconds
        ),
        # A redirect could lead to an address the URL policy would refuse.
        follow_redirects=False,
        # Connects only to the addresses it checked itself (DNS rebinding cannot slip past).
        transport=itsm_transport
        or guarded_transport(
            settings.url_policy(),
            max_connections=settings.itsm_max_connections,
            max_answer_bytes=settings.itsm_max_answer_bytes,
            tracer=tracer,
        ),
    )
    jwks = JwksCache(
        settings.keycloak_issuer,
        keycloak_http,
        min_refresh_interval=settings.jwks_min_refresh_seconds,
        timeout=settings.keycloak_timeout_seconds,
        metrics=metrics,
    )
    verifier = AccessTokenVerifier(
        jwks,
        issuer=settings.keycloak_issuer,
        audience=settings.keycloak_audience,
        leeway=settings.jwt_leeway_seconds,
        metrics=metrics,
    )
    # Each caller's share of the gateway: per process, or across all of them with Redis.
    rates = caller_rates(
        settings.caller_requests_per_minute, settings.caller_burst, settings.redis_url
    )
    # With Redis, every process shares offline-token exchanges (and Keycloak's rotations).
    shared_exchanges = SharedExchanges.from_url(settings.redis_url) if settings.redis_url else None
    authenticator = Authenticator(
        verifier,
        OfflineTokenExchanger(
            issuer=settings.keycloak_issuer,
            clients=settings.offline_clients(),
            http=keycloak_http,
            verifier=verifier,
            metrics=metrics,
            shared=shared_exchanges,
            shared_wait_seconds=2 * settings.keycloak_timeout_seconds,
            refusals=OfflineRefusals(
                refusals_per_minute=settings.keycloak_offline_refusals_per_minute
            ),
            recheck_seconds=settings.keycloak_offline_recheck_seconds,
        ),
    )
    # Retries, a circuit breaker and a concurrency limit per ITSM instance, shared by all calls.
    resilience = Resilience(
        ResiliencePolicy(
            retries=settings.itsm_retries,
            backoff_seconds=settings.itsm_retry_backoff_seconds,
            retry_after_cap_seconds=settings.itsm_retry_after_cap_seconds,
            breaker_failures=settings.itsm_breaker_failures,
            breaker_reset_seconds=settings.itsm_breaker_reset_seconds,
            max_concurrency_per_instance=settings.itsm_max_concurrency_per_instance,
        ),
        observer=metrics,
    )
    registry = ConnectorRegistry(
        connector_factories(
            itsm_http, resilience=resilience, jira_api_url=settings.jira_cloud_api_url
        )
    )
    # Idempotency keys: shared through Redis when configured, else in this process only.
    idempotency: IdempotencyStore = (
        RedisIdempotencyStore.from_url(
            settings.redis_url, ttl_seconds=settings.idempotency_ttl_seconds
        )
        if settings.redis_url
        else MemoryIdempotencyStore(ttl_seconds=settings.idempotency_ttl_seconds)
    )
    service = TicketService(
        registry,
        connections or connection_resolver(settings, registry.all_capabilities()),
        limits=InputLimits(
            max_ticket_json_bytes=settings.max_ticket_json_bytes,
            max_ticket_json_keys=settings.max_ticket_json_keys,
            max_string_length=settings.max_string_length,
        ),
        deadline_seconds=settings.request_deadline_seconds,
        idempotency_share=settings.idempotency_max_bytes_per_caller,
        idempotency=idempotency,
        pages=PageLimits(maximum=settings.max_page_size),
    )
    access = AccessPolicy(settings.read_roles, settings.write_roles)

    app = web.Application(
        middlewares=[
            request_context(metrics, tracer),
            authentication(
                authenticator, rates=rates, body_timeout=settings.http_body_timeout_seconds
            ),
        ],
        client_max_size=settings.max_body_bytes,
        # A Keycloak access token for a user in many groups or with many client roles passes
        # 8 KB, aiohttp's default for a header line.
        handler_args={
            "max_line_size": settings.http_max_header_bytes,
            "max_field_size": settings.http_max_header_bytes,
        },
    )
    app[SETTINGS] = settings
    app[REGISTRY] = registry
    app[JWKS] = jwks

    keys = SigningKeysStatus(jwks)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        loader = asyncio.create_task(keys.load_until_done(), name="load-signing-keys")
        try:
            yield
        finally:
            loader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loader
            await registry.aclose()
            await idempotency.aclose()
            if shared_exchanges is not None:
                await shared_exchanges.aclose()
            if rates is not None:
                await rates.aclose()
            await itsm_http.aclose()
            await keycloak_http.aclose()
            if tracer_provider is None and isinstance(provider, SdkTracerProvider):
                provider.shutdown()  # flushes the spans still batched

    app.cleanup_ctx.append(resources)

    graphql = GraphQLView(
        service,
        access.context_of,
        request_id_of,
        graphiql=settings.graphiql,
        allow_get=settings.graphql_get,
        introspection=settings.graphql_introspection,
        limits=GraphQLLimits(
            max_depth=settings.graphql_max_depth,
            max_tokens=settings.graphql_max_tokens,
            max_document_bytes=settings.graphql_max_document_bytes,
            max_aliases=settings.graphql_max_aliases,
            max_tickets=settings.max_tickets_per_request,
            max_searches=settings.graphql_max_searches,
            max_page_size=settings.max_page_size,
        ),
        tracer=tracer,
    )
    app.router.add_routes(graphql.routes())  # /graphql and, with GraphiQL on, its files
    app.router.add_routes(RestDoor(service, access.context_of).routes())
    app.router.add_get("/healthz", healthz)
    checks = {"keycloak_signing_keys": keys.check}
    if settings.connections:
        # Invalid profiles stop the start; this says how many the gateway serves.
        checks["connection_profiles"] = _always_ok
    if isinstance(idempotency, RedisIdempotencyStore):
        checks["redis"] = idempotency.check
    app.router.add_get("/readyz", readyz(checks))
    if settings.metrics:
        app.router.add_get("/metrics", metrics_handler(metrics, settings.metrics_token))
    return app


async def _always_ok() -> str:
    """Profiles are loaded and checked (URL, policy, secrets) before the gateway listens, and an
    invalid one stops the start; once serving, they stay as loaded."""
    return "ok"


class SigningKeysStatus:
    """Loads the signing keys at start, retrying while Keycloak is unreachable, and tells
    /readyz where that stands (with the last failure, so an operator sees why)."""

    def __init__(self, jwks: JwksCache) -> None:
        self._jwks = jwks
        self._last_error: str | None = None

    async def check(self) -> str:
        if self._jwks.is_loaded:
            return "ok"
        return f"not loaded: {self._last_error}" if self._last_error else "not loaded yet"

    async def load_until_done(self) -> None:
        while True:
            try:
                await self._jwks.load()
                log.info("Keycloak signing keys loaded")
                return
            except Exception as error:  # any failure: say so and try again, never crash the app
                self._last_error = str(error)
                log.warning(
                    "cannot load Keycloak signing keys yet (%s); retrying in %ss",
                    error,
                    _KEY_RETRY_SECONDS,
                )
                await asyncio.sleep(_KEY_RETRY_SECONDS)
