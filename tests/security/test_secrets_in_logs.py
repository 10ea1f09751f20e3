"""Issue 13, item 2: no logger of the process, ours or a library's, writes a header value, a
token, a password or a client secret, on any path; text lines escape control characters.

Malformed requests are sent over raw TCP to the real gateway with a real bearer or offline
token in them; aiohttp refuses each before any middleware runs, and its server logger would quote
the offending header line. Everything the production handler writes, in both formats and at
DEBUG, is captured and searched for the token and for pieces of it."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from gateway.observability.logs import configure_logging
from tests.e2e.conftest import Stack


@pytest.fixture(params=["json", "text"])
def written(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """What the production log handler writes, at DEBUG, in each format."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    quietened = ("aiohttp.access", "httpx", "httpcore")
    saved_levels = {name: logging.getLogger(name).level for name in quietened}
    configure_logging("DEBUG", request.param)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


async def send_raw(stack: Stack, raw: bytes) -> bytes:
    address = urlsplit(stack.gateway_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(raw)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65_536), 5)
    finally:
        writer.close()


def pieces(token: str) -> list[str]:
    """The token, and each of its parts long enough to be telling (a payload alone identifies
    the user; a signature alone is half a forgery)."""
    return [token, *[part for part in token.split(".") if len(part) >= 16]]


MALFORMED = {
    "control-byte": b"Authorization: Bearer {t}\x01\r\n",
    "bare-line-feed": b"Authorization: Bearer {t}\n",
    "folded": b"Authorization: Bearer\r\n {t}\r\n",
    "oversized": b"Authorization: Bearer {t}" + b"A" * 40_000 + b"\r\n",  # past the 32 KB limit
    "bad-name-after": b"Authorization: Bearer {t}\r\nBad Header: x\r\n",
    "nul-in-value": b"X-Offline-Token: {t}\x00\r\n",
    "cr-only": b"Authorization: Bearer {t}\rX-Other: 1\r\n",
}


@pytest.mark.parametrize("kind", ["access", "offline"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_a_malformed_request_leaves_no_token_in_any_log_line(
    stack: Stack, written: io.StringIO, case: str, kind: str
) -> None:
    assert stack.issuer is not None
    token = stack.issuer.mint() if kind == "access" else stack.issuer.mint_offline()
    header = MALFORMED[case].replace(b"{t}", token.encode())
    raw = b"POST /graphql HTTP/1.1\r\nHost: gateway\r\n" + header + b"Content-Length: 2\r\n\r\n{}"
    answer = await send_raw(stack, raw)
    status_line = answer.split(b"\r\n")[0]
    assert re.fullmatch(rb"HTTP/1\.[01] (400|431) .*", status_line), answer[:200]
    await asyncio.sleep(0.05)  # the server logs after answering
    log = written.getvalue()
    assert "malformed request" in log, log  # it was logged: the search below means something
    for piece in pieces(token):
        assert piece not in log


async def test_a_newline_in_a_path_does_not_forge_a_text_line(
    stack: Stack, written: io.StringIO
) -> None:
    forged = "/itsm/v1/ticket/fetch%0A12:00:00 INFO    itsm_gateway.access: GET /admin"
    raw = f"GET {forged} HTTP/1.1\r\nHost: gateway\r\n\r\n".encode()
    await send_raw(stack, raw)
    await asyncio.sleep(0.05)
    log = written.getvalue()
    lines = log.splitlines()
    assert lines, "the request was logged"
    # Every line is an event of its own (a JSON object, or a time-stamped text line) or an
    # indented traceback line: the path's newline stayed inside its line.
    event = re.compile(r"^(\{|\d\d:\d\d:\d\d |    \| )")
    assert all(event.match(line) for line in lines), lines
    assert not any(line.endswith("GET /admin") and "fetch" not in line for line in lines)
