"""The ITSM calls' HTTP transport: httpx's API on aiohttp's client, connecting only to addresses
the URL policy allows (the check when a connection is opened is ``connect_guard``'s).

Why aiohttp underneath: the connectors speak httpx (the user's choice), but httpx's own transport
(httpcore on anyio) cost about 1,100-1,600 us of CPU per call here against about 50 us for
aiohttp's ``ClientSession``, and degraded as concurrency grew (issue 5's measurements). So the
connectors keep ``httpx.AsyncClient`` and this transport hands each request to one shared
``aiohttp.ClientSession``. Tests that check how a connector shapes its requests give the client
pytest-httpx's transport instead; nothing in the connectors knows which transport is below.

The session's resolver is ``connect_guard.GuardedResolver`` (its DNS cache off, so every new
connection asks again), and every request's origin passes ``connect_guard.AllowedOrigins`` before
it is handed over. A refused address raises ``AddressRefused`` (400, like the refusal before the
call). Nothing is sent. aiohttp's errors become httpx's (``_httpx_error``), so the connectors'
judgement of what was sent (``connectors.http.outcomes.judge``) reads them as before: a failure to
connect is ``httpx.ConnectError``/``ConnectTimeout`` (not sent), one after sending is a read
error, timeout or protocol error (maybe applied). aiohttp's own resend of an idempotent method
after a reset is switched off: every request leaves once per attempt the connectors make.

Neither layer keeps cookies (``client.CookielessClient`` above, ``DummyCookieJar`` below): the
one session serves every caller and every instance, and a cookie an ITSM set for one caller must
never ride along on another's request. No proxy from the environment either: a proxy would
resolve the host itself, out of reach of the check.

Each attempt is a client span (``gateway.observability.tracing``: method, host, path, status;
never the query) and carries ``traceparent``, so the ITSM's logs can join the caller's trace.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from contextlib import AbstractContextManager

import aiohttp
import httpx
from opentelemetry import trace
from yarl import URL

from gateway.observability.tracing import in_a_trace, outgoing_headers, records
from gateway.outbound.addresses import HostResolver, resolve_with_system
from gateway.outbound.answer_reader import ACCEPT_ENCODING, CHUNK_SIZE, read_bounded, refusal
from gateway.outbound.connect_guard import AllowedOrigins, GuardedResolver
from gateway.outbound.url_policy import UrlPolicy

# Headers aiohttp must set itself from what it actually sends (or that describe this hop only),
# and Accept-Encoding, which only this transport may decide (it decodes what it asks for).
_HOP_HEADERS = frozenset(
    {b"content-length", b"transfer-encoding", b"connection", b"keep-alive", b"accept-encoding"}
)
# Describe the body as it came, not as httpx gets it (decoded, whole).
_DECODED_AWAY = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})
DEFAULT_MAX_ANSWER_BYTES = 10 * 1_048_576


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
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        verify: ssl.SSLContext | bool = True,
        tracer: trace.Tracer | None = None,
    ) -> None:
        """``max_answer_bytes``: the most read of one answer, on the wire and decoded
        (``answer_reader``)."""
        self._policy = policy
        self._max_answer_bytes = max_answer_bytes
        self._tracer = tracer or trace.NoOpTracer()
        self._records = records(self._tracer)
        self._resolve = resolve
        self._max_connections = max_connections
        self._ssl: ssl.SSLContext | bool = (
            verify if isinstance(verify, ssl.SSLContext) else bool(verify)
        )
        self._session: aiohttp.ClientSession | None = None
        self._origins = AllowedOrigins(policy)

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
            # aiohttp sends a GET, HEAD, OPTIONS, PUT or DELETE once more, unseen, when the
            # connection resets or closes after the request went out (RFC 9112 allows it for
            # idempotent methods). Retrying is the connectors' decision (``connectors.http``):
            # a PUT is a write there (RT's update), and a hidden resend would double every read
            # retry past ITSM_GATEWAY_ITSM_RETRIES. No public switch exists; the attribute is
            # aiohttp's own (3.9+), and tests/gateway/outbound/test_transport_outcomes.py fails
            # if a request is ever sent twice.
            self._session._retry_connection = False
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._origins.check(request.url)
        session = self._open_session()
        url = request.url
        with self._span(request) as span:
            headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in request.headers.raw
                if name.lower() not in _HOP_HEADERS
            ]
            headers.append(("Accept-Encoding", ACCEPT_ENCODING))
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
                    content = await read_bounded(
                        answer.content.iter_chunked(CHUNK_SIZE),
                        answer.headers.get("Content-Encoding", ""),
                        self._max_answer_bytes,
                        refusal(request),
                    )
                    reason = (answer.reason or "").encode("latin-1", "replace")
            except (TimeoutError, aiohttp.ClientError) as error:
                raise _httpx_error(error, request) from None
            span.set_attribute("http.response.status_code", answer.status)
        return httpx.Response(
            answer.status,
            headers=[(k, v) for k, v in answer.raw_headers if k.lower() not in _DECODED_AWAY],
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


def guarded_transport(
    policy: UrlPolicy,
    *,
    max_connections: int,
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    resolve: HostResolver = resolve_with_system,
    tracer: trace.Tracer | None = None,
) -> GuardedTransport:
    """The transport ``create_app`` gives the ITSM client (its pool sized as the client's)."""
    return GuardedTransport(
        policy,
        resolve=resolve,
        max_connections=max_connections,
        max_answer_bytes=max_answer_bytes,
        tracer=tracer,
    )
