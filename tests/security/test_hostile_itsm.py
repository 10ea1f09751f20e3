"""Issue 13, items 3 and 8: an ITSM the allow-list admits may answer anything. Through the real
gateway over HTTP, against a hostile ServiceNow stand-in on loopback:

- answers larger than the limit, on the wire or once decompressed, are a 502 naming the limit and
  its setting, and the gateway's memory stays near the limit (measured);
- an error that echoes the connection's password, whole, cut by the quote's length, re-cased or
  encoded, reaches the caller with no piece of it.
"""

from __future__ import annotations

import base64
import functools
import html
import inspect
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import quote

import pytest
from aiohttp import web

from tests.e2e.conftest import SN_PASSWORD, Stack
from tests.support.servers import serving

LIMIT = 10 * 1_048_576  # the default ITSM_GATEWAY_ITSM_MAX_ANSWER_BYTES
Answer = Callable[[web.Request], web.StreamResponse | Awaitable[web.StreamResponse]]


@pytest.fixture
async def hostile() -> AsyncIterator[tuple[str, dict[str, Answer]]]:
    """A server answering every Table API call with what the test puts in ``answers["now"]``."""
    answers: dict[str, Answer] = {}

    async def table(request: web.Request) -> web.StreamResponse:
        answered = answers["now"](request)
        return await answered if inspect.isawaitable(answered) else answered

    app = web.Application()
    app.router.add_route("*", "/api/now/table/{table}", table)
    async with serving(app) as url:
        yield url, answers


async def fetch(stack: Stack, url: str) -> tuple[int, str]:
    body = {
        "ticketNumber": "INC0010001",
        "connectionDetails": stack.connection(instanceUrl=url),
        "ticketFields": ["ticketNumber", "shortDescription"],
    }
    response = await stack.rest("POST", "fetch", body)
    return response.status_code, response.json()["statusMessage"]


def big_json(request: web.Request) -> web.Response:
    filler = "x" * (LIMIT + 1024)
    return web.json_response({"result": [{"number": "INC0010001", "short_description": filler}]})


@functools.cache
def _bomb() -> bytes:
    """200 MiB of JSON text gzipped to about 200 KiB, made a MiB at a time (never held whole)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b'{"result": [{"number": "INC0010001", "x": "')]
    zeros = b"0" * 1_048_576
    parts += [packer.compress(zeros) for _ in range(200)]
    return b"".join([*parts, packer.flush()])


def gzip_bomb(request: web.Request) -> web.Response:
    return web.Response(
        body=_bomb(), headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )


async def endless(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(b'{"result": [{"number": "INC0010001", "x": "')
    chunk = b"y" * 1_048_576
    for _ in range(64):  # 64 MB, chunked, no length announced
        await response.write(chunk)
    await response.write_eof(b'"}]}')
    return response


@pytest.mark.parametrize(
    "answer", [big_json, gzip_bomb, endless], ids=["large", "gzip-bomb", "chunked-endless"]
)
async def test_an_oversized_answer_is_a_502_naming_the_setting_with_memory_bounded(
    stack: Stack, hostile: tuple[str, dict[str, Answer]], answer: Answer
) -> None:
    url, answers = hostile
    answers["now"] = answer
    tracemalloc.start()
    try:
        status, message = await fetch(stack, url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"{answer.__name__}: peak {peak / 1_048_576:.1f} MiB")  # for the notes (pytest -s)
    assert status == 502, message
    assert "ITSM_GATEWAY_ITSM_MAX_ANSWER_BYTES" in message
    # The hostile server's own buffers count here too (it runs in this process): the bound is on
    # the order of the limit, never the 64-200 MB the answers hold or expand to.
    assert peak < 6 * LIMIT, f"peak {peak / 1_048_576:.1f} MiB"


ECHOES: dict[str, Callable[[str], str]] = {
    "whole": lambda secret: f"Login failed for password {secret}",
    "cut-by-the-quote": lambda secret: "x" * 290 + secret,  # the quote keeps 300 characters
    "upper": lambda secret: f"bad credential {secret.upper()}",
    "url-encoded": lambda secret: f"GET /login?password={quote(secret, safe='')}",
    "html-escaped": lambda secret: f"<b>{html.escape(secret)}</b>",
    "base64": lambda secret: "basic " + base64.b64encode(secret.encode()).decode(),
}


@pytest.mark.parametrize("echo", sorted(ECHOES))
async def test_an_echoed_secret_reaches_the_caller_in_no_form(
    stack: Stack, hostile: tuple[str, dict[str, Answer]], echo: str
) -> None:
    url, answers = hostile
    said = ECHOES[echo](SN_PASSWORD)

    def refusal(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": said, "detail": None}}, status=400)

    answers["now"] = refusal
    status, message = await fetch(stack, url)
    assert status == 502, message
    assert "refused the request" in message  # the ITSM's words are quoted, scrubbed
    for piece in (SN_PASSWORD, SN_PASSWORD.upper(), SN_PASSWORD[:6], quote(SN_PASSWORD[:8])):
        assert piece not in message
    assert base64.b64encode(SN_PASSWORD.encode()).decode()[:8] not in message
