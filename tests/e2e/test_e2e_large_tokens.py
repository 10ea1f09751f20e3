"""Issue 17, item 1, over real HTTP: an access token of a user in many groups (20 KB, signed by
the issuer as Keycloak signs) is accepted end to end, on both doors, up to
``ITSM_GATEWAY_HTTP_MAX_HEADER_BYTES`` (32 KB by default)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, Door


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_20_kb_access_token_is_accepted(stack: Stack, door: Door) -> None:
    assert stack.issuer is not None
    groups = [f"/smartops/region-{i:04d}/team-{i:04d}" for i in range(500)]  # about 20 KB
    token = stack.issuer.mint("many.groups", extra_claims={"groups": groups})
    assert 20_000 <= len(token) <= 32_000
    outcome = await door.fetch(
        stack, "INC0010001", ["ticketNumber"], headers={"Authorization": f"Bearer {token}"}
    )
    assert outcome.status == 200, outcome.message
