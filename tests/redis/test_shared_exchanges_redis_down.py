"""Issue 18, item 3: the "Redis is down" fallbacks of the shared offline-token exchanges, over
real HTTP: two gateway processes share a real Redis through a TCP proxy that the test cuts. With
Redis unreachable, neither process fails a caller nor waits for a lock nobody can hold: each
exchanges on its own (reads find nothing, the lock is taken as free, writes and unlocks are
dropped) and keeps its own copy. With Redis back, one exchange serves both again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from emulators.token_issuer import DEFAULT_CLIENT_ID, TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.settings import Settings
from tests.support.redis import RedisServer
from tests.support.servers import serving, wait_until_ready
from tests.support.tcp_proxy import TcpProxy

# A lock taken as held while Redis is down would make a process wait 2 x this for it: far
# beyond the guard below, so such a wait fails the test instead of passing late.
KEYCLOAK_TIMEOUT_SECONDS = 60.0
GUARD_SECONDS = 20.0


@dataclass
class Processes:
    urls: list[str]
    issuer: TokenIssuer
    redis: TcpProxy
    http: httpx.AsyncClient

    async def call(self, process: int, offline_token: str) -> httpx.Response:
        """A cheap authenticated request (no ITSM call) with an offline token."""
        return await asyncio.wait_for(
            self.http.post(
                f"{self.urls[process]}/graphql",
                json={"query": "{ connectors { itsmType } }"},
                headers={"X-Offline-Token": offline_token},
            ),
            GUARD_SECONDS,
        )


@pytest.fixture
async def processes(redis_server: RedisServer) -> AsyncIterator[Processes]:
    issuer = TokenIssuer()
    async with (
        serving(create_issuer_app(issuer)) as issuer_url,
        TcpProxy("127.0.0.1", redis_server.port) as proxy,
    ):
        issuer.bind(issuer_url)
        settings = Settings(
            keycloak_issuer=issuer.issuer,
            keycloak_audience=issuer.audience,
            keycloak_client_id=DEFAULT_CLIENT_ID,
            keycloak_timeout_seconds=KEYCLOAK_TIMEOUT_SECONDS,
            redis_url=f"redis://127.0.0.1:{proxy.port}/0",
        )
        async with (
            serving(create_app(settings)) as first,
            serving(create_app(settings)) as second,
            httpx.AsyncClient(timeout=GUARD_SECONDS + 5) as http,
        ):
            await wait_until_ready(first)
            await wait_until_ready(second)
            yield Processes([first, second], issuer, proxy, http)


async def test_with_redis_down_each_process_exchanges_on_its_own(processes: Processes) -> None:
    issuer = processes.issuer
    offline = issuer.mint_offline("reader")
    await processes.redis.cut("refuse")

    for process in (0, 1):
        response = await processes.call(process, offline)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["connectors"]
    assert issuer.refresh_exchanges == 2  # nothing shared: one exchange per process

    for process in (0, 1):  # each kept its own copy
        assert (await processes.call(process, offline)).status_code == 200
    assert issuer.refresh_exchanges == 2


async def test_with_redis_back_one_exchange_serves_both_again(processes: Processes) -> None:
    issuer = processes.issuer
    await processes.redis.cut("refuse")
    assert (await processes.call(0, issuer.mint_offline("reader"))).status_code == 200
    await processes.redis.restore()
    exchanges = issuer.refresh_exchanges

    offline = issuer.mint_offline("writer")
    for process in (0, 1):
        assert (await processes.call(process, offline)).status_code == 200
    assert issuer.refresh_exchanges == exchanges + 1  # the second took the first's exchange
