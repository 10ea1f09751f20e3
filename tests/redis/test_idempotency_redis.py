"""What only the Redis store can show: keys shared by separate clients (as by two gateway
processes), what is written to Redis, and Redis outages, made with a cuttable TCP proxy between
the store and a running server. An outage is a 503 before the create and never a duplicate after.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC

import orjson
import pytest
import redis.asyncio

from connectors.errors import Conflict, ItsmTimeout, Unavailable
from connectors.fields import TicketField
from connectors.model import WriteRequest
from gateway.idempotency_redis import RedisIdempotencyStore
from resolvers.connections import ConnectionDetails
from resolvers.idempotency import UNKNOWN_OUTCOME_MESSAGE, Idempotency, IdempotentCall
from tests.redis.test_idempotency_stores import (
    LEASE,
    FakeCreate,
    WallClock,
    call,
    eventually,
    ticket,
)
from tests.support.redis import RedisServer
from tests.support.tcp_proxy import TcpProxy

TTL = 3600


@pytest.fixture
def namespace() -> str:
    return f"test:{uuid.uuid4().hex}:"


@pytest.fixture
async def admin(redis_server: RedisServer) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.from_url(redis_server.url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def proxy(redis_server: RedisServer) -> AsyncIterator[TcpProxy]:
    async with TcpProxy("127.0.0.1", redis_server.port) as running:
        yield running


def idempotency(
    store: RedisIdempotencyStore, wall: WallClock, *, wait_seconds: float = 60
) -> Idempotency:
    return Idempotency(
        store,
        wait_seconds=wait_seconds,
        lease_seconds=LEASE,
        clock=wall,
        first_poll_seconds=0.001,
        max_poll_seconds=0.01,
    )


async def test_a_retry_through_another_client_gets_the_first_answer(
    redis_server: RedisServer, namespace: str
) -> None:
    first_gateway = RedisIdempotencyStore.from_url(redis_server.url, namespace=namespace)
    second_gateway = RedisIdempotencyStore.from_url(redis_server.url, namespace=namespace)
    wall = WallClock()
    try:
        create = FakeCreate(ticket(), held=True)
        first = asyncio.create_task(idempotency(first_gateway, wall).run(call(), create))
        await eventually(lambda: create.calls == 1)
        in_flight = asyncio.create_task(idempotency(second_gateway, wall).run(call(), create))
        create.release()
        assert await first == await in_flight == ticket()
        later = await idempotency(second_gateway, wall).run(call(), FakeCreate(ticket("INC9")))
        assert later == ticket()
        with pytest.raises(Conflict):
            await idempotency(second_gateway, wall).run(call(fingerprint="other"), create)
        assert create.calls == 1
    finally:
        await first_gateway.aclose()
        await second_gateway.aclose()


async def test_redis_holds_json_with_the_ttl_and_no_secret_nor_key(
    redis_server: RedisServer, namespace: str, admin: redis.asyncio.Redis
) -> None:
    store = RedisIdempotencyStore.from_url(redis_server.url, ttl_seconds=TTL, namespace=namespace)
    details = ConnectionDetails(
        itsm_type="servicenow",
        instance_url="https://acme.service-now.com",
        auth_type="basic",
        username="gateway.integration",
        password="sentinel-password-81c3",
    )
    key = "caller-key-5f0e2a"
    request = IdempotentCall.for_create(
        key,
        details,
        table="incident",
        write=WriteRequest(native={"short_description": "Mail down"}),
        fields=frozenset({TicketField.TICKET_NUMBER, TicketField.CREATED_TIME}),
        zone=UTC,
    )
    try:
        await idempotency(store, WallClock()).run(request, FakeCreate(ticket()))
    finally:
        await store.aclose()
    names = [name async for name in admin.scan_iter(match=f"{namespace}*")]
    [name] = [name for name in names if ":usage:" not in name]  # and the caller's share count
    assert len(names) == 2
    value = await admin.get(name)
    assert isinstance(value, str)  # the admin client decodes, and the key was just listed
    assert 0 < await admin.pttl(name) <= TTL * 1000
    record = orjson.loads(value)
    assert record["state"] == "done"
    assert record["ticket"]["createdTime"] == {"datetime": "2026-03-02T16:05:00+00:00"}
    for secret in ("sentinel-password-81c3", key):
        assert secret not in name
        assert secret not in value


async def test_an_unreachable_redis_is_503_before_anything_is_sent(
    proxy: TcpProxy, namespace: str
) -> None:
    store = RedisIdempotencyStore.from_url(
        f"redis://127.0.0.1:{proxy.port}/0", namespace=namespace, timeout_seconds=0.5
    )
    create = FakeCreate(ticket())
    try:
        for mode in ("refuse", "blackhole"):
            await proxy.cut(mode)
            with pytest.raises(Unavailable) as refused:
                await idempotency(store, WallClock()).run(call(), create)
            assert refused.value.status == 503
            assert refused.value.message.startswith("idempotency store unreachable")
            await proxy.restore()
    finally:
        await store.aclose()
    assert create.calls == 0


async def test_an_outage_during_the_create_never_lets_a_retry_create_again(
    proxy: TcpProxy, namespace: str
) -> None:
    store = RedisIdempotencyStore.from_url(
        f"redis://127.0.0.1:{proxy.port}/0", namespace=namespace, timeout_seconds=0.5
    )
    wall = WallClock()
    create = FakeCreate(ticket(), held=True)
    try:
        first = asyncio.create_task(idempotency(store, wall).run(call(), create))
        await eventually(lambda: create.calls == 1)
        await proxy.cut("refuse")
        create.release()
        # The ticket exists: its caller gets it, though its outcome could not be recorded.
        assert await first == ticket()
        await proxy.restore()
        # The claim is still pending: a retry within the lease is told to wait ...
        with pytest.raises(Conflict, match="still in progress"):
            await idempotency(store, wall, wait_seconds=0).run(call(), create)
        # ... and after it, that the outcome is unknown. Never a second create.
        wall.now += LEASE + 1
        with pytest.raises(ItsmTimeout) as after:
            await idempotency(store, wall).run(call(), create)
        assert after.value.message == UNKNOWN_OUTCOME_MESSAGE
    finally:
        await store.aclose()
    assert create.calls == 1
