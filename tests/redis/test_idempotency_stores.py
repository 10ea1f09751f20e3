"""One contract for both idempotency stores: the in-process one and Redis (a real server).

Each test runs ``Idempotency`` over the store with a create that is a small fake with behaviour:
it counts its calls, can be held in flight, and ends with a ticket or an error. Time is never
measured; expiry is made to happen (memory: the store's clock moves; Redis: ``PEXPIRE``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio

from connectors.errors import (
    BadInput,
    Conflict,
    GatewayError,
    ItsmError,
    ItsmTimeout,
    RateLimited,
    Unavailable,
)
from connectors.fields import TicketField
from connectors.model import Note, Ticket
from gateway.idempotency_redis import RedisIdempotencyStore
from resolvers.idempotency import UNKNOWN_OUTCOME_MESSAGE, Idempotency, IdempotentCall
from resolvers.idempotency_store import IdempotencyStore, MemoryIdempotencyStore
from tests.support.redis import RedisServer

TTL = 3600.0
LEASE = 120.0


def ticket(number: str = "INC0010001", sys_id: str = "a" * 32) -> Ticket:
    created = datetime(2026, 3, 2, 16, 5, tzinfo=UTC)
    return Ticket(
        {
            TicketField.TICKET_NUMBER: number,
            TicketField.SYS_ID: sys_id,
            TicketField.CREATED_TIME: created,
            TicketField.RESOLVED_TIME: None,
            TicketField.COMMENTS: (Note("Beth Anglin", created, "We are on it"),),
            TicketField.WORK_NOTES: (),
        }
    )


def call(
    key: str = "key-1", fingerprint: str = "request-1", owner: str = "caller-1"
) -> IdempotentCall:
    return IdempotentCall(
        key=key, storage_key=f"storage-{owner}-{key}", fingerprint=fingerprint, owner=owner
    )


class FakeCreate:
    """A create: answers ``result`` (a ticket, or an error to raise), or waits for ``release``."""

    def __init__(self, result: Ticket | BaseException | None = None, *, held: bool = False):
        self.result = result if result is not None else ticket()
        self.calls = 0
        self._gate = asyncio.Event()
        if not held:
            self._gate.set()

    def release(self) -> None:
        self._gate.set()

    async def __call__(self) -> Ticket:
        self.calls += 1
        await self._gate.wait()
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


class WallClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class StoreUnderTest:
    store: IdempotencyStore
    expire_all: Callable[[], Awaitable[None]]
    wall: WallClock

    def idempotency(self, *, wait_seconds: float = 60.0, **kwargs: Any) -> Idempotency:
        return Idempotency(
            self.store,
            wait_seconds=wait_seconds,
            lease_seconds=LEASE,
            clock=self.wall,
            first_poll_seconds=0.001,
            max_poll_seconds=0.01,
            **kwargs,
        )


class MonotonicClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def redis_or_memory(request: pytest.FixtureRequest) -> RedisServer | None:
    """The Redis server for the "redis" runs, ``None`` for the "memory" runs (which need none)."""
    return request.getfixturevalue("redis_server") if request.param == "redis" else None


@pytest.fixture
async def subject(redis_or_memory: RedisServer | None) -> AsyncIterator[StoreUnderTest]:
    if redis_or_memory is None:
        clock = MonotonicClock()
        memory = MemoryIdempotencyStore(ttl_seconds=TTL, clock=clock)

        async def advance() -> None:
            clock.now += TTL + 1

        yield StoreUnderTest(memory, advance, WallClock())
        await memory.aclose()
        return
    server = redis_or_memory
    namespace = f"test:{uuid.uuid4().hex}:"
    store = RedisIdempotencyStore.from_url(server.url, ttl_seconds=TTL, namespace=namespace)
    admin = redis.asyncio.from_url(server.url)

    async def expire() -> None:
        names = [name async for name in admin.scan_iter(match=f"{namespace}*")]
        for name in names:
            await admin.pexpire(name, 1)
        for _ in range(10_000):  # Redis expires a key on its next access or sweep
            if not names or not await admin.exists(*names):
                return
            await asyncio.sleep(0.005)
        raise AssertionError("keys did not expire")

    try:
        yield StoreUnderTest(store, expire, WallClock())
    finally:
        await store.aclose()
        await admin.aclose()


async def eventually(condition: Callable[[], bool]) -> None:
    """Let other tasks run until ``condition`` holds (bounded: a bug fails rather than hangs)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition never held")


class Watched:
    """The store, counting claims that found the key taken: a retry is then known to wait."""

    def __init__(self, store: IdempotencyStore) -> None:
        self._store = store
        self.refused = 0

    async def claim(self, key: str, value: str) -> str | None:
        held = await self._store.claim(key, value)
        self.refused += held is not None
        return held

    async def replace(self, key: str, value: str) -> None:
        await self._store.replace(key, value)

    async def release(self, key: str, value: str) -> None:
        await self._store.release(key, value)

    async def usage(self, owner: str) -> int:
        return await self._store.usage(owner)

    async def charge(self, owner: str, chars: int) -> None:
        await self._store.charge(owner, chars)

    async def aclose(self) -> None:
        await self._store.aclose()


# -- the store's own contract ----------------------------------------------------------------


async def test_a_claim_holds_until_released_by_its_own_value(subject: StoreUnderTest) -> None:
    store = subject.store
    assert await store.claim("k", "first") is None
    assert await store.claim("k", "second") == "first"
    await store.release("k", "second")  # not its claim: nothing happens
    assert await store.claim("k", "third") == "first"
    await store.release("k", "first")
    assert await store.claim("k", "third") is None


async def test_replace_overwrites_and_keys_expire(subject: StoreUnderTest) -> None:
    store = subject.store
    await store.claim("k", "pending")
    await store.replace("k", "done")
    assert await store.claim("k", "again") == "done"
    await subject.expire_all()
    assert await store.claim("k", "again") is None


async def test_each_owner_has_its_own_usage_which_expires(subject: StoreUnderTest) -> None:
    store = subject.store
    await store.charge("alice", 100)
    await store.charge("alice", 50)
    await store.charge("bob", 7)
    assert (await store.usage("alice"), await store.usage("bob")) == (150, 7)
    assert await store.usage("nobody") == 0
    await subject.expire_all()
    assert await store.usage("alice") == 0


# -- fair shares ------------------------------------------------------------------------------


async def test_a_caller_over_its_share_is_refused_and_others_are_not(
    subject: StoreUnderTest,
) -> None:
    idempotency = subject.idempotency(max_chars_per_caller=2000)
    first = FakeCreate(ticket())
    await idempotency.run(call("k1", owner="flood"), first)
    # The flooder's first record (about 500 characters) is within its share; fill it.
    await subject.store.charge("flood", 2000)
    refused = FakeCreate(ticket("INC0010002"))
    with pytest.raises(RateLimited) as error:
        await idempotency.run(call("k2", "request-2", owner="flood"), refused)
    assert refused.calls == 0 and "IDEMPOTENCY_MAX_BYTES_PER_CALLER" in error.value.message
    # Its existing key still replays; another caller still creates with its keys.
    assert await idempotency.run(call("k1", owner="flood"), FakeCreate()) == ticket()
    other = FakeCreate(ticket("INC0010003"))
    await idempotency.run(call("k2", "request-2", owner="calm"), other)
    assert other.calls == 1
    # The refused key was released: once the share frees, the flooder's retry creates.
    await subject.expire_all()
    await idempotency.run(call("k2", "request-2", owner="flood"), refused)
    assert refused.calls == 1


async def test_a_first_answer_too_large_to_keep_replays_its_ids(subject: StoreUnderTest) -> None:
    idempotency = subject.idempotency(max_record_chars=400)
    big = Ticket(
        {
            TicketField.TICKET_NUMBER: "INC0010001",
            TicketField.SYS_ID: "a" * 32,
            TicketField.SHORT_DESCRIPTION: "x" * 1000,
        }
    )
    assert await idempotency.run(call(), FakeCreate(big)) == big  # the first answer is whole
    replay = await idempotency.run(call(), FakeCreate())
    assert replay.values == {TicketField.TICKET_NUMBER: "INC0010001", TicketField.SYS_ID: "a" * 32}
    assert "larger than the gateway keeps" in replay.refused[TicketField.SHORT_DESCRIPTION]


# -- one create per key ----------------------------------------------------------------------


async def test_a_retry_gets_the_first_answer_without_a_second_create(
    subject: StoreUnderTest,
) -> None:
    idempotency = subject.idempotency()
    create = FakeCreate(ticket())
    first = await idempotency.run(call(), create)
    again = await idempotency.run(call(), FakeCreate(ticket("INC0099999", "b" * 32)))
    assert first == again == ticket()
    assert create.calls == 1


async def test_a_retry_while_the_first_is_in_flight_waits_for_its_answer(
    subject: StoreUnderTest,
) -> None:
    watched = Watched(subject.store)
    idempotency = Idempotency(
        watched, wait_seconds=60, lease_seconds=LEASE, clock=subject.wall, first_poll_seconds=0.001
    )
    create = FakeCreate(ticket(), held=True)
    first = asyncio.create_task(idempotency.run(call(), create))
    await eventually(lambda: create.calls == 1)
    retry = asyncio.create_task(idempotency.run(call(), create))
    await eventually(lambda: watched.refused >= 1)  # the retry found the claim and waits
    create.release()
    assert await first == await retry == ticket()
    assert create.calls == 1


async def test_ten_at_once_make_one_create_and_ten_equal_answers(subject: StoreUnderTest) -> None:
    idempotency = subject.idempotency()
    create = FakeCreate(ticket(), held=True)
    tasks = [asyncio.create_task(idempotency.run(call(), create)) for _ in range(10)]
    await eventually(lambda: create.calls == 1)
    create.release()
    answers = await asyncio.gather(*tasks)
    assert answers == [ticket()] * 10
    assert create.calls == 1


async def test_the_same_key_with_another_request_is_a_conflict(subject: StoreUnderTest) -> None:
    idempotency = subject.idempotency()
    create = FakeCreate(ticket(), held=True)
    first = asyncio.create_task(idempotency.run(call(), create))
    await eventually(lambda: create.calls == 1)
    other = call(fingerprint="request-2")
    with pytest.raises(Conflict) as in_flight:
        await idempotency.run(other, create)
    create.release()
    await first
    with pytest.raises(Conflict) as done:
        await idempotency.run(other, create)
    for error in (in_flight.value, done.value):
        assert error.status == 409
        assert error.message == "Idempotency-Key key-1 was used with a different request"
    assert create.calls == 1


async def test_keys_are_separate(subject: StoreUnderTest) -> None:
    idempotency = subject.idempotency()
    one = await idempotency.run(call("one"), FakeCreate(ticket("INC1")))
    two = await idempotency.run(call("two"), FakeCreate(ticket("INC2")))
    assert (one.get(TicketField.TICKET_NUMBER), two.get(TicketField.TICKET_NUMBER)) == (
        "INC1",
        "INC2",
    )


async def test_an_expired_key_creates_again(subject: StoreUnderTest) -> None:
    idempotency = subject.idempotency()
    await idempotency.run(call(), FakeCreate(ticket()))
    await subject.expire_all()
    create = FakeCreate(ticket("INC0010002", "b" * 32))
    assert await idempotency.run(call(), create) == ticket("INC0010002", "b" * 32)
    assert create.calls == 1


# -- how a first create ended ----------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        BadInput("ticketJSON.urgency is not a choice"),
        RateLimited("too many requests", retry_after=3),
        Unavailable("circuit open: nothing sent"),
    ],
    ids=["400", "429", "503-refused-before-sending"],
)
async def test_a_definite_failure_releases_the_key(
    subject: StoreUnderTest, error: GatewayError
) -> None:
    idempotency = subject.idempotency()
    failing = FakeCreate(error)
    with pytest.raises(type(error)):
        await idempotency.run(call(), failing)
    retry = FakeCreate(ticket())
    assert await idempotency.run(call(), retry) == ticket()
    assert (failing.calls, retry.calls) == (1, 1)


def unknown(error: GatewayError) -> GatewayError:
    error.outcome_unknown = True
    return error


@pytest.mark.parametrize(
    ("error", "replayed"),
    [
        (unknown(ItsmTimeout("the create did not finish within the deadline")), ItsmTimeout),
        (unknown(ItsmError("ServiceNow answered 503 to the write")), ItsmError),
        (RuntimeError("a bug after sending"), ItsmError),
    ],
    ids=["504", "502", "unexpected"],
)
async def test_an_unknown_outcome_is_replayed_and_never_retried(
    subject: StoreUnderTest, error: BaseException, replayed: type[GatewayError]
) -> None:
    idempotency = subject.idempotency()
    failing = FakeCreate(error)
    with pytest.raises(type(error)):
        await idempotency.run(call(), failing)
    retry = FakeCreate(ticket())
    for _ in range(2):
        with pytest.raises(replayed) as again:
            await idempotency.run(call(), retry)
        assert again.value.message == UNKNOWN_OUTCOME_MESSAGE
        assert again.value.outcome_unknown
    assert retry.calls == 0


async def test_a_retry_waiting_on_a_first_that_ends_unknown_gets_that_error(
    subject: StoreUnderTest,
) -> None:
    idempotency = subject.idempotency()
    create = FakeCreate(unknown(ItsmTimeout("cut short")), held=True)
    first = asyncio.create_task(idempotency.run(call(), create))
    await eventually(lambda: create.calls == 1)
    retry = asyncio.create_task(idempotency.run(call(), create))
    create.release()
    with pytest.raises(ItsmTimeout):
        await first
    with pytest.raises(ItsmTimeout) as waited:
        await retry
    assert waited.value.message == UNKNOWN_OUTCOME_MESSAGE
    assert create.calls == 1


async def test_a_retry_waiting_on_a_first_that_fails_definitely_tries_itself(
    subject: StoreUnderTest,
) -> None:
    watched = Watched(subject.store)
    idempotency = Idempotency(
        watched, wait_seconds=60, lease_seconds=LEASE, clock=subject.wall, first_poll_seconds=0.001
    )
    failing = FakeCreate(RateLimited("slow down"), held=True)
    first = asyncio.create_task(idempotency.run(call(), failing))
    await eventually(lambda: failing.calls == 1)
    succeeding = FakeCreate(ticket())
    retry = asyncio.create_task(idempotency.run(call(), succeeding))
    await eventually(lambda: watched.refused >= 1)
    failing.release()
    with pytest.raises(RateLimited):
        await first
    assert await retry == ticket()
    assert succeeding.calls == 1


async def test_a_retry_that_waited_its_whole_deadline_is_told_the_first_is_in_progress(
    subject: StoreUnderTest,
) -> None:
    create = FakeCreate(ticket(), held=True)
    first = asyncio.create_task(subject.idempotency().run(call(), create))
    await eventually(lambda: create.calls == 1)
    with pytest.raises(Conflict) as waited:
        await subject.idempotency(wait_seconds=0).run(call(), create)
    assert "still in progress" in waited.value.message
    assert waited.value.headers == {"Retry-After": "1"}
    create.release()
    await first
    assert create.calls == 1


async def test_a_claim_whose_owner_vanished_reads_as_unknown_after_its_lease(
    subject: StoreUnderTest,
) -> None:
    create = FakeCreate(ticket(), held=True)  # the owner never finishes: as if it crashed
    first = asyncio.create_task(subject.idempotency().run(call(), create))
    await eventually(lambda: create.calls == 1)
    subject.wall.now += LEASE + 1
    with pytest.raises(ItsmTimeout) as vanished:
        await subject.idempotency().run(call(), FakeCreate(ticket()))
    assert vanished.value.message == UNKNOWN_OUTCOME_MESSAGE
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    # A cancelled create may have reached the ITSM: the key stays "outcome unknown".
    with pytest.raises(ItsmError, match="without a clear answer"):
        await subject.idempotency().run(call(), FakeCreate(ticket()))
    assert create.calls == 1


class LostReply(Watched):
    """A claim whose reply was lost and that the client sent again: the second finds the first."""

    async def claim(self, key: str, value: str) -> str | None:
        await self._store.claim(key, value)
        return await self._store.claim(key, value)


async def test_a_claim_sent_twice_is_still_the_same_request_s(subject: StoreUnderTest) -> None:
    idempotency = Idempotency(
        LostReply(subject.store), wait_seconds=60, lease_seconds=LEASE, clock=subject.wall
    )
    create = FakeCreate(ticket())
    assert await idempotency.run(call(), create) == ticket()
    assert create.calls == 1
