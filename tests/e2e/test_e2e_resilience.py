"""Retries, unknown write outcomes, 429s and the circuit breaker over real HTTP: a gateway with the
default ``ResiliencePolicy`` (the settings' defaults) in front of the ServiceNow emulator, whose
fault switches fail, throttle and drop requests.

Each test gets its own emulator (its own URL, so its own breaker in the gateway) and counts the
requests that emulator saw.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

import gateway.app as gateway_app
from emulators.servicenow import EmulatorState, seed
from emulators.servicenow import create_app as create_emulator_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS
from tests.support.servers import serving, wait_until_ready

doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
REST = DOORS[0]
NEW = {"short_description": "Storage array degraded"}
UNKNOWN_WORDS = ("may have been applied", "did not send it again", "before retrying")


@pytest.fixture(scope="module")
async def gateway_url(stack: Stack) -> AsyncIterator[str]:
    """A gateway as production builds it: retries, breaker and limits from the settings."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        itsm_read_timeout_seconds=5.0,
    )
    app = gateway_app.create_app(settings)
    async with serving(app) as url:
        await wait_until_ready(url)
        yield url


@pytest.fixture
async def itsm(stack: Stack, gateway_url: str) -> AsyncIterator[Stack]:
    """The stack, but through the resilient gateway to a fresh emulator of this test's own."""
    state = EmulatorState()
    async with serving(create_emulator_app(state)) as url:
        yield dataclasses.replace(stack, gateway_url=gateway_url, emulator_url=url, emulator=state)


def incident_calls(itsm: Stack, method: str) -> list[Any]:
    return [r for r in itsm.table_requests("incident") if r.method == method]


def created(itsm: Stack) -> list[dict[str, str]]:
    return [
        r
        for r in itsm.emulator.records("incident")
        if r["short_description"] == NEW["short_description"]
    ]


@doors
async def test_a_fetch_succeeds_after_two_5xx(itsm: Stack, door: Any) -> None:
    itsm.emulator.faults.fail_next = 2

    outcome = await door.fetch(itsm, seed.INC_NEW[0], fields=["ticketNumber", "sysId"])

    assert outcome.status == 200, outcome.message
    assert outcome.details == {"ticketNumber": seed.INC_NEW[0], "sysId": seed.INC_NEW[1]}
    assert len(incident_calls(itsm, "GET")) == 3


@doors
async def test_a_create_whose_connection_dropped_is_not_resent(itsm: Stack, door: Any) -> None:
    itsm.emulator.faults.merge({"drop_next": 1, "drop_after_write": True})

    outcome = await door.create(itsm, NEW, fields=["sysId"])

    assert outcome.status == 502
    assert "ServiceNow" in outcome.message
    assert "closed the connection" in outcome.message
    for words in UNKNOWN_WORDS:
        assert words in outcome.message
    assert outcome.details == {}
    assert len(created(itsm)) == 1  # the emulator applied it; the gateway did not send it again
    assert len(incident_calls(itsm, "POST")) == 1


@doors
async def test_a_create_throttled_briefly_is_retried_and_succeeds(itsm: Stack, door: Any) -> None:
    itsm.emulator.faults.merge({"throttle_next": 1, "throttle_retry_after_s": 1})

    outcome = await door.create(itsm, NEW, fields=["sysId"])

    assert outcome.status == (201 if door.name == "rest" else 200), outcome.message
    [row] = created(itsm)
    assert outcome.details == {"sysId": row["sys_id"]}
    assert len(incident_calls(itsm, "POST")) == 2


async def test_a_long_retry_after_is_passed_on_without_waiting(itsm: Stack) -> None:
    itsm.emulator.faults.merge({"throttle_next": 1, "throttle_retry_after_s": 120})
    outcome = await REST.fetch(itsm, seed.INC_NEW[0], fields=["sysId"])

    assert outcome.status == 429
    assert outcome.response is not None
    assert outcome.response.headers["Retry-After"] == "120"
    assert len(incident_calls(itsm, "GET")) == 1


async def test_after_five_failing_calls_the_breaker_answers_503_without_calling(
    itsm: Stack,
) -> None:
    itsm.emulator.faults.fail_status = 500
    for _ in range(5):
        failed = await REST.fetch(itsm, seed.INC_NEW[0], fields=["sysId"])
        assert failed.status == 502, failed.message
    assert len(itsm.table_requests()) == 15  # each fetch: one call, sent three times

    for door in DOORS:
        outcome = await door.fetch(itsm, seed.INC_NEW[0], fields=["sysId"])

        assert outcome.status == 503, outcome.message
        assert "stopped calling it after 5 failures in a row" in outcome.message
        assert itsm.emulator_url.removeprefix("http://") in outcome.message
        assert outcome.response is not None
        assert 0 < int(outcome.response.headers["Retry-After"]) <= 30
    assert len(itsm.table_requests()) == 15  # the emulator saw nothing more
