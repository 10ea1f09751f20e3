"""Server-side connection profiles, end to end (issue 4, item 2): callers name a profile with
``connectionId`` (REST body, REST GET query, GraphQL) and hold no ITSM secret; a profile may not be
mixed with a URL or credentials; role-limited profiles are 403 for others; the secrets, read
from the environment and from files, appear in no answer and no log line.

The emulator here is the module's own, with accounts whose secrets are sentinels."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from emulators.servicenow import EmulatorState
from emulators.servicenow import create_app as create_emulator_app
from emulators.servicenow.config import Account, EmulatorConfig, OAuthClient
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, Outcome
from tests.e2e.test_e2e_ssrf import wired_app
from tests.resolvers.test_ssrf import FakeDns
from tests.support.servers import serving, wait_until_ready

USER = "svc.profiles"
PASSWORD = "pw-Sentinel-5b1e0c"
CLIENT_SECRET = "cs-Sentinel-a07d44"
API_KEY = "key-Sentinel-e9f310"
WRONG_PASSWORD = "wrong-Sentinel-31c2aa"
SECRETS = (PASSWORD, CLIENT_SECRET, API_KEY, WRONG_PASSWORD)

doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)


@dataclass
class Profiles:
    stack: Stack
    emulator: EmulatorState


@pytest.fixture(scope="module")
async def profiles(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Profiles]:
    assert stack.issuer is not None
    emulator = EmulatorState(
        EmulatorConfig(
            accounts=(Account(USER, password=PASSWORD, name="Profiles", api_keys=(API_KEY,)),),
            oauth_clients=(OAuthClient("profiles-client", CLIENT_SECRET, USER),),
        )
    )
    secret_file = tmp_path_factory.mktemp("secrets") / "client-secret"
    secret_file.write_text(CLIENT_SECRET + "\n")
    async with serving(create_emulator_app(emulator)) as emulator_url:
        basic = {
            "itsm_type": "servicenow",
            "instance_url": emulator_url,
            "auth_type": "basic",
            "username": USER,
            "password_env": "LAB_SN_PASSWORD",
        }
        settings = Settings(
            keycloak_issuer=stack.issuer.issuer,
            keycloak_audience=stack.issuer.audience,
            itsm_allowed_urls="http://127.0.0.1:*",
            connections={
                "lab": basic,
                "lab-oauth": {
                    "itsm_type": "servicenow",
                    "instance_url": emulator_url,
                    "auth_type": "oauth_client_credentials",
                    "client_id": "profiles-client",
                    "client_secret_file": str(secret_file),
                },
                "lab-key": {
                    "itsm_type": "servicenow",
                    "instance_url": emulator_url,
                    "auth_type": "api_key",
                    "api_key_env": "LAB_SN_API_KEY",
                },
                "restricted": {**basic, "roles": ["itsm-lab-admin", "itsm-gateway:lab"]},
                "wrong": {**basic, "password_env": "LAB_SN_WRONG"},
            },
        )
        environ = {
            "LAB_SN_PASSWORD": PASSWORD,
            "LAB_SN_API_KEY": API_KEY,
            "LAB_SN_WRONG": WRONG_PASSWORD,
        }
        dns = FakeDns({})  # every profile host is a literal allowed by name: no DNS question
        app = wired_app(settings, request_dns=dns, connect_dns=dns, environ=environ)
        async with serving(app) as gateway_url:
            await wait_until_ready(gateway_url)
            yield Profiles(
                Stack(gateway_url, emulator_url, emulator, stack.issuer, stack.http), emulator
            )


@pytest.fixture(autouse=True)
def fresh(profiles: Profiles) -> None:
    profiles.emulator.reset()


def token(
    stack: Stack, *roles: str, client_roles: dict[str, list[str]] | None = None
) -> dict[str, str]:
    assert stack.issuer is not None
    minted = stack.issuer.mint("operator", roles=list(roles), client_roles=client_roles)
    return {"Authorization": f"Bearer {minted}"}


async def fetch_by_query(stack: Stack, connection_id: str, **headers: str) -> httpx.Response:
    return await stack.http.get(
        f"{stack.gateway_url}/itsm/v1/ticket/fetch",
        params={
            "ticketNumber": "INC0010001",
            "connectionId": connection_id,
            "ticketFields": "ticketNumber,shortDescription",
        },
        headers=headers or stack.headers(),
    )


@doors
@pytest.mark.parametrize("profile", ["lab", "lab-oauth", "lab-key"])
async def test_a_profile_fetches_and_creates(profiles: Profiles, door: Any, profile: str) -> None:
    stack = profiles.stack
    connection = {"connectionId": profile}

    fetched = await door.fetch(stack, "INC0010001", ["ticketNumber"], connection=connection)
    created = await door.create(
        stack, {"short_description": f"via {profile}"}, ["ticketNumber"], connection=connection
    )

    assert (fetched.status, fetched.details) == (200, {"ticketNumber": "INC0010001"})
    assert created.status in (200, 201), created.message
    table_calls = [r for r in profiles.emulator.requests if r.table is not None]
    assert {r.account for r in table_calls} == {USER}
    assert [r.json for r in table_calls if r.method == "POST"] == [
        {"short_description": f"via {profile}"}
    ]


async def test_a_profile_named_in_the_rest_query(profiles: Profiles) -> None:
    response = await fetch_by_query(profiles.stack, "lab")
    payload = response.json()
    assert response.status_code == 200, payload
    assert payload["ticketDetails"]["ticketNumber"] == "INC0010001"


@doors
@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"instanceUrl": "http://127.0.0.1:9"}, "may not also set instanceUrl"),
        ({"authType": "basic", "password": "x"}, "may not also set authType, password"),
        ({"token": "t"}, "may not also set token"),
        ({"itsmType": "jira"}, "itsmType 'jira' does not match connection profile 'lab'"),
    ],
)
async def test_a_profile_mixed_with_connection_keys_is_refused(
    profiles: Profiles, door: Any, extra: dict[str, str], words: str
) -> None:
    connection = {"connectionId": "lab", **extra}
    outcome = await door.fetch(profiles.stack, "INC0010001", connection=connection)
    assert outcome.status == 400, outcome.message
    assert words in outcome.message
    assert profiles.emulator.requests == []


@doors
async def test_an_unknown_profile_names_nothing_else(profiles: Profiles, door: Any) -> None:
    outcome = await door.fetch(profiles.stack, "INC0010001", connection={"connectionId": "acme"})
    assert outcome.status == 400
    assert "no connection profile named 'acme'" in outcome.message
    for other in ("lab", "restricted", "127.0.0.1"):
        assert other not in outcome.message
    assert profiles.emulator.requests == []


def assert_forbidden(outcome: Outcome) -> None:
    assert outcome.status == 403, outcome.message
    assert outcome.response is not None and outcome.response.status_code == 403
    assert "connection profile 'restricted'" in outcome.message
    assert "itsm-lab-admin, itsm-gateway:lab" in outcome.message


@doors
async def test_a_role_limited_profile_is_403_for_others(profiles: Profiles, door: Any) -> None:
    stack, connection = profiles.stack, {"connectionId": "restricted"}
    for headers in (
        token(stack),
        token(stack, "itsm-reader"),
        token(stack, client_roles={"other": ["lab"]}),
    ):
        assert_forbidden(
            await door.fetch(stack, "INC0010001", connection=connection, headers=headers)
        )
        assert_forbidden(
            await door.create(
                stack, {"short_description": "no"}, connection=connection, headers=headers
            )
        )
    assert profiles.emulator.requests == []

    for headers in (
        token(stack, "itsm-lab-admin"),
        token(stack, client_roles={"itsm-gateway": ["lab"]}),
    ):
        fetched = await door.fetch(
            stack, "INC0010001", ["ticketNumber"], connection=connection, headers=headers
        )
        assert fetched.status == 200, fetched.message


async def test_a_role_limited_profile_in_the_rest_query(profiles: Profiles) -> None:
    stack = profiles.stack
    refused = await fetch_by_query(stack, "restricted", **token(stack, "itsm-reader"))
    assert refused.status_code == 403
    assert "itsm-lab-admin" in refused.json()["statusMessage"]
    allowed = await fetch_by_query(stack, "restricted", **token(stack, "itsm-lab-admin"))
    assert allowed.status_code == 200


@doors
async def test_profile_secrets_appear_in_no_answer_and_no_log(
    profiles: Profiles, door: Any, caplog: pytest.LogCaptureFixture
) -> None:
    stack = profiles.stack
    caplog.set_level(logging.DEBUG)
    answers: list[str] = []
    for profile in ("lab", "lab-oauth", "lab-key", "wrong", "restricted", "nope"):
        connection = {"connectionId": profile}
        for outcome in (
            await door.fetch(stack, "INC0010001", connection=connection),
            await door.fetch(stack, "INC0099999", connection=connection),
            await door.create(stack, {"short_description": "s"}, connection=connection),
            await door.create(stack, {"number": "INC1"}, connection=connection),
        ):
            assert outcome.response is not None
            answers.append(outcome.response.text)
            answers.append(str(outcome.response.headers))
    answers.append((await fetch_by_query(stack, "wrong")).text)

    wrong = await door.fetch(stack, "INC0010001", connection={"connectionId": "wrong"})
    assert wrong.status == 502 and "rejected the gateway's credentials" in wrong.message

    logged = caplog.text + "".join(str(record.__dict__) for record in caplog.records)
    assert any(record.name.startswith("itsm_gateway") for record in caplog.records)
    for secret in SECRETS:
        encoded = base64.b64encode(f"{USER}:{secret}".encode()).decode()
        for text in (*answers, logged):
            assert secret not in text
            assert encoded not in text
