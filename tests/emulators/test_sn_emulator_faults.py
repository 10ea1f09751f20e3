"""Fault switches and the control API, over real HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulators.servicenow import seed

if TYPE_CHECKING:  # for the annotations only: pytest gives the fixtures
    from tests.emulators.conftest import Emulator


async def test_hourly_limit_refuses_with_rate_limit_headers(emulator: Emulator) -> None:
    emulator.state.faults.hourly_limit = 2
    url = emulator.table("incident")
    first = await emulator.http.get(url)
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert (await emulator.http.get(url)).status_code == 200
    refused = await emulator.http.get(url)
    assert refused.status_code == 429
    assert refused.json()["error"]["message"] == "Rate limit exceeded"
    assert refused.json()["status"] == "failure"
    # The clock is at 17:00:00 UTC; the limit resets at 18:00:00.
    assert refused.headers["Retry-After"] == "3600"
    assert refused.headers["X-RateLimit-Reset"] == "1773252000"
    assert refused.headers["X-RateLimit-Rule"]
    assert len(emulator.state.requests) == 3  # refused requests are recorded too
    emulator.clock.advance(hours=1)
    assert (await emulator.http.get(url)).status_code == 200


async def test_journal_forbidden_refuses_journal_reads_only(emulator: Emulator) -> None:
    await emulator.anonymous.post(
        f"{emulator.url}/_emulator/faults", json={"journal_forbidden": True}
    )
    refused = await emulator.http.get(emulator.table("sys_journal_field"))
    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "message": "Insufficient rights to query records",
            "detail": "Field(s) present in the query do not have permission to be read",
        },
        "status": "failure",
    }
    shown = await emulator.http.get(
        emulator.table("incident", seed.INC_DST[1]),
        params={"sysparm_display_value": "true", "sysparm_fields": "comments"},
    )
    assert "Beth Anglin (Additional comments)" in shown.json()["result"]["comments"]


async def test_hibernating_instance_answers_html_with_200(emulator: Emulator) -> None:
    emulator.state.faults.hibernating = True
    for response in (
        await emulator.http.get(emulator.table("incident")),
        await emulator.anonymous.post(emulator.table("incident", "x", v2=True), json={}),
    ):
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/html")
        assert "hibernating" in response.text
    assert len(emulator.state.requests) == 2


async def test_fail_status_and_fail_next(emulator: Emulator) -> None:
    url = emulator.table("incident")
    emulator.state.faults.fail_next = 2
    statuses = [(await emulator.http.get(url)).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    emulator.state.faults.fail_status = 503
    failed = await emulator.http.get(url)
    assert failed.status_code == 503
    assert failed.json() == {
        "error": {"message": "Service Unavailable", "detail": None},
        "status": "failure",
    }
    assert failed.headers["Content-Type"] == "application/json;charset=UTF-8"


async def test_latency_still_answers(emulator: Emulator) -> None:
    emulator.state.faults.latency_ms = 20
    assert (await emulator.http.get(emulator.table("incident"))).status_code == 200


async def test_control_api_round_trip(emulator: Emulator) -> None:
    control = f"{emulator.url}/_emulator"
    await emulator.http.get(emulator.table("incident", seed.INC_NEW[1]))
    await emulator.http.patch(
        emulator.table("incident", seed.INC_NEW[1]), json={"description": "changed"}
    )
    logged = (await emulator.anonymous.get(f"{control}/requests")).json()
    assert [(r["method"], r["table"], r["sys_id"], r["account"]) for r in logged] == [
        ("GET", "incident", seed.INC_NEW[1], "gateway.integration"),
        ("PATCH", "incident", seed.INC_NEW[1], "gateway.integration"),
    ]
    assert logged[1]["json"] == {"description": "changed"}

    faults = await emulator.anonymous.post(
        f"{control}/faults", json={"latency_ms": 0, "fail_next": 1}
    )
    assert faults.json() == {
        "latency_ms": 0,
        "hourly_limit": None,
        "journal_forbidden": False,
        "hibernating": False,
        "fail_status": None,
        "fail_next": 1,
    }
    bad = await emulator.anonymous.post(f"{control}/faults", json={"fail_status": 404})
    assert bad.status_code == 400
    assert (await emulator.anonymous.get(f"{control}/faults")).json()["fail_next"] == 1

    records = (await emulator.anonymous.get(f"{control}/records/incident")).json()
    assert next(r for r in records if r["sys_id"] == seed.INC_NEW[1])["description"] == "changed"
    assert (await emulator.anonymous.get(f"{control}/records/nope")).status_code == 404

    assert (await emulator.anonymous.delete(f"{control}/requests")).status_code == 204
    assert (await emulator.anonymous.get(f"{control}/requests")).json() == []

    await emulator.anonymous.post(f"{control}/config", json={"date_format": "dd-MM-yyyy"})
    assert (await emulator.anonymous.post(f"{control}/reset")).status_code == 204
    assert emulator.state.faults.fail_next == 0
    assert emulator.state.config.date_format == "yyyy-MM-dd"
    reseeded = {r["sys_id"]: r for r in emulator.state.records("incident")}
    assert reseeded[seed.INC_NEW[1]]["description"] != "changed"
    assert emulator.state.requests == []


async def test_config_refuses_bad_values(emulator: Emulator) -> None:
    control = f"{emulator.url}/_emulator/config"
    for body in ({"time_zone": "Nowhere/Land"}, {"time_format": "HH:mm:ss zzz"}, {"colour": "x"}):
        assert (await emulator.anonymous.post(control, json=body)).status_code == 400
    assert (await emulator.anonymous.get(control)).json() == {
        "time_zone": "America/Los_Angeles",
        "date_format": "yyyy-MM-dd",
        "time_format": "HH:mm:ss",
        "token_lifetime_s": 1799,
    }
