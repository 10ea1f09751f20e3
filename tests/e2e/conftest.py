"""The whole chain over real HTTP: a token issuer, the ServiceNow emulator and the gateway, each a
server on loopback; requests go through a real HTTP client with real signed tokens.

The servers live for the session; the emulator's data, faults and request log are reset before
every test so that tests do not see each other's writes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from emulators.servicenow import EmulatorState
from emulators.servicenow import create_app as create_emulator_app
from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.observability.logs import configure_logging
from gateway.settings import Settings
from tests.support.servers import serving, wait_until_ready

SN_USER = "gateway.integration"
SN_PASSWORD = "integration-password"


@dataclass
class Stack:
    gateway_url: str
    emulator_url: str
    emulator: EmulatorState
    issuer: TokenIssuer | None  # None: every request names its own credential
    http: httpx.AsyncClient

    def connection(self, **overrides: Any) -> dict[str, Any]:
        details = {
            "itsmType": "servicenow",
            "instanceUrl": self.emulator_url,
            "authType": "basic",
            "username": SN_USER,
            "password": SN_PASSWORD,
        }
        details.update(overrides)
        return {k: v for k, v in details.items() if v is not None}

    def headers(self, token: str | None = None) -> dict[str, str]:
        if token is None and self.issuer is None:
            return {}
        if not token:
            assert self.issuer is not None, "an empty token names no credential"
            token = self.issuer.mint("smartops.operator")
        return {"Authorization": f"Bearer {token}"}

    def _with_credential(self, headers: dict[str, str]) -> dict[str, str]:
        """The caller's headers, with the default token unless they carry a credential."""
        if {"authorization", "x-offline-token"} & {name.lower() for name in headers}:
            return headers
        return {**self.headers(), **headers}

    async def rest(self, method: str, operation: str, body: Any, **kwargs: Any) -> httpx.Response:
        headers = self._with_credential(kwargs.pop("headers", {}))
        return await self.http.request(
            method,
            f"{self.gateway_url}/itsm/v1/ticket/{operation}",
            json=body,
            headers=headers,
            **kwargs,
        )

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = self._with_credential(kwargs.pop("headers", {}))
        return await self.http.post(
            f"{self.gateway_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            **kwargs,
        )

    def table_requests(self, table: str | None = None) -> list[Any]:
        """What the emulator saw of the Table API (oauth calls excluded)."""
        return [
            r
            for r in self.emulator.requests
            if r.table is not None and (table is None or r.table == table)
        ]

    def writes(self) -> list[Any]:
        return [
            r
            for r in self.emulator.requests
            if r.method in ("POST", "PATCH", "PUT", "DELETE") and r.table is not None
        ]


@pytest.fixture(scope="session")
async def stack() -> AsyncIterator[Stack]:
    issuer = TokenIssuer()
    emulator = EmulatorState()
    async with (
        serving(create_issuer_app(issuer)) as issuer_url,
        serving(create_emulator_app(emulator)) as emulator_url,
    ):
        issuer.bind(issuer_url)
        settings = Settings(
            keycloak_issuer=issuer.issuer,
            keycloak_audience=issuer.audience,
            itsm_allowed_urls="http://127.0.0.1:*",
            itsm_read_timeout_seconds=5.0,
        )
        async with (
            serving(create_app(settings)) as gateway_url,
            httpx.AsyncClient(timeout=30) as http,
        ):
            await wait_until_ready(gateway_url)
            yield Stack(gateway_url, emulator_url, emulator, issuer, http)


@pytest.fixture(autouse=True)
def fresh_emulator(stack: Stack) -> None:
    stack.emulator.reset()


@pytest.fixture
def production_logging(caplog: pytest.LogCaptureFixture) -> Iterator[logging.Handler]:
    """Logging as ``itsm-gateway serve`` configures it (JSON, request-id filter), at DEBUG, with
    caplog still listening; yields the production handler. Restores the previous setup after."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    quietened = ("aiohttp.access", "httpx", "httpcore")
    saved_levels = {name: logging.getLogger(name).level for name in quietened}
    configure_logging("DEBUG", "json")
    production = root.handlers[0]
    root.addHandler(caplog.handler)
    try:
        yield production
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
