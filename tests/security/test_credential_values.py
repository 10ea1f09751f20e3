"""Issue 13, item 9 (credentials): a credential value that cannot travel as the ITSM needs it is
the caller's mistake (400 naming the key, never the value), not a 500, on both doors; nothing is
sent to the ITSM."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.doors import DOORS, Door

CASES: dict[str, tuple[dict[str, Any], str]] = {
    "newline-in-password": ({"password": "pass\nword"}, "password holds a control character"),
    "nul-in-username": ({"username": "gw\x00user"}, "username holds a control character"),
    "del-in-password": ({"password": "pass\x7fword"}, "control character"),
    "non-ascii-token": (
        {"authType": "bearer", "token": "tök-1234", "username": None, "password": None},
        "token must be visible ASCII",
    ),
    "space-in-api-key": (
        {"authType": "api_key", "apiKey": "abc def", "username": None, "password": None},
        "apiKey must be visible ASCII",
    ),
    "colon-in-basic-user": ({"username": "svc:gw"}, "cannot hold a colon"),
}


@pytest.mark.parametrize("door", DOORS, ids=lambda d: d.name)
@pytest.mark.parametrize("case", sorted(CASES))
async def test_an_unsendable_credential_is_400_naming_the_key(
    stack: Stack, door: Door, case: str
) -> None:
    overrides, words = CASES[case]
    outcome = await door.fetch(stack, "INC0010001", ["ticketNumber"], stack.connection(**overrides))
    assert outcome.status == 400, outcome.message
    assert words in outcome.message
    for value in overrides.values():
        if isinstance(value, str) and len(value) > 4:
            assert value not in outcome.message  # never the value: it may be a secret
    assert stack.emulator.requests == []
