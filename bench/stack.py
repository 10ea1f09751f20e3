"""The whole chain on loopback for a benchmark: a token issuer, the ServiceNow emulator and the
gateway, each a real server in this process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from emulators.servicenow import EmulatorState
from emulators.servicenow import create_app as create_emulator_app
from emulators.token_issuer import DEFAULT_CLIENT_ID, TokenIssuer, serve
from gateway.app import create_app
from gateway.settings import Settings
from tests.support.servers import serving, wait_until_ready


@dataclass
class BenchStack:
    issuer: TokenIssuer
    emulator: EmulatorState
    emulator_url: str
    gateway_url: str


@asynccontextmanager
async def running_stack(**settings: Any) -> AsyncIterator[BenchStack]:
    """``settings`` override the gateway's (its logs are quiet by default)."""
    issuer = TokenIssuer()
    issuer_runner = await serve(issuer)
    emulator = EmulatorState()
    try:
        async with serving(create_emulator_app(emulator)) as emulator_url:
            gateway_settings = Settings(
                **{
                    "keycloak_issuer": issuer.issuer,
                    "keycloak_audience": issuer.audience,
                    "keycloak_clients": DEFAULT_CLIENT_ID,
                    "itsm_allowed_urls": "http://127.0.0.1:*",
                    "log_level": "ERROR",
                    **settings,
                }
            )
            async with serving(create_app(gateway_settings)) as gateway_url:
                await wait_until_ready(gateway_url)
                yield BenchStack(issuer, emulator, emulator_url, gateway_url)
    finally:
        await issuer_runner.cleanup()
