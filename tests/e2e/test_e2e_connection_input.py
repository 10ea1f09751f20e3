"""Issue 18, item 7, through both doors: a connection without ``instanceUrl`` or ``authType``, or
with an ``authType`` the gateway does not know, is a 400 naming the key as the door names it and
saying what to send, before any ITSM call (a broken check answers 500, or reaches the ITSM)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, GraphQLDoor, Outcome, RestDoor

doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
Door = RestDoor | GraphQLDoor
AUTH_TYPES = ("basic", "oauth_password", "oauth_client_credentials", "api_key", "bearer")


def assert_bad_input(stack: Stack, outcome: Outcome, *words: str) -> None:
    assert outcome.status == 400, outcome.message
    assert outcome.code in (None, "BAD_USER_INPUT")  # GraphQL's code; REST has none
    assert outcome.details == {}
    for word in words:
        assert word in outcome.message, f"{word!r} not in {outcome.message!r}"
    assert stack.emulator.requests == []


@doors
@pytest.mark.parametrize("missing", [None, ""], ids=["absent", "empty"])
async def test_a_connection_without_an_instance_url_is_refused(
    stack: Stack, door: Door, missing: str | None
) -> None:
    outcome = await door.fetch(
        stack, "INC0010001", connection=stack.connection(instanceUrl=missing)
    )
    assert_bad_input(
        stack,
        outcome,
        f"{door.connection_object}.instanceUrl is required",
        "https://acme.service-now.com",
    )


@doors
async def test_a_connection_without_an_auth_type_is_refused_naming_the_types(
    stack: Stack, door: Door
) -> None:
    outcome = await door.fetch(stack, "INC0010001", connection=stack.connection(authType=None))
    assert_bad_input(stack, outcome, f"{door.connection_object}.authType is required", *AUTH_TYPES)


async def test_rest_refuses_an_empty_auth_type_as_a_missing_one(stack: Stack) -> None:
    """GraphQL's ``AuthType`` is an enum: an empty string is no value of it (below)."""
    outcome = await DOORS[0].fetch(stack, "INC0010001", connection=stack.connection(authType=""))
    assert_bad_input(stack, outcome, "connectionDetails.authType is required", *AUTH_TYPES)


async def test_rest_refuses_an_unsupported_auth_type_naming_the_supported_ones(
    stack: Stack,
) -> None:
    door = DOORS[0]
    outcome = await door.fetch(stack, "INC0010001", connection=stack.connection(authType="ntlm"))
    assert_bad_input(
        stack, outcome, "connectionDetails.authType 'ntlm' is not supported", *AUTH_TYPES
    )


@pytest.mark.parametrize("value", ["ntlm", ""])
async def test_graphql_refuses_an_auth_type_outside_its_enum(stack: Stack, value: str) -> None:
    door = DOORS[1]
    outcome = await door.fetch(stack, "INC0010001", connection=stack.connection(authType=value))
    assert_bad_input(stack, outcome, "AuthType")


@pytest.mark.parametrize("spelling", ["BASIC", " Basic "])
async def test_rest_reads_an_auth_type_without_regard_to_case_or_padding(
    stack: Stack, spelling: str
) -> None:
    door = DOORS[0]
    outcome = await door.fetch(
        stack, "INC0010001", ["ticketNumber"], connection=stack.connection(authType=spelling)
    )
    assert outcome.status == 200, outcome.message
    assert outcome.details == {"ticketNumber": "INC0010001"}


@doors
async def test_an_instance_url_in_capitals_is_the_same_instance(stack: Stack, door: Door) -> None:
    """Issue 18, item 8, over HTTP: a valid spelling of an allowed URL is accepted, not refused."""
    shouted = stack.emulator_url.replace("http://", "HTTP://") + "/"
    outcome = await door.fetch(
        stack, "INC0010001", ["ticketNumber"], connection=stack.connection(instanceUrl=shouted)
    )
    assert outcome.status == 200, outcome.message
    assert outcome.details == {"ticketNumber": "INC0010001"}
