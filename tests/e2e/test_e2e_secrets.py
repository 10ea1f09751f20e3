"""Secrets stay secret: every error path, run with sentinel secrets, through both doors. None of
them may appear in an answer (body or headers) or in any log line, tracebacks included.

The sentinels are distinctive strings placed wherever a caller or operator puts a secret: the
ITSM password, OAuth client secret, API key and bearer token in connectionDetails, the caller's
own tokens, and secrets typed into the wrong key or the wrong place. (Unknown ticketFields names
are echoed by contract, docs/contract.md#rest-contracts, so that is not a place for a secret.)
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from emulators.servicenow import seed
from tests.e2e.conftest import SN_USER, Stack
from tests.e2e.doors import DOOR_IDS, DOORS, Outcome

PASSWORD = "S3ntinel-Passw0rd-9c1e"
CLIENT_SECRET = "S3ntinel-ClientSecret-4b7d"
API_KEY = "S3ntinel-ApiKey-a82f"
ITSM_TOKEN = "S3ntinel-ItsmToken-51c0"
CALLER_TOKEN = "S3ntinel.CallerToken.77aa"
OFFLINE_TOKEN = "S3ntinel-OfflineToken-e3d9"
SENTINELS = (PASSWORD, CLIENT_SECRET, API_KEY, ITSM_TOKEN, CALLER_TOKEN, OFFLINE_TOKEN)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def basic(stack: Stack, **overrides: Any) -> dict[str, Any]:
    return stack.connection(password=PASSWORD, **overrides)


def oauth(stack: Stack, **overrides: Any) -> dict[str, Any]:
    return stack.connection(
        authType="oauth_password",
        username=SN_USER,
        password=PASSWORD,
        clientId="gateway-client",
        clientSecret=CLIENT_SECRET,
        **overrides,
    )


def api_key(stack: Stack) -> dict[str, Any]:
    return stack.connection(authType="api_key", username=None, password=None, apiKey=API_KEY)


def itsm_bearer(stack: Stack) -> dict[str, Any]:
    return stack.connection(authType="bearer", username=None, password=None, token=ITSM_TOKEN)


Scenario = Callable[[Stack, Any], Awaitable[Outcome]]


def fetch_with(connection: Callable[[Stack], dict[str, Any]]) -> Scenario:
    async def run(stack: Stack, door: Any) -> Outcome:
        return await door.fetch(stack, "INC0010001", connection=connection(stack))

    return run


def with_fault(fault: str, value: Any) -> Scenario:
    async def run(stack: Stack, door: Any) -> Outcome:
        setattr(stack.emulator.faults, fault, value)
        # The right password, so the request gets as far as the fault; it is still a secret.
        connection = stack.connection(password="integration-password")
        return await door.fetch(stack, "INC0010002", ["comments"], connection=connection, zone="x")

    return run


async def wrong_password_write(stack: Stack, door: Any) -> Outcome:
    return await door.update(stack, seed.INC_NEW[1], {"comments": "x"}, connection=basic(stack))


async def unreachable_instance(stack: Stack, door: Any) -> Outcome:
    url = f"http://127.0.0.1:{closed_port()}"
    return await door.fetch(stack, "INC0010001", connection=oauth(stack, instanceUrl=url))


async def refused_url(stack: Stack, door: Any) -> Outcome:
    # A secret in the URL itself, in several refused shapes: never echoed back.
    url = f"ftp://{SN_USER}:{PASSWORD}@acme.service-now.com"
    return await door.fetch(stack, "INC0010001", connection=basic(stack, instanceUrl=url))


async def secret_in_userinfo(stack: Stack, door: Any) -> Outcome:
    url = f"https://{SN_USER}:{PASSWORD}@acme.service-now.com"
    return await door.fetch(stack, "INC0010001", connection=basic(stack, instanceUrl=url))


async def secret_in_the_wrong_key(stack: Stack, door: Any) -> Outcome:
    connection = {**basic(stack), "secret": CLIENT_SECRET}
    return await door.fetch(stack, "INC0010001", connection=connection)


async def secret_as_a_time_zone(stack: Stack, door: Any) -> Outcome:
    return await door.fetch(stack, "INC0010001", connection=basic(stack), zone=PASSWORD)


async def caller_token_garbage(stack: Stack, door: Any) -> Outcome:
    return await door.fetch(
        stack, "INC0010001", headers={"Authorization": f"Bearer {CALLER_TOKEN}"}
    )


async def caller_offline_garbage(stack: Stack, door: Any) -> Outcome:
    return await door.fetch(stack, "INC0010001", headers={"X-Offline-Token": OFFLINE_TOKEN})


async def caller_token_without_scheme(stack: Stack, door: Any) -> Outcome:
    return await door.fetch(stack, "INC0010001", headers={"Authorization": CALLER_TOKEN})


SCENARIOS: dict[str, Scenario] = {
    "basic, wrong password": fetch_with(basic),
    "basic, wrong password, write": wrong_password_write,
    "oauth, refused secret": fetch_with(oauth),
    "api key refused": fetch_with(api_key),
    "itsm bearer refused": fetch_with(itsm_bearer),
    "instance unreachable": unreachable_instance,
    "ITSM 5xx": with_fault("fail_status", 500),
    "ITSM hibernating": with_fault("hibernating", True),
    "ITSM rate limit": with_fault("hourly_limit", 0),
    "journal forbidden, bad zone": with_fault("journal_forbidden", True),
    "URL with a secret, refused scheme": refused_url,
    "URL with a secret in userinfo": secret_in_userinfo,
    "secret in an unknown key": secret_in_the_wrong_key,
    "secret as a time zone": secret_as_a_time_zone,
    "caller token that is not a JWT": caller_token_garbage,
    "caller offline token that is not a JWT": caller_offline_garbage,
    "caller token without the Bearer scheme": caller_token_without_scheme,
}


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
async def test_no_secret_in_any_answer_or_log_line(
    stack: Stack,
    door: Any,
    scenario: str,
    caplog: pytest.LogCaptureFixture,
    production_logging: logging.Handler,
) -> None:
    caplog.clear()
    outcome = await SCENARIOS[scenario](stack, door)

    assert outcome.status >= 400, f"{scenario} was expected to fail: {outcome}"
    assert outcome.response is not None
    answer = (
        outcome.response.text
        + "\n"
        + "\n".join(f"{k}: {v}" for k, v in outcome.response.headers.items())
    )
    logged = "\n".join(production_logging.format(record) for record in caplog.records)
    for sentinel in SENTINELS:
        assert sentinel not in answer, f"{scenario}: a secret in the answer: {answer}"
        assert sentinel not in logged, f"{scenario}: a secret in the logs: {logged}"
