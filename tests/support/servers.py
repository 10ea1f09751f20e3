"""Real servers on loopback ports chosen by the OS, for tests that speak real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from aiohttp import web

from gateway.http_server import GatewayRunner

HOST = "127.0.0.1"


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` until the block ends, with the runner production uses; yields its base URL."""
    runner = GatewayRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://{HOST}:{port}"
    finally:
        await runner.cleanup()


async def wait_until_ready(base_url: str, *, attempts: int = 200) -> None:
    """Poll ``/readyz`` until the gateway has its signing keys (bounded; fails loudly)."""
    async with httpx.AsyncClient() as client:
        for _ in range(attempts):
            if (await client.get(f"{base_url}/readyz")).status_code == 200:
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"{base_url} did not become ready")
