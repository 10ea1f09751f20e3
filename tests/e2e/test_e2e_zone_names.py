"""Issue 17, item 6, through both doors: an IANA zone name in any case is the zone; a name that
would mean the gateway host's own zone is a 400 naming the field, before any ITSM call."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, Door

doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)


@doors
@pytest.mark.parametrize("zone", ["america/los_angeles", "AMERICA/LOS_ANGELES"])
async def test_a_zone_name_in_any_case_is_accepted(stack: Stack, door: Door, zone: str) -> None:
    outcome = await door.fetch(stack, "INC0010001", ["ticketNumber"], zone=zone)
    assert outcome.status == 200, outcome.message


@doors
@pytest.mark.parametrize("zone", ["localtime", "LOCALTIME"])
async def test_the_hosts_own_zone_is_refused(stack: Stack, door: Door, zone: str) -> None:
    outcome = await door.fetch(stack, "INC0010001", ["ticketNumber"], zone=zone)
    assert outcome.status == 400
    assert "itsmTimeZoneOffset" in outcome.message and "gateway host" in outcome.message
    assert stack.emulator.requests == []


@doors
@pytest.mark.parametrize("zone", ["-13:00", "-14:00", "+14:30"])
async def test_an_offset_no_zone_has_is_refused_naming_the_range(
    stack: Stack, door: Door, zone: str
) -> None:
    """Issue 18, item 10: the gateway accepts exactly the range its message names."""
    outcome = await door.fetch(stack, "INC0010001", ["ticketNumber"], zone=zone)
    assert outcome.status == 400
    assert "itsmTimeZoneOffset" in outcome.message and "-12:00 to +14:00" in outcome.message
    assert stack.emulator.requests == []


@doors
@pytest.mark.parametrize("zone", ["-12:00", "+14:00", "z"])
async def test_the_ends_of_the_range_are_accepted(stack: Stack, door: Door, zone: str) -> None:
    outcome = await door.fetch(stack, "INC0010001", ["ticketNumber"], zone=zone)
    assert outcome.status == 200, outcome.message
