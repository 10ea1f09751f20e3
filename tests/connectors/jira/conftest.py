"""Shared fixtures for the Jira connector tests: recorded payloads (from the emulator, and one
shaped as Atlassian's reference example), the pooled client the app would own, and connections."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.jira import JiraConnectorFactory
from tests.support.jira_description import request_problems

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


@pytest.fixture(autouse=True)
def _requests_described(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every request the connector sent in a test answered by pytest-httpx is one Atlassian's
    description of the platform API allows (issue 16)."""
    if "httpx_mock" not in request.fixturenames:
        yield
        return
    mock = request.getfixturevalue("httpx_mock")  # now, so that it is torn down after this
    yield
    found = [
        problem
        for sent in mock.get_requests()
        for problem in request_problems(
            sent.method,
            sent.url.path,
            {key: sent.url.params.get_list(key) for key in sent.url.params},
            sent.headers.get("Content-Type", "").split(";")[0],
            sent.content,
        )
    ]
    assert not found, "Jira's description does not allow:\n" + "\n".join(found[:10])
