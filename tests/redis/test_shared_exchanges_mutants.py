"""Shared offline-token exchanges: the orderings the mutation check found no test holding
(docs/mutation.md), each against a real Redis and the development issuer's token endpoint.

Which process reaches Keycloak first is decided here by the test, not by timing: one store's
``lock`` waits for another process's whole exchange before it asks Redis, so the ordering a busy
deployment meets now and then happens on every run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio

from connectors.errors import RateLimited
from gateway.auth.offline_refusals import OfflineRefusals
from gateway.auth.shared_exchanges import SharedExchanges
from gateway.errors import Unauthenticated
from gateway.observability.metrics import Metrics
from tests.auth import conftest as auth
from tests.auth.conftest import Realm
from tests.auth.test_auth_offline_abuse import made_up
from tests.auth.test_offline_tokens_mutants import counted
from tests.redis.test_shared_exchanges import process
from tests.support.redis import RedisServer

UI = "smartops-ui"
http = auth.http
realm = auth.realm


class LockAfter(SharedExchanges):
    """A store whose first ``lock`` lets ``before`` run to its end, then asks Redis."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        super().__init__(client)
        self.before: Callable[[], Awaitable[object]] | None = None

    async def lock(self, offline_token: str, ttl_seconds: float) -> str | None:
        if self.before is not None:
            before, self.before = self.before, None
            await before()
        return await super().lock(offline_token, ttl_seconds)


@pytest.fixture
async def clients(redis_server: RedisServer) -> AsyncIterator[list[redis.asyncio.Redis]]:
    made = [redis.asyncio.from_url(redis_server.url) for _ in range(2)]
    await made[0].flushdb()  # other tests' entries and locks
    yield made
    for client in made:
        await client.aclose()


def offline_lookups(metrics: Metrics, result: str) -> float:
    return counted(
        metrics, "itsm_gateway_cache_lookups_total", cache="offline_access_token", result=result
    )


async def test_a_process_locking_just_after_another_exchanged_uses_that_exchange(
    realm: Realm, clients: list[redis.asyncio.Redis]
) -> None:
    realm.issuer.revoke_refresh_token = True  # the offline token first sent works once
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    late_store = LockAfter(clients[1])
    first = await process(realm, SharedExchanges(clients[0]))
    late = await process(realm, late_store)

    async def first_exchanges() -> None:
        assert (await first.principal_for(offline)).username == "reader"

    # The late process found nothing in Redis, then the first exchanged (rotating the token) and
    # let go of the lock before the late one asked for it: the late one must read the outcome
    # again rather than present the offline token Keycloak no longer accepts.
    late_store.before = first_exchanges
    assert (await late.principal_for(offline)).username == "reader"
    assert realm.issuer.refresh_exchanges == 1


async def test_another_process_s_exchange_is_a_hit_and_is_served_while_newcomers_are_paced(
    realm: Realm, clients: list[redis.asyncio.Redis]
) -> None:
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    first = await process(realm, SharedExchanges(clients[0]))
    assert (await first.principal_for(offline)).username == "reader"

    # A second process whose pacing is already spent (Keycloak refused a made-up token there).
    metrics = Metrics()
    refusals = OfflineRefusals(refusals_per_minute=1, clock=realm.monotonic)
    second = await process(realm, SharedExchanges(clients[1]), metrics, refusals)
    with pytest.raises(Unauthenticated):
        await second.principal_for(made_up(realm))
    calls = realm.issuer.refresh_exchanges
    newcomer = realm.issuer.mint_offline("writer", client_id=UI)
    with pytest.raises(RateLimited):
        await second.principal_for(newcomer)
    misses = offline_lookups(metrics, "miss")

    # The caller's token is not new to the deployment: the second process takes the first's
    # exchange from Redis, unpaced, without reaching Keycloak, and counts it as a hit.
    for _ in range(2):
        assert (await second.principal_for(offline)).username == "reader"
    assert realm.issuer.refresh_exchanges == calls
    assert offline_lookups(metrics, "hit") == 2
    assert offline_lookups(metrics, "miss") == misses
