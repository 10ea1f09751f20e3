"""Every ITSM answer is read with a bound (``gateway.outbound.answer_reader``): on the wire and
once decompressed, as a stream, with a 502 naming the limit and its setting; and the memory a
hostile answer takes stays near the limit, whatever it claims or expands to."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from datetime import UTC

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.errors import ItsmError
from connectors.fields import TicketField
from connectors.http import Resilience, ResiliencePolicy, UnreadableAnswer, judge
from connectors.servicenow.connector import ServiceNowConnectorFactory
from gateway.outbound.client import CookielessClient
from gateway.outbound.transport import GuardedTransport
from gateway.outbound.url_policy import UrlPolicy
from tests.gateway.outbound.test_transport import Answer, RawServer, reply

LIMIT = 65_536


def client(limit: int = LIMIT) -> httpx.AsyncClient:
    transport = GuardedTransport(UrlPolicy.from_text("http://127.0.0.1:*"), max_answer_bytes=limit)
    return CookielessClient(transport=transport)


def chunked(*parts: bytes, headers: tuple[str, ...] = ()) -> Answer:
    """An answer with no Content-Length: its size is known only by reading it."""

    async def answer(_request: bytes, writer: asyncio.StreamWriter) -> None:
        head = ["HTTP/1.1 200 OK", "Transfer-Encoding: chunked", *headers]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        for part in parts:
            writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    return answer


async def get(answer: Answer, limit: int = LIMIT) -> httpx.Response:
    async with RawServer(answer).running() as server, client(limit) as http:
        return await http.get(f"http://127.0.0.1:{server.port}/api/now/table/incident")


async def test_an_answer_within_the_limit_is_read_whole() -> None:
    body = b'{"result":[' + b'"x",' * 1000 + b'"y"]}'
    response = await get(reply("200 OK", body, "Content-Type: application/json"))
    assert response.content == body


@pytest.mark.parametrize("declared", [True, False], ids=["with-length", "chunked"])
async def test_an_answer_larger_than_the_limit_is_refused(declared: bool) -> None:
    body = b"x" * (LIMIT + 1)
    answer = reply("200 OK", body) if declared else chunked(body[:40_000], body[40_000:])
    with pytest.raises(UnreadableAnswer) as raised:
        await get(answer)
    assert f"more than {LIMIT:,} bytes" in raised.value.detail
    assert "ITSM_GATEWAY_ITSM_MAX_ANSWER_BYTES" in raised.value.detail


@pytest.mark.parametrize(
    "encoding, compress",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the standard says
        ("deflate", lambda data: zlib.compress(data, wbits=-15)),  # raw, as some servers send
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw", "gzip-twice"],
)
async def test_a_compressed_answer_is_decoded_once_and_handed_over_plain(
    encoding: str, compress: object
) -> None:
    body = b'{"result":{"number":"INC0010001"}}'
    packed = compress(body)  # type: ignore[operator]
    response = await get(reply("200 OK", packed, f"Content-Encoding: {encoding}"))
    assert response.content == body
    assert "Content-Encoding" not in response.headers  # nothing decodes it again


async def test_concatenated_gzip_members_decode_as_one_body() -> None:
    packed = gzip.compress(b'{"a":') + gzip.compress(b"1}")
    response = await get(reply("200 OK", packed, "Content-Encoding: gzip"))
    assert response.content == b'{"a":1}'


@pytest.mark.parametrize("declared", [True, False], ids=["with-length", "chunked"])
async def test_a_compression_bomb_is_refused_with_memory_near_the_limit(declared: bool) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1_048_576))  # 64 MiB from about 64 KiB
    assert len(bomb) < LIMIT * 2
    limit = 1_048_576 if declared else 262_144  # above the bomb's own size on the wire
    answer = (
        reply("200 OK", bomb, "Content-Encoding: gzip")
        if declared
        else chunked(bomb[:30_000], bomb[30_000:], headers=("Content-Encoding: gzip",))
    )
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableAnswer) as raised:
            await get(answer, limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "once decompressed" in raised.value.detail
    # The limit, the compressed body and the buffers around them; never the 64 MiB.
    assert peak < 8 * limit + 2 * len(bomb), peak


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br"])
async def test_an_encoding_the_gateway_did_not_ask_for_is_refused(encoding: str) -> None:
    with pytest.raises(UnreadableAnswer) as raised:
        await get(reply("200 OK", b"\x1b\x00", f"Content-Encoding: {encoding}"))
    assert "does not read" in raised.value.detail


async def test_a_body_that_does_not_decode_is_refused() -> None:
    with pytest.raises(UnreadableAnswer) as raised:
        await get(reply("200 OK", b"not gzip at all", "Content-Encoding: gzip"))
    assert "does not decode" in raised.value.detail


async def test_the_gateway_asks_only_for_the_encodings_it_reads() -> None:
    async with RawServer(reply("200 OK", b"{}")).running() as server, client() as http:
        await http.get(
            f"http://127.0.0.1:{server.port}/", headers={"Accept-Encoding": "br, zstd, gzip"}
        )
    head = server.requests[0].split(b"\r\n\r\n")[0].lower()
    assert head.count(b"accept-encoding:") == 1
    assert b"accept-encoding: gzip, deflate" in head


def test_an_unreadable_answer_is_not_retried_and_a_write_is_flagged() -> None:
    refused = UnreadableAnswer("answered more than 10 bytes")
    read, write = judge("GET", refused), judge("POST", refused)
    assert not read.retryable and not write.retryable
    assert not read.outcome_unknown and write.outcome_unknown


async def test_a_connector_answers_502_naming_the_setting_and_asks_once() -> None:
    body = b'{"result":[{"number":"INC1","sys_id":"' + b"a" * 32 + b'"}' + b" " * LIMIT + b"]}"
    async with (
        RawServer(reply("200 OK", body, "Content-Type: application/json")).running() as (server),
        client() as http,
    ):
        factory = ServiceNowConnectorFactory(
            http, resilience=Resilience(ResiliencePolicy(retries=2, backoff_seconds=0))
        )
        connection = Connection(
            itsm_type="servicenow",
            instance_url=f"http://127.0.0.1:{server.port}",
            credentials=Credentials(AuthType.BASIC, username="gw", password="s3cret-pass"),
        )
        connector = factory.open(connection)
        with pytest.raises(ItsmError) as raised:
            await connector.fetch("INC1", {TicketField.TICKET_NUMBER}, zone=UTC)
    assert raised.value.status == 502
    assert raised.value.message.startswith(f"ServiceNow at 127.0.0.1:{server.port} answered more")
    assert "ITSM_GATEWAY_ITSM_MAX_ANSWER_BYTES" in raised.value.message
    assert len(server.requests) == 1  # the same question would get the same answer
