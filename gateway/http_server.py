"""Serving an app so that a request aiohttp cannot parse is answered in the gateway's JSON.

aiohttp parses each request head below the application: a header line longer than
``ITSM_GATEWAY_HTTP_MAX_HEADER_BYTES`` (a Keycloak access token of a user in very many groups),
a control byte, a folded line... never reach a middleware. aiohttp answers them from
``RequestHandler.handle_error`` with plain text that quotes the first 100 bytes of the offending
line, which for an ``Authorization`` header is the start of the caller's token.

The narrowest way in is that method: :class:`JsonErrorsRequestHandler` keeps aiohttp's checks
and logging (the process's log filter already turns that report into one warning without the
quote, ``gateway/observability/redaction.py``) and only replaces the answer. aiohttp builds one
``RequestHandler`` per connection in ``Server.__call__``, and ``AppRunner._make_server`` builds
the ``Server``; :class:`GatewayRunner` turns that server into one whose connections use the
handler above, changing nothing else of it. Both names have been stable since aiohttp 3.0;
``tests/e2e/test_e2e_header_limit.py`` fails if an upgrade changes them.

``web.run_app`` builds its own ``AppRunner``, so :func:`run_app` is its loop with this runner:
serve until SIGTERM or SIGINT, then stop gracefully (see :func:`gateway.workers.run`).
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_request import BaseRequest

from gateway.errors import error_response

HEADER_LIMIT_SETTING = "ITSM_GATEWAY_HTTP_MAX_HEADER_BYTES"
# Connections the kernel queues before the loop accepts them. aiohttp's default, 128, overflowed
# at 512 connections arriving together (a busy UI on a slow instance): each one dropped waits for
# TCP's 1 s then 3 s retransmit, which reads as latency, not as an error.
LISTEN_BACKLOG = 1024


class JsonErrorsRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, answering a request it could not parse in the JSON of the
    paths that are no door (:func:`gateway.errors.error_response`): which door the request was
    for is not known, its head was never read whole. Nothing of the request is quoted."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # aiohttp's own: logs the report and refuses to answer twice on a broken connection.
        answer = super().handle_error(request, status, exc, message)
        if isinstance(exc, LineTooLong):
            # The request line is held to the same limit, so it may be the long line.
            ours = error_response(
                431,
                "BAD_USER_INPUT",
                f"a request header (or the request line) is longer than {self.max_field_size} "
                f"bytes, the limit {HEADER_LIMIT_SETTING} sets",
            )
        elif isinstance(exc, HttpProcessingError) and 400 <= status < 500:
            ours = error_response(
                status,
                "BAD_USER_INPUT",
                f"the request is not valid HTTP/1.1 ({type(exc).__name__}); nothing of it was read",
            )
        else:
            return answer  # a 500 or 504 of aiohttp's: no request text in it
        ours.force_close()  # as aiohttp does: the rest of the stream cannot be trusted
        return ours


class _JsonErrorsServer(web.Server):
    """``web.Server`` whose connections are :class:`JsonErrorsRequestHandler`."""

    def __call__(self) -> web.RequestHandler:
        return JsonErrorsRequestHandler(self, loop=self._loop, **self._kwargs)


class GatewayRunner(web.AppRunner):
    """``web.AppRunner`` for the gateway: the same server, the same settings (the app's
    ``handler_args`` among them), but unparseable requests answered by
    :class:`JsonErrorsRequestHandler`."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # Only the per-connection class differs; the subclass adds no state, so the server built
        # by the app (its handler, request factory and every setting) is kept as it is.
        server.__class__ = _JsonErrorsServer
        return server


def run_app(
    app: web.Application,
    *,
    host: str | None = None,
    port: int | None = None,
    sock: socket.socket | None = None,
    shutdown_timeout: float,
    keepalive_timeout: float,
    loop_factory: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    """``web.run_app`` with :class:`GatewayRunner`: serve on ``sock`` (or ``host:port``) until
    SIGTERM or SIGINT, then aiohttp's graceful stop (no new connections, handlers in flight get
    ``shutdown_timeout``, then the app's cleanup). ``keepalive_timeout`` also bounds how long a
    new connection may take to send its first request head."""
    with asyncio.Runner(loop_factory=loop_factory) as loop_runner:
        loop_runner.run(_serve(app, host, port, sock, shutdown_timeout, keepalive_timeout))


async def _serve(
    app: web.Application,
    host: str | None,
    port: int | None,
    sock: socket.socket | None,
    shutdown_timeout: float,
    keepalive_timeout: float,
) -> None:
    # The signals end the wait below rather than raise out of the loop (aiohttp's way): the
    # graceful stop then runs before the loop's runner cancels whatever is left.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = GatewayRunner(
        app,
        access_log=None,
        shutdown_timeout=shutdown_timeout,
        keepalive_timeout=keepalive_timeout,
    )
    await runner.setup()
    try:
        site = (
            web.SockSite(runner, sock)
            if sock  # the workers' socket, already listening with this backlog
            else web.TCPSite(runner, host, port, backlog=LISTEN_BACKLOG)
        )
        await site.start()
        await stop.wait()
    finally:
        await runner.cleanup()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
