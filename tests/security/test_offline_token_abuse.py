"""Issue 13, item 6, over real HTTP against the real gateway and its token issuer: made-up
offline tokens do not reach the token endpoint in a stream. Refused locally when they can be,
remembered once refused, and paced for newcomers while those in use keep working."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from emulators.token_issuer import DEFAULT_CLIENT_ID, TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.settings import Settings
from tests.support.servers import serving, wait_until_ready

REFUSALS_PER_MINUTE = 3


@dataclass
class Gateway:
    url: str
    issuer: TokenIssuer
    http: httpx.AsyncClient

    async def connectors(self, offline_token: str) -> httpx.Response:
        """A cheap authenticated request: GraphQL's connectors query, no ITSM call."""
        return await self.http.post(
            f"{self.url}/graphql",
            json={"query": "{ connectors { itsmType } }"},
            headers={"X-Offline-Token": offline_token},
        )


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    issuer = TokenIssuer()
    async with serving(create_issuer_app(issuer)) as issuer_url:
        issuer.bind(issuer_url)
        settings = Settings(
            keycloak_issuer=issuer.issuer,
            keycloak_audience=issuer.audience,
            keycloak_client_id=DEFAULT_CLIENT_ID,
            keycloak_offline_refusals_per_minute=REFUSALS_PER_MINUTE,
        )
        async with (
            serving(create_app(settings)) as url,
            httpx.AsyncClient(timeout=10) as http,
        ):
            await wait_until_ready(url)
            yield Gateway(url, issuer, http)


def made_up(issuer: TokenIssuer, alg: str = "HS512", **changes: Any) -> str:
    claims = {
        "iss": issuer.issuer,
        "aud": issuer.issuer,
        "typ": "Offline",
        "azp": DEFAULT_CLIENT_ID,
        "sub": "nobody",
    } | changes
    key: Any = OctKey.generate_key(512) if alg.startswith("HS") else RSAKey.generate_key(2048)
    return jwt.encode({"alg": alg, "typ": "JWT"}, claims, key, algorithms=[alg])


async def test_what_keycloak_would_refuse_never_reaches_it(gateway: Gateway) -> None:
    issuer = gateway.issuer
    forged = [
        made_up(issuer, "RS256"),
        made_up(issuer, aud="https://elsewhere.example.com"),
        made_up(issuer, exp=1_000),
        made_up(issuer, iss="https://evil.example.com/realms/x"),
        made_up(issuer, azp="stranger"),
        made_up(issuer).rsplit(".", 1)[0] + ".short",
        "eyJhbGciOiJIUzUxMiJ9.eyJ0eXAiOiJPZmZsaW5lIn0",  # two parts
    ]
    for token in forged:
        response = await gateway.connectors(token)
        assert response.status_code == 401, response.text
    assert issuer.refresh_exchanges == 0


async def test_refusals_are_remembered_and_paced(gateway: Gateway) -> None:
    issuer = gateway.issuer
    in_use = issuer.mint_offline("reader")
    assert (await gateway.connectors(in_use)).status_code == 200
    assert issuer.refresh_exchanges == 1

    repeated = made_up(issuer)
    for _ in range(5):
        assert (await gateway.connectors(repeated)).status_code == 401
    assert issuer.refresh_exchanges == 2  # one call, then remembered

    for _ in range(REFUSALS_PER_MINUTE - 1):
        assert (await gateway.connectors(made_up(issuer))).status_code == 401
    calls = issuer.refresh_exchanges
    paced = await gateway.connectors(made_up(issuer))
    assert paced.status_code == 429
    assert int(paced.headers["Retry-After"]) >= 1
    newcomer = await gateway.connectors(issuer.mint_offline("writer"))
    assert newcomer.status_code == 429  # even a genuine newcomer waits: nothing reaches Keycloak
    assert issuer.refresh_exchanges == calls
    assert (await gateway.connectors(in_use)).status_code == 200  # those in use keep working


async def test_revocation_reaches_an_offline_token_in_use_within_the_recheck_time() -> None:
    """Issue 13, item 11: with ITSM_GATEWAY_KEYCLOAK_OFFLINE_RECHECK_SECONDS, a revoked offline
    token stops working within that time, although the access token got for it lives on."""
    issuer = TokenIssuer()
    async with serving(create_issuer_app(issuer)) as issuer_url:
        issuer.bind(issuer_url)
        settings = Settings(
            keycloak_issuer=issuer.issuer,
            keycloak_audience=issuer.audience,
            keycloak_client_id=DEFAULT_CLIENT_ID,
            keycloak_offline_recheck_seconds=1,
        )
        async with (
            serving(create_app(settings)) as url,
            httpx.AsyncClient(timeout=10) as http,
        ):
            await wait_until_ready(url)
            gateway = Gateway(url, issuer, http)
            token = issuer.mint_offline("reader")
            assert (await gateway.connectors(token)).status_code == 200
            issuer.revoke_offline(token)
            assert (await gateway.connectors(token)).status_code == 200  # the cached exchange
            await asyncio.sleep(1.2)  # the recheck time (the access token has 300 s left)
            refused = await gateway.connectors(token)
            assert refused.status_code == 401
            assert "revoked" in refused.json()["errors"][0]["message"]
