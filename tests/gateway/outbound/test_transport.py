"""The ITSM transport (``gateway.outbound.transport``) carries httpx requests over aiohttp: what
it sends is what the connector built, answers come back as httpx would give them, nothing is
kept between callers, and aiohttp's failures become the httpx errors that say whether anything
was sent."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from connectors.http import judge
from gateway.outbound.client import CookielessClient
from gateway.outbound.transport import GuardedTransport
from gateway.outbound.url_policy import UrlPolicy

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """A TCP server on 127.0.0.1 that records each request's bytes and answers with ``answer``."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                request = head + (await reader.readexactly(length) if length else b"")
                self.requests.append(request)
                await self.answer(request, writer)
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[RawServer]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self


def reply(status: str, body: bytes, *headers: str) -> Answer:
    async def answer(_request: bytes, writer: asyncio.StreamWriter) -> None:
        lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()

    return answer


def client(**options: object) -> httpx.AsyncClient:
    transport = GuardedTransport(UrlPolicy.from_text("http://127.0.0.1:*"))
    return CookielessClient(transport=transport, **options)


async def test_the_request_goes_out_as_the_connector_built_it() -> None:
    async with RawServer(reply("200 OK", b"{}")).running() as server, client() as http:
        await http.post(
            f"http://127.0.0.1:{server.port}/api/now/table/incident",
            params={"sysparm_fields": "number,state", "sysparm_query": "number=INC1^active=true"},
            headers={"Authorization": "Basic abc", "X-Request-ID": "r-1"},
            content=b'{"short_description":"disk"}',
        )
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    # httpx's encoding of the query, not re-quoted by aiohttp.
    assert lines[0] == (
        "POST /api/now/table/incident?sysparm_fields=number%2Cstate"
        "&sysparm_query=number%3DINC1%5Eactive%3Dtrue HTTP/1.1"
    )
    names = [line.split(":", 1)[0].lower() for line in lines[1:]]
    assert sorted(set(names)) == sorted(names), "a header was sent twice"
    assert f"Host: 127.0.0.1:{server.port}" in lines
    assert "Authorization: Basic abc" in lines and "X-Request-ID: r-1" in lines
    assert "Content-Length: 28" in lines
    assert body == b'{"short_description":"disk"}'


async def test_the_answer_comes_back_as_httpx_gives_it() -> None:
    compressed = gzip.compress(b'{"result":[]}')
    answer = reply("404 Not Found", compressed, "Content-Encoding: gzip", "X-Total-Count: 0")
    async with RawServer(answer).running() as server, client() as http:
        response = await http.get(f"http://127.0.0.1:{server.port}/")
    assert response.status_code == 404
    assert response.reason_phrase == "Not Found"
    assert response.content == b'{"result":[]}'  # decoded once, by the transport
    assert response.headers["X-Total-Count"] == "0"


async def test_no_cookie_set_for_one_caller_goes_out_with_another() -> None:
    answer = reply("200 OK", b"{}", "Set-Cookie: JSESSIONID=caller-a; Path=/")
    async with RawServer(answer).running() as server, client() as http:
        await http.get(f"http://127.0.0.1:{server.port}/first")
        await http.get(f"http://127.0.0.1:{server.port}/second")
    assert len(server.requests) == 2
    assert b"cookie" not in server.requests[1].lower().replace(b"set-cookie", b"")


def test_the_client_refuses_cookies_given_to_it() -> None:
    with pytest.raises(TypeError, match="no cookies"):
        CookielessClient(cookies={"JSESSIONID": "someone-else"})
    client = CookielessClient()
    with pytest.raises(TypeError, match="no cookies"):
        client.cookies.set("JSESSIONID", "someone-else")
    assert not client.cookies


async def test_redirects_are_not_followed() -> None:
    answer = reply("302 Found", b"", "Location: http://127.0.0.1:1/elsewhere")
    async with RawServer(answer).running() as server, client() as http:
        response = await http.get(f"http://127.0.0.1:{server.port}/")
    assert response.status_code == 302
    assert len(server.requests) == 1


async def test_connections_are_reused() -> None:
    connections = 0

    async def counting(request: bytes, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += writer.get_extra_info("peername") not in seen
        seen.add(writer.get_extra_info("peername"))
        await reply("200 OK", b"{}")(request, writer)

    seen: set[object] = set()
    async with RawServer(counting).running() as server, client() as http:
        for _ in range(5):
            await http.get(f"http://127.0.0.1:{server.port}/")
    assert connections == 1


async def close_without_answer(_request: bytes, writer: asyncio.StreamWriter) -> None:
    writer.close()


async def never_answer(_request: bytes, _writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(5)


async def garbage(_request: bytes, writer: asyncio.StreamWriter) -> None:
    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    await writer.drain()
    writer.close()


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (close_without_answer, httpx.RemoteProtocolError),
        (never_answer, httpx.ReadTimeout),
        (garbage, httpx.RemoteProtocolError),
    ],
)
async def test_a_failure_after_sending_says_the_write_may_be_applied(
    answer: Answer, expected: type[httpx.TransportError]
) -> None:
    async with RawServer(answer).running() as server, client(timeout=0.5) as http:
        with pytest.raises(expected) as error:
            await http.post(f"http://127.0.0.1:{server.port}/", content=b"{}")
    assert len(server.requests) == 1
    assert judge("POST", error.value).outcome_unknown
    assert str(server.port) not in str(error.value)  # the kind only, no address


async def test_a_refused_connection_says_nothing_was_sent() -> None:
    async with RawServer(reply("200 OK", b"{}")).running() as server:
        port = server.port
    async with client() as http:
        with pytest.raises(httpx.ConnectError) as error:
            await http.post(f"http://127.0.0.1:{port}/", content=b"{}")
    verdict = judge("POST", error.value)
    assert verdict.retryable and not verdict.outcome_unknown


async def test_closing_the_client_closes_the_session() -> None:
    transport = GuardedTransport(UrlPolicy.from_text("http://127.0.0.1:*"))
    async with RawServer(reply("200 OK", b"{}")).running() as server:
        async with httpx.AsyncClient(transport=transport) as http:
            await http.get(f"http://127.0.0.1:{server.port}/")
            session = transport._session
            assert session is not None and not session.closed
    assert session.closed
