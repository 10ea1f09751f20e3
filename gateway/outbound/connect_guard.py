"""The SSRF guard's check when the ITSM transport opens a connection.

``ConnectionResolver`` resolves an instance's host and refuses internal addresses before any
call (``guard.AddressGuard``), but DNS may answer differently a moment later, when the connection
is opened (DNS rebinding: a short TTL, first a public address, then 127.0.0.1). So aiohttp's
resolver is ours (``GuardedResolver``): it resolves with the same resolver, checks every address
with the same rules (``addresses``) and gives aiohttp only checked addresses; aiohttp connects to
them, not to the name. TLS still uses the name for SNI and certificate verification. aiohttp
skips the resolver for an IP literal, so literals are checked by ``AllowedOrigins`` before the
request is handed over, with every request's origin, which must match a pattern of the policy
(the ITSM URLs are built from checked base URLs; this holds it below them too).

A refused address raises ``AddressRefused`` (400, like the refusal before the call): nothing is
sent.
"""

from __future__ import annotations

import socket

import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

from connectors.errors import BadInput
from gateway.outbound.addresses import (
    HostNotFound,
    HostResolver,
    InternalAddress,
    ResolutionFailed,
    ip_literal,
    refuse_internal,
    resolve_host,
    resolve_with_system,
)
from gateway.outbound.url_policy import UrlPolicy

_DNS_SECONDS = 10.0
_ORIGINS_REMEMBERED = 1024


class AddressRefused(BadInput):
    """The gateway refused to connect: the host is not allowed, or resolved to an internal
    address when the connection was opened."""


def refused_address(host: str, kind: str) -> AddressRefused:
    return AddressRefused(
        f"the gateway refused to connect to the ITSM host {host}: it resolved to a {kind} "
        "address when the connection was opened; nothing was sent"
    )


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver: resolves with ``resolve``, refuses the host if any address is internal
    (unless a pattern names it literally), and answers the checked addresses in DNS order."""

    def __init__(self, policy: UrlPolicy, resolve: HostResolver = resolve_with_system) -> None:
        self._policy = policy
        self._resolve = resolve

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            addresses = await resolve_host(host, port, self._resolve, limit_seconds=_DNS_SECONDS)
            if not self._policy.vouches_for(host, port):
                refuse_internal(host, addresses)
        except InternalAddress as error:
            raise refused_address(host, error.kind) from None
        except (HostNotFound, ResolutionFailed) as error:
            # An OSError: aiohttp reports it as ClientConnectorDNSError (nothing sent).
            raise socket.gaierror(socket.EAI_NONAME, str(error)) from None
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None


class AllowedOrigins:
    """Every request's origin (scheme, host, port) checked against the policy, and an IP literal
    host against the address rules, before the transport hands the request over."""

    def __init__(self, policy: UrlPolicy) -> None:
        self._policy = policy
        # The policy never changes, so an origin it allowed once is allowed again (DNS answers
        # are still checked on every new connection, by the resolver).
        self._allowed: set[tuple[str, str, int]] = set()

    def check(self, url: httpx.URL) -> None:
        port = url.port or {"http": 80, "https": 443}.get(url.scheme, 0)
        origin = (url.scheme, url.host, port)
        if origin in self._allowed:
            return
        self._judge_origin(url, port)
        if len(self._allowed) >= _ORIGINS_REMEMBERED:
            self._allowed.clear()
        self._allowed.add(origin)

    def _judge_origin(self, url: httpx.URL, port: int) -> None:
        if not self._policy.allows_origin(url.scheme, url.host, port):
            raise AddressRefused(
                f"the gateway refused to call {url.scheme}://{url.host}:{port}: no pattern of "
                "ITSM_GATEWAY_ITSM_ALLOWED_URLS allows it; nothing was sent"
            )
        literal = ip_literal(url.host)
        if literal is not None and not self._policy.vouches_for(url.host, port):
            try:
                refuse_internal(url.host, (literal,))
            except InternalAddress as error:
                raise refused_address(url.host, error.kind) from None
