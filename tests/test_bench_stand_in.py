"""The ITSM stand-in of ``bench.load`` (``bench/stand_in.py``): its hand-written HTTP/1.1
parsing, the matching of calls to recorded answers, the unknown-call count and the control
path, driven over real sockets where a client reaches them that way."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bench.stand_in import StandIn, key_of_target, parse_head, serve

INCIDENT = "/api/now/table/incident"
RECORDED = [
    {
        "method": "GET",
        "path": INCIDENT,
        "query": {"sysparm_query": "number=INC0010001", "sysparm_fields": "number,state"},
        "status": 200,
        "content_type": "application/json",
        "headers": {"X-Total-Count": "1"},
        "body": '{"result": [{"number": "INC0010001"}]}',
    },
    {
        "method": "POST",
        "path": INCIDENT,
        "query": {},
        "status": 201,
        "content_type": "application/json",
        "headers": {},
        "body": '{"result": {"number": "INC0010008"}}',
    },
]


def test_a_head_gives_method_target_length_and_keep_alive() -> None:
    head = parse_head(
        b"POST /api/now/table/incident?a=1 HTTP/1.1\r\nHost: x\r\ncontent-LENGTH: 12\r\n"
        b"Content-Type: application/json"
    )
    assert (head.method, head.target, head.content_length) == ("POST", INCIDENT + "?a=1", 12)
    assert head.keep_alive and not head.chunked


@pytest.mark.parametrize(
    ("head", "keep_alive"),
    [
        (b"GET / HTTP/1.1\r\nConnection: close", False),
        (b"GET / HTTP/1.1\r\nConnection: Keep-Alive", True),
        (b"GET / HTTP/1.0", False),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive", True),
    ],
)
def test_http_1_1_keeps_the_connection_and_1_0_closes_it(head: bytes, keep_alive: bool) -> None:
    assert parse_head(head).keep_alive is keep_alive


@pytest.mark.parametrize(
    "head",
    [
        b"GET /",  # no version
        b"GET / HTTP/2",
        b"GET / HTTP/1.1\r\nno colon here",
        b"POST / HTTP/1.1\r\nContent-Length: -4",
        b"POST / HTTP/1.1\r\nContent-Length: twelve",
    ],
)
def test_a_malformed_head_is_refused(head: bytes) -> None:
    with pytest.raises(ValueError):
        parse_head(head)


def test_a_target_is_matched_decoded_and_in_any_query_order() -> None:
    encoded = f"{INCIDENT}?sysparm_fields=number%2Cstate&sysparm_query=number%3DINC0010001"
    recorded_order = f"{INCIDENT}?sysparm_query=number=INC0010001&sysparm_fields=number,state"
    assert key_of_target("get", encoded) == key_of_target("GET", recorded_order)
    assert key_of_target("GET", encoded) != key_of_target("POST", encoded)


def test_an_unknown_call_is_a_404_naming_it_and_counted() -> None:
    stand_in = StandIn.from_recorded(RECORDED)
    answer = stand_in.answer("GET", f"{INCIDENT}?sysparm_query=number=INC9", b"")
    assert answer.startswith(b"HTTP/1.1 404 ")
    assert f"GET {INCIDENT}?sysparm_query=number=INC9".encode() in answer
    stand_in.answer("GET", f"{INCIDENT}?sysparm_query=number=INC9", b"")
    assert stand_in.unknown == {f"GET {INCIDENT}?sysparm_query=number=INC9": 2}
    assert stand_in.calls == 2


@pytest.fixture
async def stand_in_url() -> AsyncIterator[tuple[StandIn, str]]:
    stand_in = StandIn.from_recorded(RECORDED)
    server = await serve(stand_in, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield stand_in, f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def test_recorded_answers_are_served_over_keep_alive(
    stand_in_url: tuple[StandIn, str],
) -> None:
    stand_in, url = stand_in_url
    connector = aiohttp.TCPConnector(limit=1)  # one connection: every call reuses it
    async with aiohttp.ClientSession(connector=connector) as http:
        for _ in range(3):
            query = {"sysparm_fields": "number,state", "sysparm_query": "number=INC0010001"}
            async with http.get(url + INCIDENT, params=query) as response:
                assert response.status == 200
                assert response.headers["X-Total-Count"] == "1"
                assert await response.json() == {"result": [{"number": "INC0010001"}]}
        async with http.post(url + INCIDENT, json={"short_description": "x" * 5000}) as response:
            assert response.status == 201
            assert (await response.json())["result"]["number"] == "INC0010008"
        async with http.get(f"{url}/_stand_in/calls") as response:
            assert await response.json() == {"calls": 4, "unknown": {}}
        async with http.delete(f"{url}/_stand_in/calls") as response:
            assert response.status == 200
        async with http.get(f"{url}/_stand_in/calls") as response:
            assert (await response.json())["calls"] == 0
    assert stand_in.calls == 0


async def test_pipelined_requests_and_a_body_in_pieces_are_each_answered_in_order(
    stand_in_url: tuple[StandIn, str],
) -> None:
    _, url = stand_in_url
    port = int(url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"short_description": "split"}).encode()
    post = f"POST {INCIDENT} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    get = f"GET {INCIDENT}?sysparm_query=nothing HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    # The first request's body arrives in two writes; the second request is pipelined behind it.
    writer.write(post + body[:5])
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(body[5:] + get + post + body)
    await writer.drain()
    # A guard, not a measure: a stand-in that drops a request must fail the test, not hang it.
    statuses = await asyncio.wait_for(_statuses(reader, 3), 10)
    assert statuses == [201, 404, 201]
    writer.close()
    await writer.wait_closed()


async def test_the_latency_is_set_through_the_control_path(
    stand_in_url: tuple[StandIn, str],
) -> None:
    stand_in, url = stand_in_url
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/_stand_in/latency?ms=40") as response:
            assert await response.json() == {"latency_ms": 40}
        assert stand_in.latency_s == pytest.approx(0.04)
        async with http.post(f"{url}{INCIDENT}", json={}) as response:
            assert response.status == 201  # answered after its latency, on a live connection
        async with http.post(f"{url}/_stand_in/latency?ms=0") as response:
            assert response.status == 200
    assert stand_in.latency_s == 0


async def test_a_chunked_request_is_refused_and_the_connection_closed(
    stand_in_url: tuple[StandIn, str],
) -> None:
    _, url = stand_in_url
    port = int(url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST {INCIDENT} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
    await writer.drain()
    assert await asyncio.wait_for(_statuses(reader, 1), 10) == [501]
    assert await asyncio.wait_for(reader.read(), 10) == b""  # then EOF: closed
    writer.close()


async def _statuses(reader: asyncio.StreamReader, answers: int) -> list[int]:
    """The status of each of the next ``answers`` answers, their bodies read past."""
    statuses = []
    for _ in range(answers):
        status_line = await reader.readline()
        statuses.append(int(status_line.split()[1]))
        length = 0
        while (line := await reader.readline()) != b"\r\n":
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
    return statuses
