"""Issue 13, item 9, over real HTTP through both doors: what reaches an ITSM query is held to an
allow-list, not a deny-list. A ticket number or record id must match its tool's own pattern, with
the same limits on both doors; anything else is a 400 naming the field, and nothing reaches the
ITSM."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, Door

doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)

NUMBERS = [
    "javascript:gs.getUser()",
    "INC0010001^ORnumberISNOTEMPTY",
    "INC0010001^NQactive=true",
    "INC0010001,INC0010002",
    "INC0010001\nINC0010002",
    "INC 0010001",
    "INC0010001%5E",
    "../../sys_user",
    "INC" + "0" * 40,  # longer than a number can be
    "I" * 32_768,  # 32 KB: refused alike by both doors
]


@doors
@pytest.mark.parametrize("number", NUMBERS, ids=range(len(NUMBERS)))
async def test_a_number_outside_the_tools_pattern_is_refused(
    stack: Stack, door: Door, number: str
) -> None:
    outcome = await door.fetch(stack, number, ["ticketNumber"])
    assert outcome.status == 400, outcome.message
    assert "ticketNumber" in outcome.message
    assert stack.emulator.requests == []


@doors
@pytest.mark.parametrize("sys_id", ["a" * 31, "a" * 33, "g" * 32, "a" * 31 + "^", "a" * 31 + "\n"])
async def test_a_record_id_outside_the_tools_pattern_is_refused(
    stack: Stack, door: Door, sys_id: str
) -> None:
    outcome = await door.update(stack, sys_id, {"short_description": "x"}, ["sysId"])
    assert outcome.status == 400, outcome.message
    assert "sysId" in outcome.message
    assert stack.emulator.requests == []


@doors
async def test_a_number_in_the_pattern_reaches_the_itsm(stack: Stack, door: Door) -> None:
    assert (await door.fetch(stack, "inc0010001", ["ticketNumber"])).status == 200


@doors
@pytest.mark.parametrize(
    "column", ["SYS_ID", " sys_created_by", "Sys_Updated_On", "PRIORITY", " number ", "sys_domain"]
)
async def test_system_columns_are_refused_whatever_their_case_or_spaces(
    stack: Stack, door: Door, column: str
) -> None:
    outcome = await door.create(stack, {"short_description": "x", column: "1"}, ["sysId"])
    assert outcome.status == 400, outcome.message
    assert "set by ServiceNow" in outcome.message
    assert stack.writes() == []


@doors
@pytest.mark.parametrize("state", ["06", " 6 ", "Resolved", "RESOLVED", "7"])
async def test_a_resolving_state_is_recognised_however_written(
    stack: Stack, door: Door, state: str
) -> None:
    outcome = await door.create(stack, {"short_description": "x", "state": state}, ["sysId"])
    assert outcome.status == 400, outcome.message
    assert "close_code and close_notes" in outcome.message
    assert stack.writes() == []
