"""Fixtures for the ServiceNow emulator tests: the app served on a real loopback port, a
movable clock, and an ``httpx`` client authenticated as the default integration user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiohttp import web

from emulators.servicenow import EmulatorConfig, EmulatorState, create_app

BASIC = ("gateway.integration", "integration-password")
# A Wednesday: 10:00 in Los Angeles (PDT), after the seed's data.
START = datetime(2026, 3, 11, 17, 0, 0, tzinfo=UTC)


class FakeClock:
    """The emulator's clock, moved by tests instead of sleeping."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Emulator:
    url: str
    state: EmulatorState
    clock: FakeClock
    http: httpx.AsyncClient  # authenticated with Basic as gateway.integration
    anonymous: httpx.AsyncClient  # no credentials

    def table(self, table: str, sys_id: str | None = None, *, v2: bool = False) -> str:
        prefix = "/api/now/v2/table" if v2 else "/api/now/table"
        return f"{self.url}{prefix}/{table}" + (f"/{sys_id}" if sys_id else "")


async def start_emulator(config: EmulatorConfig | None = None) -> tuple[web.AppRunner, Emulator]:
    clock = FakeClock()
    state = EmulatorState(config, clock=clock)
    runner = web.AppRunner(create_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    emulator = Emulator(url, state, clock, httpx.AsyncClient(auth=BASIC), httpx.AsyncClient())
    return runner, emulator


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    runner, emu = await start_emulator()
    try:
        yield emu
    finally:
        await emu.http.aclose()
        await emu.anonymous.aclose()
        await runner.cleanup()
