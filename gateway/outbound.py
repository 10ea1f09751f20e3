"""The ITSM calls' HTTP transport: httpx's API on aiohttp's client, connecting only to addresses
the URL policy allows.

Why aiohttp underneath: the connectors speak httpx (the user's choice), but httpx's own transport
(httpcore on anyio) cost about 1,100-1,600 us of CPU per call here against about 50 us for
aiohttp's ``ClientSession``, and degraded as concurrency grew (issue 5's measurements). So the
connectors keep ``httpx.AsyncClient`` and this transport hands each request to one shared
``aiohttp.ClientSession``. Tests that check how a connector shapes its requests give the client
pytest-httpx's transport instead; nothing in the connectors knows which transport is below.

The SSRF guard lives in the session's resolver. ``ConnectionResolver`` resolves an instance's host
and refuses internal addresses before any call, but DNS may answer differently a moment later,
when the connection is opened (DNS rebinding: a short TTL, first a public address, then
127.0.0.1). So aiohttp's resolver is ours: it resolves with the same resolver, checks every
address with the same rules (``resolvers.addresses``) and gives aiohttp only checked addresses;
aiohttp connects to them, not to the name (its DNS cache is off so every new connection asks
again). TLS still uses the name for SNI and certificate verification. aiohttp skips the resolver
for an IP literal, so literals are checked here before the request is handed over.

A refused address raises ``AddressRefused`` (400, like the refusal before the call). Nothing is
sent. aiohttp's errors become httpx's (``_httpx_error``), so the connectors' judgement of what was
sent (``connectors.http.outcomes.judge``) reads them as before: a failure to connect is
``httpx.ConnectError``/``ConnectTimeout`` (not sent), one after sending is a read error, timeout
or protocol error (maybe applied).

Neither layer keeps cookies (``CookielessClient`` above, ``DummyCookieJar`` below): the one
session serves every caller and every instance, and a cookie an ITSM set for one caller must
never ride along on another's request. No proxy from the environment either: a proxy would
resolve the host itself, out of reach of the check.

Each attempt is a client span (``gateway.tracing``: method, host, path, status; never the query)
and carries ``traceparent``, so the ITSM's logs can join the caller's trace.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import ssl
from contextlib import AbstractContextManager
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from opentelemetry import trace
from yarl import URL

from connectors.errors import BadInput
from gateway.tracing import in_a_trace, outgoing_headers, records
from resolvers.addresses import (
    HostNotFound,
    HostResolver,
    InternalAddress,
    ResolutionFailed,
    ip_literal,
    refuse_internal,
    resolve_host,
    resolve_with_system,
)
from resolvers.url_policy import UrlPolicy

# Headers aiohttp must set itself from what it actually sends (or that describe this hop only).
_HOP_HEADERS = frozenset({b"content-length", b"transfer-encoding", b"connection", b"keep-alive"})
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


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport sending through one ``aiohttp.ClientSession`` (created on the first
    request, inside the running loop) whose resolver is ``GuardedResolver``. Every request's
    origin must also match a pattern of the policy (the ITSM URLs are built from checked base
    URLs; this holds it below them too)."""

    def __init__(
        self,
        policy: UrlPolicy,
        *,
        resolve: HostResolver = resolve_with_system,
        max_connections: int = 100,
        verify: ssl.SSLContext | bool = True,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self._policy = policy
        self._tracer = tracer or trace.NoOpTracer()
        self._records = records(self._tracer)
        self._resolve = resolve
        self._max_connections = max_connections
        self._ssl: ssl.SSLContext | bool = (
            verify if isinstance(verify, ssl.SSLContext) else bool(verify)
        )
        self._session: aiohttp.ClientSession | None = None
        # The policy never changes, so an origin it allowed once is allowed again (DNS answers
        # are still checked on every new connection, by the resolver).
        self._allowed_origins: set[tuple[str, str, int]] = set()

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=0,
                resolver=GuardedResolver(self._policy, self._resolve),
                use_dns_cache=False,
                ssl=self._ssl,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,  # httpx decodes, as it would from its own transport
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
            )
        return self._session

    def _check_origin(self, url: httpx.URL) -> None:
        port = url.port or {"http": 80, "https": 443}.get(url.scheme, 0)
        origin = (url.scheme, url.host, port)
        if origin in self._allowed_origins:
            return
        self._judge_origin(url, port)
        if len(self._allowed_origins) >= _ORIGINS_REMEMBERED:
            self._allowed_origins.clear()
        self._allowed_origins.add(origin)

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

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._check_origin(request.url)
        session = self._open_session()
        url = request.url
        with self._span(request) as span:
            headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in request.headers.raw
                if name.lower() not in _HOP_HEADERS
            ]
            if in_a_trace():
                headers.extend(outgoing_headers().items())  # traceparent
            body = await request.aread()
            try:
                async with session.request(
                    request.method,
                    URL(str(url), encoded=True),
                    headers=headers,
                    data=body or None,
                    allow_redirects=False,
                    timeout=_timeout(**request.extensions.get("timeout", {})),
                ) as answer:
                    content = await answer.read()
                    reason = (answer.reason or "").encode("latin-1", "replace")
            except (TimeoutError, aiohttp.ClientError) as error:
                raise _httpx_error(error, request) from None
            span.set_attribute("http.response.status_code", answer.status)
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    def _span(self, request: httpx.Request) -> AbstractContextManager[trace.Span]:
        if not self._records:
            return contextlib.nullcontext(trace.INVALID_SPAN)
        url = request.url
        return self._tracer.start_as_current_span(
            f"{request.method} {url.host}",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "http.request.method": request.method,
                "server.address": url.host,
                "server.port": url.port or (443 if url.scheme == "https" else 80),
                "url.path": url.path,  # not the query: it can carry data
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


@functools.lru_cache(maxsize=64)
def _timeout(
    connect: float | None = None,
    read: float | None = None,
    write: float | None = None,
    pool: float | None = None,
) -> aiohttp.ClientTimeout:
    """httpx's timeouts in aiohttp's terms: ``connect`` (waiting for a pooled connection and
    opening one) from httpx's pool plus connect limits, ``sock_read`` from its read limit. aiohttp
    has no write limit; a write that stalls ends at the read limit or the request's deadline."""
    return aiohttp.ClientTimeout(
        total=None,
        connect=None if pool is None or connect is None else pool + connect,
        sock_connect=connect,
        sock_read=read,
    )


def _httpx_error(error: Exception, request: httpx.Request) -> Exception:
    """aiohttp's exception as the httpx one that says the same about what was sent. The message
    is the exception's kind, never its text (aiohttp's texts carry URLs and addresses)."""
    kind = type(error).__name__
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(kind, request=request)
    if isinstance(error, aiohttp.ClientConnectorError):  # DNS, refused, TLS: nothing sent
        detail = ""
        if isinstance(error, aiohttp.ClientConnectorCertificateError):
            detail = f": {error.certificate_error.__class__.__name__} {error.certificate_error}"
        return httpx.ConnectError(f"{kind}{detail}", request=request)
    if isinstance(error, aiohttp.SocketTimeoutError | TimeoutError):
        return httpx.ReadTimeout(kind, request=request)
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(kind, request=request)
    if isinstance(error, aiohttp.ClientResponseError):  # an answer aiohttp could not parse
        return httpx.RemoteProtocolError(kind, request=request)
    if isinstance(error, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(kind, request=request)
    if isinstance(error, aiohttp.ClientOSError):  # reset or broken pipe while sending/reading
        return httpx.ReadError(kind, request=request)
    return httpx.ReadError(kind, request=request)


class _NoCookies(httpx.Cookies):
    """Cookies that are never taken from an answer, so never sent."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        raise TypeError("the ITSM client keeps no cookies")


class CookielessClient(httpx.AsyncClient):
    """The ITSM client: httpx's ``AsyncClient``, keeping no cookies. One client serves every
    caller and every instance, and a cookie an ITSM set for one caller must never ride along on
    another's request. Its ``cookies`` are always empty; giving it some is an error. (httpx
    offers every answer to the client's cookies; skipping that here saved ~6% of a fetch's CPU.)
    """

    def __init__(self, **options: Any) -> None:
        if options.get("cookies"):
            raise TypeError("the ITSM client keeps no cookies")
        super().__init__(**options)
        self._no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:  # whatever httpx's setter takes: all refused
        if cookies:
            raise TypeError("the ITSM client keeps no cookies")


def guarded_transport(
    policy: UrlPolicy,
    *,
    max_connections: int,
    resolve: HostResolver = resolve_with_system,
    tracer: trace.Tracer | None = None,
) -> GuardedTransport:
    """The transport ``create_app`` gives the ITSM client (its pool sized as the client's)."""
    return GuardedTransport(policy, resolve=resolve, max_connections=max_connections, tracer=tracer)
