"""A real Request Tracker 5 (``tests/support/rt.py``) behind a real gateway, both on loopback;
requests go through a real HTTP client with real signed tokens, to both doors.

RT lives for the session and keeps what each test wrote: tests make their own tickets and never
assume ids. How long RT took to install, initialise and start is printed in the terminal summary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.settings import Settings
from tests.support.rt import RtServer, rt_server, rt_terminal_summary
from tests.support.servers import serving, wait_until_ready

__all__ = ["rt_server"]  # the session fixture, shared with every conftest that imports it
pytest_terminal_summary = rt_terminal_summary


@dataclass
class RtStack:
    """The gateway in front of RT, and RT itself for looking behind the gateway's back."""

    gateway_url: str
    rt: RtServer
    issuer: TokenIssuer
    http: httpx.AsyncClient

    def connection(self, **overrides: Any) -> dict[str, Any]:
        """connectionDetails with the gateway account's RT auth token (``api_key``)."""
        details = {
            "itsmType": "rt",
            "instanceUrl": self.rt.url,
            "authType": "api_key",
            "apiKey": self.rt.api_token,
        }
        details.update(overrides)
        return {k: v for k, v in details.items() if v is not None}

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.issuer.mint('smartops.operator')}"}

    async def rest(self, method: str, operation: str, body: Any, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", None) or self.headers()
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
        headers = kwargs.pop("headers", None) or self.headers()
        return await self.http.post(
            f"{self.gateway_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            **kwargs,
        )

    async def rt_ticket(self, ticket_id: str) -> dict[str, Any]:
        """The ticket as RT holds it, read as RT's superuser (not through the gateway)."""
        async with self.rt.admin_client() as admin:
            answer = await admin.get(f"/ticket/{ticket_id}")
            answer.raise_for_status()
            return answer.json()

    async def ticket_count(self) -> int:
        """How many tickets RT holds (deleted ones aside), read as RT's superuser."""
        async with self.rt.admin_client() as admin:
            answer = await admin.get("/tickets", params={"query": "id > 0", "per_page": "1"})
            answer.raise_for_status()
            return int(answer.json()["total"])


@pytest.fixture(scope="session")
async def rt_stack(rt_server: RtServer) -> AsyncIterator[RtStack]:
    issuer = TokenIssuer()
    async with serving(create_issuer_app(issuer)) as issuer_url:
        issuer.bind(issuer_url)
        settings = Settings(
            keycloak_issuer=issuer.issuer,
            keycloak_audience=issuer.audience,
            itsm_allowed_urls="http://127.0.0.1:*",
        )
        async with (
            serving(create_app(settings)) as gateway_url,
            httpx.AsyncClient(timeout=60) as http,
        ):
            await wait_until_ready(gateway_url)
            yield RtStack(gateway_url, rt_server, issuer, http)
