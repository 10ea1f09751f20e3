"""Offline-token exchanges shared through Redis by several gateway processes (two exchangers on
two Redis clients here): one exchange serves all, a rotated offline token reaches every process,
and Redis holds nothing readable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

import httpx
import pytest
import redis.asyncio

from gateway.auth.offline_refusals import OfflineRefusals
from gateway.auth.offline_tokens import OfflineTokenExchanger
from gateway.auth.shared_exchanges import SharedExchanges
from gateway.observability.metrics import Metrics
from tests.auth import conftest as auth
from tests.auth.conftest import Realm
from tests.support.redis import RedisServer

UI = "smartops-ui"
# The token endpoint of tests/auth (the development issuer, with Keycloak's exchange rules).
http = auth.http
realm = auth.realm


@pytest.fixture
async def stores(redis_server: RedisServer) -> AsyncIterator[list[SharedExchanges]]:
    made = [SharedExchanges.from_url(redis_server.url) for _ in range(2)]
    yield made
    for store in made:
        await store.aclose()


async def process(
    realm: Realm,
    store: SharedExchanges,
    metrics: Metrics | None = None,
    refusals: OfflineRefusals | None = None,
) -> OfflineTokenExchanger:
    """One gateway process's exchanger, on its own Redis client."""
    realm.issuer.clock = realm.clock
    return OfflineTokenExchanger(
        issuer=realm.url,
        clients={UI: None},
        http=realm.http,
        verifier=await realm.loaded_verifier(),
        clock=realm.clock,
        shared=store,
        metrics=metrics,
        refusals=refusals,
    )


async def test_one_exchange_serves_every_process_and_rotation_reaches_them_all(
    realm: Realm, stores: list[SharedExchanges]
) -> None:
    realm.issuer.revoke_refresh_token = True  # each offline token works once
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    first, second = [await process(realm, store) for store in stores]

    assert (await first.principal_for(offline)).username == "reader"
    assert (await second.principal_for(offline)).username == "reader"
    assert realm.issuer.refresh_exchanges == 1  # the second took the first's access token

    for round_, (renewer, other) in enumerate([(second, first), (first, second)], start=2):
        realm.clock.advance(301)  # past the access token's renewal
        # The renewer presents the offline token the other rotated: without sharing it would
        # present the first one, already used, and Keycloak would refuse it (invalid_grant).
        assert (await renewer.principal_for(offline)).username == "reader"
        assert (await other.principal_for(offline)).username == "reader"
        assert realm.issuer.refresh_exchanges == round_


async def test_processes_asking_together_make_one_exchange(
    realm: Realm, stores: list[SharedExchanges]
) -> None:
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    processes = [await process(realm, store) for store in stores]
    realm.issuer.hold_exchanges = asyncio.Event()
    asking = [asyncio.create_task(p.principal_for(offline)) for p in processes for _ in range(5)]
    for _ in range(2000):  # until an exchange reaches the endpoint (bounded)
        if realm.issuer.refresh_exchanges:
            break
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.1)  # let a second exchange arrive too, if a process made one
    realm.issuer.hold_exchanges.set()
    principals = await asyncio.gather(*asking)
    assert {p.username for p in principals} == {"reader"}
    assert realm.issuer.refresh_exchanges == 1


async def test_redis_holds_nothing_readable(
    realm: Realm, stores: list[SharedExchanges], redis_server: RedisServer
) -> None:
    realm.issuer.revoke_refresh_token = True
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    issued: list[str] = []  # every token the endpoint hands out

    async def capture(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/token"):
            await response.aread()
            body = response.json()
            issued.extend(body[k] for k in ("access_token", "refresh_token") if k in body)

    realm.http.event_hooks["response"].append(capture)
    exchanger = await process(realm, stores[0])
    await exchanger.principal_for(offline)
    realm.clock.advance(301)
    await exchanger.principal_for(offline)  # now a rotated token is stored too

    admin = redis.asyncio.from_url(redis_server.url)
    try:
        names = [name async for name in admin.scan_iter(match="itsm-gateway:offline:*")]
        # This client does not decode: an entry is bytes.
        values = [cast(bytes | None, await admin.get(name)) for name in names]
    finally:
        await admin.aclose()
    assert names and all(value for value in values)
    stored = b" ".join([*names, *(v for v in values if v)])
    assert len(issued) == 4  # two exchanges, each an access token and a rotated offline token
    for secret in [offline, *issued]:
        for part in secret.split("."):
            if len(part) > 16:
                assert part.encode() not in stored


async def test_a_rotation_outlives_the_access_token_so_no_process_locks_the_caller_out(
    realm: Realm, stores: list[SharedExchanges], redis_server: RedisServer
) -> None:
    realm.issuer.revoke_refresh_token = True  # the caller's own token works once
    realm.issuer.access_token_lifetime = 1  # the shared access token is gone in a second
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    admin = redis.asyncio.from_url(redis_server.url)
    await admin.flushdb()  # other tests' entries
    await (await process(realm, stores[0])).principal_for(offline)
    try:
        [name] = [
            n async for n in admin.scan_iter(match="itsm-gateway:offline:*") if b":lock" not in n
        ]
        # Kept as long as Keycloak keeps an idle offline session, not as long as the access token.
        assert await admin.pttl(name) > 29 * 86_400 * 1000
    finally:
        await admin.aclose()
    await asyncio.sleep(1.2)  # the access token (and, before, the whole entry) expired
    realm.clock.advance(3600)
    # A process that never saw the caller (a new replica, a restart) still serves it.
    late = await process(realm, stores[1])
    assert (await late.principal_for(offline)).username == "reader"
    assert realm.issuer.refresh_exchanges == 2
