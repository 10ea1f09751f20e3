"""Issue 18, item 2: how the transport's mapping of aiohttp's failures decides whether a write is
sent again, on real sockets. A connect timeout (the server's accept queue full) and a wait for a
pooled connection past its limit sent nothing: ``ConnectTimeout``, retried, writes included. A
reset after the request went out may have applied it: ``ReadError``, a write not sent again.

aiohttp's ``ConnectionTimeoutError`` is also a ``TimeoutError`` and its connector errors are also
``ClientOSError``s, so the order of ``_httpx_error``'s checks is what these tests hold."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Iterator

import httpx
import pytest

from connectors.http import judge
from gateway.outbound.client import CookielessClient
from gateway.outbound.transport import GuardedTransport
from gateway.outbound.url_policy import UrlPolicy
from tests.gateway.outbound.test_transport import RawServer, reply


def client(*, max_connections: int = 100, **options: object) -> httpx.AsyncClient:
    transport = GuardedTransport(
        UrlPolicy.from_text("http://127.0.0.1:*"), max_connections=max_connections
    )
    return CookielessClient(transport=transport, **options)


@contextlib.contextmanager
def accept_queue_full() -> Iterator[int]:
    """A port whose listener never accepts and whose accept queue is full: the kernel drops
    every further SYN, so a connect waits until the client gives up, as with a host whose
    firewall drops packets. Yields the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):  # the queue holds backlog + 1; one more to be sure
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_a_connect_timeout_says_nothing_was_sent() -> None:
    with accept_queue_full() as port:
        async with client(timeout=httpx.Timeout(5, connect=0.2)) as http:
            with pytest.raises(httpx.ConnectTimeout) as error:
                await http.post(f"http://127.0.0.1:{port}/", content=b"{}")
    verdict = judge("POST", error.value)
    assert verdict.retryable and not verdict.outcome_unknown
    assert str(error.value) == "ConnectionTimeoutError"  # the kind only, no address


async def test_waiting_too_long_for_a_pooled_connection_says_nothing_was_sent() -> None:
    held = asyncio.Event()

    async def hold(_request: bytes, _writer: asyncio.StreamWriter) -> None:
        held.set()
        await asyncio.sleep(10)  # keeps the pool's only connection busy

    timeout = httpx.Timeout(5, connect=0.2, pool=0.1)
    async with (
        RawServer(hold).running() as server,
        client(max_connections=1, timeout=timeout) as http,
    ):
        first = asyncio.create_task(http.get(f"http://127.0.0.1:{server.port}/first"))
        await held.wait()
        with pytest.raises(httpx.ConnectTimeout) as error:
            await http.post(f"http://127.0.0.1:{server.port}/second", content=b"{}")
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await first
    assert [r.split(b" ")[1] for r in server.requests] == [b"/first"]  # the write never left
    verdict = judge("POST", error.value)
    assert verdict.retryable and not verdict.outcome_unknown


async def reset_after_reading(_request: bytes, writer: asyncio.StreamWriter) -> None:
    """Read the whole request, then reset the connection (an RST, as a crashed peer sends)."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def test_a_reset_after_the_request_went_out_says_the_write_may_be_applied() -> None:
    async with RawServer(reset_after_reading).running() as server, client(timeout=2) as http:
        with pytest.raises(httpx.ReadError) as error:
            await http.post(f"http://127.0.0.1:{server.port}/", content=b'{"a": 1}')
    assert len(server.requests) == 1 and server.requests[0].endswith(b'{"a": 1}')
    write = judge("POST", error.value)
    assert write.outcome_unknown and not write.retryable
    read = judge("GET", error.value)
    assert read.retryable and not read.outcome_unknown
    assert str(error.value) == "ClientOSError"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "GET"])
async def test_no_request_is_sent_twice_by_the_http_library(method: str) -> None:
    """aiohttp would resend an idempotent method (PUT and DELETE included) once after a reset,
    unseen by the connectors, whose judgement says a PUT is a write (RT's update) and whose
    retries are counted (ITSM_GATEWAY_ITSM_RETRIES): the transport switches that off."""
    async with RawServer(reset_after_reading).running() as server, client(timeout=2) as http:
        with pytest.raises(httpx.ReadError):
            await http.request(method, f"http://127.0.0.1:{server.port}/ticket/1", content=b"{}")
    assert len(server.requests) == 1


async def test_a_healthy_answer_after_the_failures_is_read_as_usual() -> None:
    """The mapping leaves working calls alone (a control for the tests above)."""
    async with RawServer(reply("201 Created", b"{}")).running() as server, client() as http:
        response = await http.post(f"http://127.0.0.1:{server.port}/", content=b"{}")
    assert response.status_code == 201
