"""One gateway in front of each ITSM tool, for the connector contract suite.

``contract`` is parametrised over the tools: the ServiceNow and Jira emulators and a real Request
Tracker 5 (installed and started by ``tests/support/rt.py``; a skip with the reason where it
cannot run, a failure under ``ITSM_GATEWAY_REQUIRE_RT=1``). Each gets its own gateway (so
its metrics count only its calls) verifying tokens from one session token issuer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from emulators.servicenow import EmulatorState
from emulators.servicenow import create_app as create_emulator_app
from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.settings import Settings
from tests.contract.backend import Backend
from tests.contract.backend_jira import jira_backend
from tests.contract.backend_rt import rt_backend
from tests.contract.backend_servicenow import ServiceNowBackend
from tests.support.servers import serving, wait_until_ready


@dataclass
class Contract:
    """A gateway in front of one tool, speaking like ``tests.e2e.conftest.Stack`` so that the
    doors of ``tests.e2e.doors`` work with it."""

    backend: Backend
    gateway_url: str
    issuer: TokenIssuer
    http: httpx.AsyncClient

    def connection(self, **overrides: Any) -> dict[str, Any]:
        return self.backend.connection(**overrides)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.mint('contract.tester')}"}

    async def rest(self, method: str, operation: str, body: Any, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(), **kwargs.pop("headers", {})}
        return await self.http.request(
            method, f"{self.gateway_url}/itsm/v1/ticket/{operation}", json=body, headers=headers
        )

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers(), **kwargs.pop("headers", {})}
        return await self.http.post(
            f"{self.gateway_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )

    async def itsm_calls(self) -> float:
        """ITSM HTTP attempts this gateway has made so far (from its /metrics)."""
        return await self.metric("itsm_gateway_itsm_calls_total")

    async def itsm_calls_by_operation(self) -> dict[str, float]:
        """ITSM HTTP attempts so far by operation (``read_ticket``, ``read_journal``...)."""
        text = (await self.http.get(f"{self.gateway_url}/metrics")).text
        calls: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "itsm_gateway_itsm_calls_total":
                    operation = sample.labels.get("operation", "")
                    calls[operation] = calls.get(operation, 0.0) + sample.value
        return calls

    async def metric(self, name: str) -> float:
        """The sum of the samples of ``name`` in this gateway's /metrics."""
        text = (await self.http.get(f"{self.gateway_url}/metrics")).text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name
        )


@asynccontextmanager
async def servicenow(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    state = EmulatorState()
    async with serving(create_emulator_app(state)) as url:
        yield ServiceNowBackend(state, url)


@asynccontextmanager
async def jira(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with jira_backend() as backend:
        yield backend


@asynccontextmanager
async def rt(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    factory = request.getfixturevalue("tmp_path_factory")
    async with rt_backend(request.config, factory) as backend:  # a real RT 5 (or a skip)
        yield backend


BACKENDS: dict[str, Callable[[pytest.FixtureRequest], AbstractAsyncContextManager[Backend]]] = {
    "servicenow": servicenow,
    "jira": jira,
    "rt": rt,
}


@pytest.fixture(scope="session")
async def issuer() -> AsyncIterator[TokenIssuer]:
    token_issuer = TokenIssuer()
    async with serving(create_issuer_app(token_issuer)) as url:
        token_issuer.bind(url)
        yield token_issuer


@pytest.fixture(scope="session", params=sorted(BACKENDS))
async def contract(request: pytest.FixtureRequest, issuer: TokenIssuer) -> AsyncIterator[Contract]:
    async with BACKENDS[request.param](request) as backend:
        settings = Settings(
            keycloak_issuer=issuer.issuer,
            keycloak_audience=issuer.audience,
            itsm_allowed_urls=backend.allowed_urls,
            itsm_retries=0,
        )
        async with (
            serving(create_app(settings)) as gateway_url,
            httpx.AsyncClient(timeout=60) as http,
        ):
            await wait_until_ready(gateway_url)
            yield Contract(backend, gateway_url, issuer, http)


@pytest.fixture
async def tool(contract: Contract) -> Contract:
    await contract.backend.reset()
    return contract
