"""Idempotent create over real HTTP, through both doors: a create retried with the same
``Idempotency-Key`` answers the first ticket and the emulator holds one incident, also when the
retries arrive while the first is in flight, or land on another gateway process that shares the
keys through a real Redis.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, Outcome
from tests.support.redis import RedisServer, running_redis
from tests.support.servers import serving, wait_until_ready

UNKNOWN = (
    "the first create with this Idempotency-Key ended without a clear answer from the ITSM; it "
    "may have created a ticket: check before creating again, or use a new key"
)


def new_incident() -> dict[str, str]:
    """A body no other test writes, so its incidents can be counted."""
    return {"short_description": f"Idempotency {uuid.uuid4().hex[:12]}", "urgency": "2"}


def keyed(key: str | None = None) -> dict[str, str]:
    return {"Idempotency-Key": key or str(uuid.uuid4())}


def incidents(stack: Stack, body: dict[str, str]) -> list[dict[str, str]]:
    return [
        r
        for r in stack.emulator.records("incident")
        if r["short_description"] == body["short_description"]
    ]


def posts(stack: Stack) -> int:
    return sum(1 for r in stack.writes() if r.method == "POST" and r.table == "incident")


async def eventually(condition: Callable[[], bool]) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never held")


def created(door: Any, outcome: Outcome) -> None:
    assert outcome.status == (201 if door.name == "rest" else 200), outcome.message
    assert outcome.details["sysId"]


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_retried_create_answers_the_first_ticket(stack: Stack, door: Any) -> None:
    body, headers = new_incident(), keyed()
    first = await door.create(stack, body, headers=headers)
    retry = await door.create(stack, body, headers=headers)
    created(door, first)
    assert (retry.status, retry.message, retry.details) == (
        first.status,
        first.message,
        first.details,
    )
    [incident] = incidents(stack, body)
    assert incident["sys_id"] == first.details["sysId"]
    assert posts(stack) == 1


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_without_a_key_a_second_create_creates_a_second_ticket(
    stack: Stack, door: Any
) -> None:
    body = new_incident()
    first, second = await door.create(stack, body), await door.create(stack, body)
    assert first.details["sysId"] != second.details["sysId"]
    assert len(incidents(stack, body)) == 2


async def test_a_retry_through_the_other_door_answers_the_same_ticket(stack: Stack) -> None:
    rest, graphql = DOORS
    body, headers = new_incident(), keyed()
    first = await rest.create(stack, body, headers=headers)
    retry = await graphql.create(stack, body, headers=headers)
    created(rest, first)
    created(graphql, retry)
    assert retry.details == first.details
    assert len(incidents(stack, body)) == 1


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_ten_concurrent_creates_with_one_key_make_one_incident(
    stack: Stack, door: Any
) -> None:
    stack.emulator.faults.latency_ms = 300  # the first is still in flight when the rest arrive
    body, headers = new_incident(), keyed()
    outcomes = await asyncio.gather(*(door.create(stack, body, headers=headers) for _ in range(10)))
    created(door, outcomes[0])
    assert [(o.status, o.message, o.details) for o in outcomes] == [
        (outcomes[0].status, outcomes[0].message, outcomes[0].details)
    ] * 10
    assert len(incidents(stack, body)) == 1
    assert posts(stack) == 1


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_the_same_key_with_another_body_is_409(stack: Stack, door: Any) -> None:
    key = str(uuid.uuid4())
    first = await door.create(stack, new_incident(), headers=keyed(key))
    other = await door.create(stack, new_incident(), headers=keyed(key))
    created(door, first)
    assert other.status == 409
    assert other.message == f"Idempotency-Key {key} was used with a different request"
    assert posts(stack) == 1


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_malformed_key_is_400_naming_the_header(stack: Stack, door: Any) -> None:
    outcome = await door.create(stack, new_incident(), headers=keyed("k" * 256))
    assert outcome.status == 400
    assert "Idempotency-Key" in outcome.message
    assert posts(stack) == 0


# -- a first create without a clear answer ---------------------------------------------------


@pytest.fixture
async def impatient(stack: Stack) -> AsyncIterator[Stack]:
    """A second gateway on the same emulator whose deadline is shorter than the ITSM's latency."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        request_deadline_seconds=0.3,
    )
    async with serving(create_app(settings)) as url:
        await wait_until_ready(url)
        yield dataclasses.replace(stack, gateway_url=url)


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_create_cut_short_by_the_deadline_is_never_sent_again(
    stack: Stack, impatient: Stack, door: Any
) -> None:
    stack.emulator.faults.latency_ms = 1000
    body, headers = new_incident(), keyed()
    first = await door.create(impatient, body, headers=headers)
    assert first.status == 504
    retry = await door.create(impatient, body, headers=headers)
    assert (retry.status, retry.message) == (504, UNKNOWN)
    # The ITSM did create it after the gateway stopped waiting: exactly once.
    await eventually(lambda: len(incidents(stack, body)) == 1)
    assert posts(stack) == 1


# -- two gateway processes sharing one Redis -------------------------------------------------


@pytest.fixture(scope="session")
async def redis_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RedisServer]:
    async with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
async def two_gateways(
    stack: Stack, redis_server: RedisServer
) -> AsyncIterator[tuple[Stack, Stack]]:
    """Two gateways built as production builds them, each with its own Redis client."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        redis_url=redis_server.url,
    )
    async with serving(create_app(settings)) as one, serving(create_app(settings)) as two:
        await wait_until_ready(one)
        await wait_until_ready(two)
        yield (
            dataclasses.replace(stack, gateway_url=one),
            dataclasses.replace(stack, gateway_url=two),
        )


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_retry_landing_on_the_other_gateway_answers_the_first_ticket(
    stack: Stack, two_gateways: tuple[Stack, Stack], door: Any
) -> None:
    one, two = two_gateways
    body, headers = new_incident(), keyed()
    first = await door.create(one, body, headers=headers)
    retry = await door.create(two, body, headers=headers)
    created(door, first)
    assert (retry.status, retry.details) == (first.status, first.details)
    conflict = await door.create(two, new_incident(), headers=headers)
    assert conflict.status == 409
    assert len(incidents(stack, body)) == 1


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_retry_on_the_other_gateway_while_the_first_is_in_flight_waits_for_it(
    stack: Stack, two_gateways: tuple[Stack, Stack], door: Any
) -> None:
    one, two = two_gateways
    stack.emulator.faults.latency_ms = 500
    body, headers = new_incident(), keyed()
    first = asyncio.create_task(door.create(one, body, headers=headers))
    await eventually(lambda: posts(stack) == 1)  # the first reached the ITSM
    retry = await door.create(two, body, headers=headers)
    created(door, await first)
    assert retry.details == (await first).details
    assert len(incidents(stack, body)) == 1
    assert posts(stack) == 1
