"""The cuttable proxy against a tiny aiohttp app: forwarding, both cuts, restoring the same port.

No Keycloak is needed. Timeouts here are only hang guards, except where a client timeout is the
very behaviour under test (a black hole never answers).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from aiohttp import web

from tests.support.servers import serving
from tests.support.tcp_proxy import TcpProxy

GUARD = 10.0


@dataclass
class Upstream:
    url: str
    port: int
    hits: list[str]


def _app(hits: list[str]) -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text="hello")

    async def echo(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_post("/echo", echo)
    return app


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    hits: list[str] = []
    async with serving(_app(hits)) as url:
        yield Upstream(url, int(url.rsplit(":", 1)[1]), hits)


@pytest.fixture
async def proxy(upstream: Upstream) -> AsyncIterator[TcpProxy]:
    async with TcpProxy("127.0.0.1", upstream.port) as proxy:
        yield proxy


async def _get(client: httpx.AsyncClient, proxy: TcpProxy) -> httpx.Response:
    return await asyncio.wait_for(client.get(f"{proxy.url}/hello"), GUARD)


async def test_forwards_both_ways(proxy: TcpProxy, upstream: Upstream) -> None:
    body = bytes(range(256)) * 3072  # 768 KiB (aiohttp caps bodies at 1 MiB): many reads each way
    async with httpx.AsyncClient() as client:
        assert (await _get(client, proxy)).text == "hello"
        echoed = await asyncio.wait_for(client.post(f"{proxy.url}/echo", content=body), GUARD)
    assert echoed.content == body
    assert upstream.hits == ["/hello", "/echo"]


async def test_refuse_kills_pooled_connections_and_new_ones(
    proxy: TcpProxy, upstream: Upstream
) -> None:
    async with httpx.AsyncClient() as client:
        await _get(client, proxy)  # leaves a keep-alive connection in the pool
        await proxy.cut("refuse")
        with pytest.raises(httpx.ConnectError):
            await _get(client, proxy)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.wait_for(asyncio.open_connection("127.0.0.1", proxy.port), GUARD)
    # The server behind the proxy is untouched.
    async with httpx.AsyncClient() as direct:
        assert (await direct.get(f"{upstream.url}/hello")).status_code == 200


async def test_blackhole_accepts_but_never_answers(proxy: TcpProxy, upstream: Upstream) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(GUARD, read=0.3)) as client:
        await _get(client, proxy)  # a pooled connection, black-holed by the cut
        await proxy.cut("blackhole")
        with pytest.raises(httpx.ReadTimeout):
            await _get(client, proxy)
    async with httpx.AsyncClient(timeout=httpx.Timeout(GUARD, read=0.3)) as fresh:
        with pytest.raises(httpx.ReadTimeout):  # connects fine, then silence
            await _get(fresh, proxy)
    assert upstream.hits == ["/hello"]


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
async def test_restore_forwards_again_on_the_same_port(
    proxy: TcpProxy, upstream: Upstream, mode: str
) -> None:
    port = proxy.port
    async with httpx.AsyncClient() as client:
        await _get(client, proxy)
        await proxy.cut(mode)  # type: ignore[arg-type]
        await proxy.restore()
        # The connection pooled before the cut is dead; the client opens a new one and succeeds.
        assert (await _get(client, proxy)).text == "hello"
    assert proxy.port == port
    assert upstream.hits == ["/hello", "/hello"]


async def test_cuts_can_follow_each_other(proxy: TcpProxy, upstream: Upstream) -> None:
    await proxy.cut("refuse")
    await proxy.cut("blackhole")
    async with httpx.AsyncClient(timeout=httpx.Timeout(GUARD, read=0.3)) as client:
        with pytest.raises(httpx.ReadTimeout):
            await _get(client, proxy)
        await proxy.cut("refuse")
        with pytest.raises(httpx.ConnectError):
            await _get(client, proxy)
        await proxy.restore()
        assert (await _get(client, proxy)).text == "hello"


async def test_close_frees_everything(upstream: Upstream) -> None:
    proxy = TcpProxy("127.0.0.1", upstream.port)
    await proxy.start()
    async with httpx.AsyncClient() as client:
        await _get(client, proxy)
        await proxy.close()
        with pytest.raises(httpx.ConnectError):
            await _get(client, proxy)


async def test_unreachable_target_resets_the_client(upstream: Upstream) -> None:
    async with TcpProxy("127.0.0.1", upstream.port) as proxy:
        proxy.target_port = _closed_port()
        async with httpx.AsyncClient() as client:
            with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
                await _get(client, proxy)


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
