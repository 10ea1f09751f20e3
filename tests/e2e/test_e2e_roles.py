"""Roles through both doors: reading needs a read role, writing a write role (realm roles or
``client:role``); a refusal is HTTP 403 with ``insufficient_scope`` on both doors, and writes
nothing. Tokens come from the development issuer; tests/keycloak repeats this with a real realm."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from emulators.servicenow import seed
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, Outcome
from tests.support.servers import serving, wait_until_ready


@pytest.fixture(scope="module")
async def guarded(stack: Stack) -> AsyncIterator[Stack]:
    """The same stack, behind a gateway that requires roles."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        read_roles=("itsm-reader", "itsm-writer"),
        write_roles=("itsm-writer", "itsm-gateway:ticket-admin"),
    )
    async with serving(create_app(settings)) as url:
        await wait_until_ready(url)
        yield replace(stack, gateway_url=url)


def token(stack: Stack, *roles: str, client_roles: dict[str, list[str]] | None = None) -> str:
    assert stack.issuer is not None
    return stack.issuer.mint("someone", roles=list(roles), client_roles=client_roles)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def assert_forbidden(outcome: Outcome, *words: str) -> None:
    assert outcome.status == 403
    assert outcome.response is not None
    assert outcome.response.status_code == 403
    assert outcome.response.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
    if outcome.code is not None:
        assert outcome.code == "FORBIDDEN"
    for word in words:
        assert word in outcome.message


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_reader_can_fetch_but_not_write(guarded: Stack, door: Any) -> None:
    reader = bearer(token(guarded, "itsm-reader"))
    fetched = await door.fetch(guarded, "INC0010001", ["ticketNumber"], headers=reader)
    assert (fetched.status, fetched.details) == (200, {"ticketNumber": "INC0010001"})

    created = await door.create(guarded, {"short_description": "x"}, headers=reader)
    assert_forbidden(created, "write needs one of the roles", "itsm-writer", "someone")
    updated = await door.update(guarded, seed.INC_NEW[1], {"urgency": "1"}, headers=reader)
    assert_forbidden(updated, "itsm-gateway:ticket-admin")
    assert guarded.writes() == []


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_writer_can_do_all_three(guarded: Stack, door: Any) -> None:
    writer = bearer(token(guarded, "itsm-writer"))
    assert (await door.fetch(guarded, "INC0010001", ["sysId"], headers=writer)).status == 200
    created = await door.create(guarded, {"short_description": "x"}, ["sysId"], headers=writer)
    assert created.status in (200, 201)
    updated = await door.update(
        guarded, created.details["sysId"], {"urgency": "1"}, ["urgency"], headers=writer
    )
    assert updated.details == {"urgency": "1 - High"}


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_client_role_counts_for_its_client_only(guarded: Stack, door: Any) -> None:
    admin = bearer(token(guarded, client_roles={"itsm-gateway": ["ticket-admin"]}))
    created = await door.create(guarded, {"short_description": "x"}, ["sysId"], headers=admin)
    assert created.status in (200, 201)
    elsewhere = bearer(token(guarded, "itsm-reader", client_roles={"other": ["ticket-admin"]}))
    assert_forbidden(await door.create(guarded, {"short_description": "x"}, headers=elsewhere))


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_no_role_at_all_cannot_even_read(guarded: Stack, door: Any) -> None:
    outcome = await door.fetch(guarded, "INC0010001", headers=bearer(token(guarded)))
    assert_forbidden(outcome, "read needs one of the roles itsm-reader, itsm-writer")
    assert guarded.emulator.requests == []
