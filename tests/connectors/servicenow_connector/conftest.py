"""Shared fixtures for the ServiceNow connector tests: recorded payloads, the one pooled client the
app would own, and connections for each auth type."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.servicenow import ServiceNowConnectorFactory

PAYLOADS = Path(__file__).parent / "payloads"
INSTANCE = "https://acme.service-now.com"

SECRETS = {
    "password": "pa55-Secret!word",
    "client_secret": "cl1ent-Secret-xyz",
    "api_key": "now_apikey_Secret_123",
    "token": "bearer-Secret-token-abc",
}


@pytest.fixture
def payload() -> Callable[[str], Any]:
    """A recorded ServiceNow answer body from ``payloads/<name>.json``."""

    def load(name: str) -> Any:
        return json.loads((PAYLOADS / f"{name}.json").read_text())

    return load


def credentials(auth_type: AuthType) -> Credentials:
    return Credentials(
        auth_type=auth_type,
        username="svc.gateway",
        password=SECRETS["password"],
        client_id="gateway-client",
        client_secret=SECRETS["client_secret"],
        api_key=SECRETS["api_key"],
        token=SECRETS["token"],
    )


@pytest.fixture
def connection() -> Callable[..., Connection]:
    def make(
        auth_type: AuthType = AuthType.BASIC,
        *,
        instance_url: str = INSTANCE,
        table: str | None = None,
    ) -> Connection:
        return Connection(
            itsm_type="servicenow",
            instance_url=instance_url,
            credentials=credentials(auth_type),
            table=table,
        )

    return make


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """Built like the app's pooled client: explicit timeouts, TLS verification on."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0), verify=True) as client:
        yield client


@pytest.fixture
def factory(http: httpx.AsyncClient) -> ServiceNowConnectorFactory:
    return ServiceNowConnectorFactory(http)
