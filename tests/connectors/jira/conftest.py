"""Shared fixtures for the Jira connector tests: recorded payloads (from the emulator, and one
shaped as Atlassian's reference example), the pooled client the app would own, and connections."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.jira import JiraConnectorFactory

PAYLOADS = Path(__file__).parent / "payloads"
SITE = "https://acme.atlassian.net"
EMAIL = "svc.gateway@acme.example"
API_TOKEN = "ATATT3x-Secret-api-token-123"
OAUTH_TOKEN = "eyJ-Secret-oauth-access-token"


@pytest.fixture
def payload() -> Callable[[str], Any]:
    def load(name: str) -> Any:
        return json.loads((PAYLOADS / f"{name}.json").read_text())

    return load


def connection(
    auth_type: AuthType = AuthType.BASIC, *, table: str | None = None, site: str = SITE
) -> Connection:
    return Connection(
        itsm_type="jira",
        instance_url=site,
        credentials=Credentials(
            auth_type=auth_type, username=EMAIL, password=API_TOKEN, token=OAUTH_TOKEN
        ),
        table=table,
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """Built like the app's pooled client: explicit timeouts, TLS verification on."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0), verify=True) as client:
        yield client


@pytest.fixture
def factory(http: httpx.AsyncClient) -> JiraConnectorFactory:
    return JiraConnectorFactory(http)
