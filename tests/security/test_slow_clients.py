"""Issue 13, item 10: a slow client cannot hold a connection. The served gateway (a real
``itsm-gateway serve`` process) closes a connection that has not sent a whole request head within
``ITSM_GATEWAY_HTTP_IDLE_TIMEOUT_SECONDS`` of opening, as it closes one idle that long between
requests; a body that does not arrive within ``ITSM_GATEWAY_HTTP_BODY_TIMEOUT_SECONDS`` is 408."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.test_e2e_cli import clean_environment, free_port, poll, running
from tests.support.servers import serving, wait_until_ready

IDLE = 1  # second: the setting under test
CLOSED_WITHIN = 10  # seconds: far above IDLE, far below aiohttp's default of an hour


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """What the server sends before closing; fails if it keeps the connection open."""
    return await asyncio.wait_for(reader.read(), CLOSED_WITHIN)


async def test_a_slow_head_and_an_idle_connection_are_closed(tmp_path: Path) -> None:
    issuer = TokenIssuer()
    async with serving(create_issuer_app(issuer)) as issuer_url:
        issuer.bind(issuer_url)
        port = free_port()
        env = clean_environment(
            keycloak_issuer=issuer.issuer or "",
            port=str(port),
            http_idle_timeout_seconds=str(IDLE),
        )
        async with running("serve", env=env, stderr_file=tmp_path / "stderr") as process:
            await poll(f"http://127.0.0.1:{port}/readyz", process)

            # A head that never ends (slowloris): one header line, then silence.
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n")
            await writer.drain()
            assert await closed_by_server(reader) == b""
            writer.close()

            # A whole request, then nothing: answered, then closed once idle.
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n")
            await writer.drain()
            answer = await closed_by_server(reader)
            assert answer.startswith(b"HTTP/1.1 200")
            writer.close()


async def test_a_body_that_trickles_is_408_and_frees_the_handler(stack: Stack) -> None:
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        http_body_timeout_seconds=0.5,
    )
    async with serving(create_app(settings)) as url:
        await wait_until_ready(url)
        address = urlsplit(url)
        reader, writer = await asyncio.open_connection(address.hostname, address.port)
        token = stack.issuer.mint()
        head = (
            "POST /itsm/v1/ticket/fetch HTTP/1.1\r\nHost: gateway\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\n\r\n"
        )
        writer.write(head.encode() + b'{"ticketNu')  # 10 of the 100 bytes announced, then no more
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(65_536), CLOSED_WITHIN)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert b"ITSM_GATEWAY_HTTP_BODY_TIMEOUT_SECONDS" in answer
