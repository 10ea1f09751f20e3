"""The ITSM calls' HTTP transport: it connects only to addresses the URL policy allows.

``ConnectionResolver`` resolves an instance's host and refuses internal addresses before any
call, but DNS may answer differently a moment later, when the connection is opened (DNS
rebinding: a short TTL, first a public address, then 127.0.0.1). So the transport resolves the
host itself, checks every address with the same rules (``resolvers.addresses``), and connects to
the checked address, not to the name. TLS is unchanged: httpcore starts TLS with the origin's
host name as ``server_hostname``, so SNI and certificate verification use the name.

A refused address raises ``AddressRefused`` (400, like the refusal before the call): it is a
``GatewayError``, so it passes through httpcore and httpx unchanged and the connector's client
re-raises it as it is. Nothing is sent. DNS failures while connecting stay what they were,
``httpx.ConnectError`` (503).

Proxies: the transport connects directly. A proxy would resolve the host itself, out of reach of
the check (and httpx applies no environment proxy to an explicit transport).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import httpcore
import httpx

from connectors.errors import BadInput
from resolvers.addresses import (
    HostNotFound,
    HostResolver,
    InternalAddress,
    ResolutionFailed,
    refuse_internal,
    resolve_host,
    resolve_with_system,
)
from resolvers.url_policy import UrlPolicy


class AddressRefused(BadInput):
    """The gateway refused to connect: the host is not allowed, or resolved to an internal
    address when the connection was opened."""


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, then connects to a checked address (each in turn until one answers)."""

    def __init__(
        self,
        policy: UrlPolicy,
        resolve: HostResolver = resolve_with_system,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolve = resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve_host(host, port, self._resolve, limit_seconds=timeout)
            if not self._policy.vouches_for(host, port):
                refuse_internal(host, addresses)
        except InternalAddress as error:
            raise AddressRefused(
                f"the gateway refused to connect to the ITSM host {host}: it resolved to a "
                f"{error.kind} address when the connection was opened; nothing was sent"
            ) from None
        except (HostNotFound, ResolutionFailed) as error:
            raise httpcore.ConnectError(str(error)) from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # resolve_host returns at least one address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("the gateway does not connect to ITSMs over Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with a connection pool whose connections go through
    ``GuardedNetworkBackend``; every request's origin must also match a pattern of the policy
    (the ITSM URLs are built from checked base URLs; this holds it below them too)."""

    def __init__(
        self,
        policy: UrlPolicy,
        *,
        resolve: HostResolver = resolve_with_system,
        limits: httpx.Limits | None = None,
        verify: ssl.SSLContext | bool = True,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        limits = limits or httpx.Limits()
        super().__init__(verify=verify, limits=limits)
        ssl_context = (
            verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
        )
        self._policy = policy
        # httpx 0.28 has no public way to give its transport a network backend, and the pool is
        # all the transport's state, so the pool is replaced. httpx is pinned below 0.29; the
        # tests that send through this transport fail if the attribute stops being used.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedNetworkBackend(policy, resolve, backend),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or {"http": 80, "https": 443}.get(url.scheme, 0)
        if not self._policy.allows_origin(url.scheme, url.host, port):
            raise AddressRefused(
                f"the gateway refused to call {url.scheme}://{url.host}:{port}: no pattern of "
                "ITSM_GATEWAY_ITSM_ALLOWED_URLS allows it; nothing was sent"
            )
        return await super().handle_async_request(request)


def guarded_transport(
    policy: UrlPolicy, *, max_connections: int, resolve: HostResolver = resolve_with_system
) -> GuardedTransport:
    """The transport ``create_app`` gives the ITSM client (its pool sized as the client's)."""
    return GuardedTransport(
        policy,
        resolve=resolve,
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
    )
