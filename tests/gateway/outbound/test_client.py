"""The ITSM client hands requests straight to its transport, with the client's timeouts, and
refuses the options that direct path would silently skip."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.outbound.client import CookielessClient


class RecordingTransport(httpx.AsyncBaseTransport):
    """Answers every request with a small JSON body, as a stream httpx must read."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, stream=_Chunks([b'{"ok"', b": true}"]), request=request)


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    "option",
    [
        {"follow_redirects": True},
        {"event_hooks": {"request": [print]}},
        {"auth": ("user", "password")},
        {"mounts": {"http://": httpx.AsyncHTTPTransport()}},
    ],
    ids=lambda option: next(iter(option)),
)
def test_options_the_direct_path_would_skip_are_refused(option: dict[str, object]) -> None:
    with pytest.raises(TypeError, match="no redirects"):
        CookielessClient(transport=RecordingTransport(), **option)


async def test_a_request_reaches_the_transport_with_the_clients_timeouts_and_is_read() -> None:
    transport = RecordingTransport()
    timeout = httpx.Timeout(7.0, connect=2.0)
    async with CookielessClient(transport=transport, timeout=timeout) as http:
        response = await http.send(httpx.Request("GET", "http://itsm.example/api"))
    assert response.json() == {"ok": True}  # read before send returned
    assert response.request is transport.requests[0]
    assert transport.requests[0].extensions["timeout"] == timeout.as_dict()


async def test_a_timeout_set_on_the_request_is_kept() -> None:
    transport = RecordingTransport()
    async with CookielessClient(transport=transport, timeout=7.0) as http:
        await http.get("http://itsm.example/api", timeout=1.5)
    assert transport.requests[0].extensions["timeout"] == httpx.Timeout(1.5).as_dict()


async def test_a_closed_client_sends_nothing() -> None:
    transport = RecordingTransport()
    http = CookielessClient(transport=transport)
    await http.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await http.send(httpx.Request("GET", "http://itsm.example/api"))
    assert transport.requests == []


async def test_a_streamed_request_takes_httpx_own_path() -> None:
    transport = RecordingTransport()
    async with CookielessClient(transport=transport) as http:
        request = httpx.Request("GET", "http://itsm.example/api")
        response = await http.send(request, stream=True)
        assert not response.is_stream_consumed  # httpx's stream handling, not read for us
        assert await response.aread() == b'{"ok": true}'
        await response.aclose()
