"""The fault-run switches over real HTTP: dropped connections (with and without the write
applied), throttling with a short Retry-After, and seeded failure rates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from emulators.servicenow import Faults, seed

if TYPE_CHECKING:  # for the annotations only: pytest gives the fixtures
    from tests.emulators.conftest import Emulator

NEW = {"short_description": "Printer on fire"}


def incidents(emulator: Emulator, short_description: str) -> list[dict[str, str]]:
    return [
        r for r in emulator.state.records("incident") if r["short_description"] == short_description
    ]


async def test_drop_next_closes_the_connection_without_answering(emulator: Emulator) -> None:
    emulator.state.faults.drop_next = 1
    url = emulator.table("incident", seed.INC_NEW[1])

    with pytest.raises(httpx.RemoteProtocolError):
        await emulator.http.get(url)

    assert (await emulator.http.get(url)).status_code == 200  # only the next one
    assert [r.method for r in emulator.state.requests] == ["GET", "GET"]  # both recorded
    assert emulator.state.faults.drop_next == 0


async def test_a_dropped_write_is_applied_first_with_drop_after_write(emulator: Emulator) -> None:
    emulator.state.faults.merge({"drop_next": 1, "drop_after_write": True})

    with pytest.raises(httpx.RemoteProtocolError):
        await emulator.http.post(emulator.table("incident"), json=NEW)

    [row] = incidents(emulator, NEW["short_description"])
    assert row["sys_created_by"] == "gateway.integration"
    assert emulator.state.requests[0].json == NEW


async def test_a_dropped_write_is_not_applied_without_drop_after_write(
    emulator: Emulator,
) -> None:
    emulator.state.faults.drop_next = 1

    with pytest.raises(httpx.RemoteProtocolError):
        await emulator.http.post(emulator.table("incident"), json=NEW)

    assert incidents(emulator, NEW["short_description"]) == []


async def test_a_dropped_update_is_applied_first_with_drop_after_write(emulator: Emulator) -> None:
    emulator.state.faults.merge({"drop_next": 1, "drop_after_write": True})
    sys_id = seed.INC_NEW[1]

    with pytest.raises(httpx.RemoteProtocolError):
        await emulator.http.patch(emulator.table("incident", sys_id), json={"impact": "1"})

    [row] = [r for r in emulator.state.records("incident") if r["sys_id"] == sys_id]
    assert row["impact"] == "1"


async def test_throttle_next_answers_429_with_a_short_retry_after(emulator: Emulator) -> None:
    await emulator.anonymous.post(
        f"{emulator.url}/_emulator/faults",
        json={"throttle_next": 1, "throttle_retry_after_s": 2},
    )

    refused = await emulator.http.post(emulator.table("incident"), json=NEW)
    accepted = await emulator.http.post(emulator.table("incident"), json=NEW)

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert refused.json()["error"]["message"] == "Rate limit exceeded"
    assert refused.json()["status"] == "failure"
    assert accepted.status_code == 201
    assert len(incidents(emulator, NEW["short_description"])) == 1  # a 429 writes nothing


async def test_throttling_comes_after_authentication(emulator: Emulator) -> None:
    emulator.state.faults.throttle_next = 1

    anonymous = await emulator.anonymous.get(emulator.table("incident"))

    assert anonymous.status_code == 401
    assert emulator.state.faults.throttle_next == 1  # not consumed by a refused caller


async def test_fail_rate_one_fails_every_request_before_writing(emulator: Emulator) -> None:
    emulator.state.faults.fail_rate = 1.0

    answer = await emulator.http.post(emulator.table("incident"), json=NEW)

    assert answer.status_code == 500
    assert incidents(emulator, NEW["short_description"]) == []


async def outcomes(emulator: Emulator, count: int) -> list[str]:
    seen = []
    for _ in range(count):
        try:
            seen.append(str((await emulator.http.get(emulator.table("sys_user"))).status_code))
        except httpx.RemoteProtocolError:
            seen.append("dropped")
    return seen


async def test_the_same_seed_gives_the_same_faults(emulator: Emulator) -> None:
    rates = {"fail_rate": 0.2, "throttle_rate": 0.2, "drop_rate": 0.2}
    control = f"{emulator.url}/_emulator/faults"

    await emulator.anonymous.post(control, json={**rates, "seed": 42})
    first = await outcomes(emulator, 30)
    await emulator.anonymous.post(control, json={"seed": 42})  # restart the sequence
    second = await outcomes(emulator, 30)

    assert first == second
    assert {"500", "429", "dropped", "200"} <= set(first)


def test_rates_draw_nothing_while_off() -> None:
    """Turning one rate on does not shift the sequence another rate sees."""
    alone = Faults(seed=3, drop_rate=0.5)
    with_others_off = Faults(seed=3, drop_rate=0.5, fail_rate=0.0)
    assert [alone.take_drop() for _ in range(20)] == [
        with_others_off.take_drop() for _ in range(20)
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"drop_rate": 1.5},
        {"fail_rate": -0.1},
        {"throttle_rate": True},
        {"drop_after_write": 1},
        {"drop_next": -1},
        {"seed": "seven"},
        {"throttle_retry_after_s": 1.5},
    ],
)
async def test_bad_fault_values_are_refused_and_change_nothing(
    emulator: Emulator, bad: dict
) -> None:
    answer = await emulator.anonymous.post(
        f"{emulator.url}/_emulator/faults", json={"drop_next": 3, **bad}
    )

    assert answer.status_code == 400
    assert emulator.state.faults.drop_next == 0


async def test_the_control_api_shows_fault_run_switches_once_set(emulator: Emulator) -> None:
    control = f"{emulator.url}/_emulator/faults"
    assert "drop_rate" not in (await emulator.anonymous.get(control)).json()

    shown = (
        await emulator.anonymous.post(
            control, json={"drop_rate": 0.1, "drop_after_write": True, "seed": 7}
        )
    ).json()

    assert shown["drop_rate"] == 0.1
    assert shown["drop_after_write"] is True
    assert shown["seed"] == 7
    assert shown["fail_next"] == 0  # the original switches are always there

    await emulator.anonymous.post(f"{emulator.url}/_emulator/reset")
    assert "drop_rate" not in (await emulator.anonymous.get(control)).json()
