"""Display values follow the signed-in user's ``sys_user.time_zone``, then the instance's
``glide.sys.default.tz``, then UTC (``emulators.servicenow.session``)."""

from __future__ import annotations

from emulators.servicenow import seed
from tests.emulators.conftest import Emulator

# INC_RESOLVED's opened_at is stored as 2026-02-10 17:00:00 UTC.
OPENED_AT = {"sysparm_display_value": "all", "sysparm_fields": "opened_at"}


async def opened_at(emulator: Emulator) -> dict[str, str]:
    response = await emulator.http.get(
        emulator.table("incident", seed.INC_RESOLVED[1]), params=OPENED_AT
    )
    assert response.status_code == 200
    result: dict[str, str] = response.json()["result"]["opened_at"]
    return result


def integration_user(emulator: Emulator) -> dict[str, str]:
    user = emulator.state.find_row("sys_user", "user_name", "gateway.integration")
    assert user is not None
    return user


async def test_display_values_are_in_the_signed_in_users_zone(emulator: Emulator) -> None:
    assert (await opened_at(emulator))["display_value"] == "2026-02-10 09:00:00"  # PST
    integration_user(emulator)["time_zone"] = "Asia/Kolkata"
    assert await opened_at(emulator) == {
        "display_value": "2026-02-10 22:30:00",
        "value": "2026-02-10 17:00:00",
    }


async def test_an_empty_user_zone_is_the_instance_default_then_utc(emulator: Emulator) -> None:
    integration_user(emulator)["time_zone"] = ""
    default = emulator.state.find_row("sys_properties", "name", "glide.sys.default.tz")
    assert default is not None
    default["value"] = "Europe/Paris"
    assert (await opened_at(emulator))["display_value"] == "2026-02-10 18:00:00"
    default["value"] = ""
    assert (await opened_at(emulator))["display_value"] == "2026-02-10 17:00:00"


async def test_the_journal_display_text_follows_the_users_zone(emulator: Emulator) -> None:
    integration_user(emulator)["time_zone"] = "UTC"
    response = await emulator.http.get(
        emulator.table("incident", seed.INC_DST[1]),
        params={"sysparm_display_value": "true", "sysparm_fields": "comments"},
    )
    assert (
        "2026-03-07 18:30:00 - Beth Anglin (Additional comments)"
        in (response.json()["result"]["comments"])
    )


async def test_the_instance_default_zone_is_readable(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("sys_properties"),
        params={"sysparm_query": "name=glide.sys.default.tz", "sysparm_fields": "name,value"},
    )
    assert response.json()["result"] == [
        {"name": "glide.sys.default.tz", "value": "America/Los_Angeles"}
    ]
