"""The gateway against a real Keycloak 26.7.3: access tokens, offline tokens and roles through
both doors, key rotation, and Keycloak going away.

The gateway reaches Keycloak through a cuttable proxy (its issuer is the proxy's URL); the tests
get their tokens from Keycloak's own port, so they keep working while the gateway's path is cut.
ServiceNow is the emulator.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import httpx
import pytest
from joserfc.jwk import RSAKey

from emulators.servicenow import EmulatorState, seed
from emulators.servicenow import create_app as create_emulator_app
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, Outcome
from tests.support.keycloak import Keycloak, TokenRefused
from tests.support.servers import serving, wait_until_ready

UI = "smartops-ui"  # public client the callers sign in with
GATEWAY_CLIENT = "itsm-gateway"
GATEWAY_SECRET = "itsm-gateway-test-secret"


@pytest.fixture(scope="module")
async def emulator() -> AsyncIterator[tuple[EmulatorState, str]]:
    state = EmulatorState()
    async with serving(create_emulator_app(state)) as url:
        yield state, url


@asynccontextmanager
async def gateway(
    kc: Keycloak, emulator: tuple[EmulatorState, str], **overrides: Any
) -> AsyncIterator[Stack]:
    """A gateway configured as an operator would for the SmartOps realm."""
    settings = Settings(
        keycloak_issuer=kc.issuer,
        keycloak_audience=GATEWAY_CLIENT,
        keycloak_client_id=GATEWAY_CLIENT,
        keycloak_client_secret=GATEWAY_SECRET,
        keycloak_clients=UI,
        keycloak_timeout_seconds=2.0,
        jwks_min_refresh_seconds=0,
        read_roles=("itsm-reader",),
        write_roles=("itsm-writer",),
        itsm_allowed_urls="http://127.0.0.1:*",
        **overrides,
    )
    state, emulator_url = emulator
    async with serving(create_app(settings)) as url, httpx.AsyncClient(timeout=60) as http:
        await wait_until_ready(url)
        yield Stack(url, emulator_url, state, None, http)


@pytest.fixture
async def stack(keycloak: Keycloak, emulator: tuple[EmulatorState, str]) -> AsyncIterator[Stack]:
    emulator[0].reset()
    async with gateway(keycloak, emulator) as stack:
        yield stack


async def sign_in(kc: Keycloak, user: str, **options: Any) -> dict[str, Any]:
    options.setdefault("client_id", UI)
    return await kc.password_grant(user, f"{user}-password", **options)


async def access_token(kc: Keycloak, user: str = "writer") -> str:
    return (await sign_in(kc, user))["access_token"]


async def offline_token(kc: Keycloak, user: str = "writer", **options: Any) -> str:
    return (await sign_in(kc, user, scope="offline_access", **options))["refresh_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def offline(token: str) -> dict[str, str]:
    return {"X-Offline-Token": token}


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assert_refused(outcome: Outcome, token: str, *words: str) -> None:
    assert outcome.status == 401, outcome.message
    assert outcome.response is not None
    assert outcome.response.status_code == 401
    assert outcome.response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    longest_part = max(token.split("."), key=len)
    assert longest_part[-40:] not in outcome.response.text  # no piece of the token echoed
    for word in words:
        assert word in outcome.message, outcome.message


# --- access tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_an_access_token_from_the_password_grant_is_accepted(
    keycloak: Keycloak, stack: Stack, door: Any
) -> None:
    outcome = await door.fetch(
        stack, "INC0010001", ["ticketNumber"], headers=bearer(await access_token(keycloak))
    )
    assert (outcome.status, outcome.details) == (200, {"ticketNumber": "INC0010001"})


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_tokens_that_are_not_valid_access_tokens_are_refused_precisely(
    keycloak: Keycloak, stack: Stack, door: Any
) -> None:
    signed_in = await sign_in(keycloak, "writer", scope="openid")
    good = signed_in["access_token"]
    header, payload, signature = good.split(".")
    # Flip one character in the middle of the signature: still base64url, no longer valid.
    middle = len(signature) // 2
    altered = (
        signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]
    )

    certs = (
        await keycloak.http.get(
            f"{keycloak.direct_url}/realms/smartops/protocol/openid-connect/certs"
        )
    ).json()
    [rsa] = [k for k in certs["keys"] if k.get("use") == "sig" and k["kid"] == claims_kid(good)]
    public_pem = RSAKey.import_key(rsa).as_pem(private=False)
    hs_header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": rsa["kid"]}).encode())
    hs_signature = hmac.new(public_pem, f"{hs_header}.{payload}".encode(), hashlib.sha256)
    none_header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    other_audience = (await sign_in(keycloak, "writer", client_id="admin-cli"))["access_token"]

    cases = {
        "ID token": (signed_in["id_token"], "ID token"),
        "refresh token": (signed_in["refresh_token"], "refresh token"),
        "altered signature": (f"{header}.{payload}.{altered}", "signature is invalid"),
        "HS256 with the public key": (
            f"{hs_header}.{payload}.{b64(hs_signature.digest())}",
            "algorithm HS256 is not accepted",
        ),
        "alg none": (f"{none_header}.{payload}.", "algorithm none is not accepted"),
        "another audience": (other_audience, "does not include itsm-gateway"),
    }
    for name, (token, words) in cases.items():
        outcome = await door.fetch(stack, "INC0010001", ["ticketNumber"], headers=bearer(token))
        assert outcome.status == 401, name
        assert_refused(outcome, token, words)
    assert stack.emulator.requests == []


def claims_kid(token: str) -> str:
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


async def test_an_expired_access_token_is_refused_saying_when_it_expired(
    keycloak: Keycloak, emulator: tuple[EmulatorState, str]
) -> None:
    await keycloak.set_realm(accessTokenLifespan=1)
    try:
        token = await access_token(keycloak)
    finally:
        await keycloak.set_realm(accessTokenLifespan=300)
    expires = claims_of(token)["exp"]
    async with gateway(keycloak, emulator, jwt_leeway_seconds=0) as stack:
        for _ in range(40):  # Keycloak runs on this machine: its clock is ours
            if time.time() > expires:
                break
            await asyncio.sleep(0.25)
        for door in DOORS:
            outcome = await door.fetch(stack, "INC0010001", headers=bearer(token))
            assert_refused(outcome, token, "token expired at")


# --- offline tokens --------------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
@pytest.mark.parametrize("header", [offline, bearer], ids=["X-Offline-Token", "Bearer"])
async def test_an_offline_token_works_in_either_header(
    keycloak: Keycloak, stack: Stack, door: Any, header: Any
) -> None:
    token = await offline_token(keycloak, "reader")
    assert claims_of(token)["typ"] == "Offline"
    outcome = await door.fetch(stack, "INC0010001", ["ticketNumber"], headers=header(token))
    assert (outcome.status, outcome.details) == (200, {"ticketNumber": "INC0010001"})


async def refresh_events(kc: Keycloak, kind: str = "REFRESH_TOKEN") -> list[dict[str, Any]]:
    return [e for e in await kc.events(kind) if e.get("clientId") == UI]


async def test_fifty_requests_with_a_new_offline_token_make_one_exchange(
    keycloak: Keycloak, stack: Stack
) -> None:
    token = await offline_token(keycloak, "reader")
    await keycloak.clear_events()
    outcomes = await asyncio.gather(
        *(
            DOORS[0].fetch(stack, "INC0010001", ["ticketNumber"], headers=offline(token))
            for _ in range(50)
        )
    )
    assert [o.status for o in outcomes] == [200] * 50
    assert len(await refresh_events(keycloak)) == 1


async def test_a_user_without_offline_access_cannot_get_an_offline_token(
    keycloak: Keycloak,
) -> None:
    with pytest.raises(TokenRefused) as refused:
        await offline_token(keycloak, "nooffline")
    assert (refused.value.status_code, refused.value.error) == (400, "not_allowed")


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_an_offline_token_of_an_unconfigured_client_is_refused_naming_it(
    keycloak: Keycloak, stack: Stack, door: Any
) -> None:
    token = await offline_token(
        keycloak, "reader", client_id="other-app", client_secret="other-app-test-secret"
    )
    outcome = await door.fetch(stack, "INC0010001", headers=offline(token))
    assert_refused(outcome, token, "issued to client 'other-app'")


async def test_a_revoked_offline_token_is_refused_at_its_next_exchange(
    keycloak: Keycloak, emulator: tuple[EmulatorState, str]
) -> None:
    token = await offline_token(keycloak, "reader")
    async with gateway(keycloak, emulator) as stack:
        first = await DOORS[0].fetch(stack, "INC0010001", headers=offline(token))
        assert first.status == 200
    await keycloak.revoke(token, client_id=UI)
    # A gateway that has no access token cached for it must exchange again, and is refused.
    async with gateway(keycloak, emulator) as stack:
        for door in DOORS:
            outcome = await door.fetch(stack, "INC0010001", headers=offline(token))
            assert_refused(outcome, token, "revoked, has expired or was already used")


async def test_with_revoke_refresh_token_on_one_offline_token_keeps_working(
    keycloak: Keycloak, stack: Stack
) -> None:
    # Each exchange returns a new offline token and the used one dies; access tokens live 2 s,
    # so each request below needs a new exchange. The caller keeps sending its first token.
    await keycloak.set_realm(revokeRefreshToken=True, refreshTokenMaxReuse=0, accessTokenLifespan=2)
    try:
        token = await offline_token(keycloak, "reader")
        await keycloak.clear_events()
        for _ in range(3):
            outcome = await DOORS[0].fetch(stack, "INC0010001", headers=offline(token))
            assert outcome.status == 200, outcome.message
            await asyncio.sleep(1.5)  # past the renewal point of a 2 s access token
        assert len(await refresh_events(keycloak)) == 3
        assert await refresh_events(keycloak, "REFRESH_TOKEN_ERROR") == []
        # The realm really does refuse the caller's token a second time: only the gateway's
        # rotation keeps the caller working.
        with pytest.raises(TokenRefused) as refused:
            await keycloak.refresh(token, client_id=UI)
        assert refused.value.error == "invalid_grant"
    finally:
        await keycloak.set_realm(
            revokeRefreshToken=False, refreshTokenMaxReuse=0, accessTokenLifespan=300
        )


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_reader_can_fetch_and_nothing_else(
    keycloak: Keycloak, stack: Stack, door: Any
) -> None:
    reader = bearer(await access_token(keycloak, "reader"))
    assert (await door.fetch(stack, "INC0010001", headers=reader)).status == 200
    for outcome in (
        await door.create(stack, {"short_description": "x"}, headers=reader),
        await door.update(stack, seed.INC_NEW[1], {"urgency": "1"}, headers=reader),
    ):
        assert outcome.status == 403
        assert outcome.response is not None and outcome.response.status_code == 403
        assert outcome.response.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
        assert "itsm-writer" in outcome.message
    assert stack.writes() == []


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_writer_can_do_all_three(keycloak: Keycloak, stack: Stack, door: Any) -> None:
    writer = bearer(await access_token(keycloak, "writer"))
    created = await door.create(stack, {"short_description": "x"}, ["sysId"], headers=writer)
    assert created.status in (200, 201)
    sys_id = created.details["sysId"]
    updated = await door.update(stack, sys_id, {"urgency": "1"}, ["urgency"], headers=writer)
    assert updated.details == {"urgency": "1 - High"}
    fetched = await door.fetch(stack, seed.NEXT_NUMBER, ["sysId"], headers=writer)
    assert fetched.details == {"sysId": sys_id}


# --- key rotation ----------------------------------------------------------------------------


async def test_key_rotation_needs_no_restart_and_old_keys_serve_while_published(
    keycloak: Keycloak, emulator: tuple[EmulatorState, str]
) -> None:
    async with gateway(keycloak, emulator) as stack:
        old_token = await access_token(keycloak)  # signed by the realm's original key
        new_kid = await keycloak.rotate_signing_key(priority=500)
        try:
            new_token = await access_token(keycloak)
            assert claims_kid(new_token) == new_kid != claims_kid(old_token)
            for token in (new_token, old_token):  # neither seen by this gateway before
                outcome = await DOORS[0].fetch(stack, "INC0010001", headers=bearer(token))
                assert outcome.status == 200, outcome.message
        finally:
            await keycloak.remove_key_provider(await keycloak.key_provider_id(new_kid))


# --- Keycloak unreachable --------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
async def test_keycloak_unreachable_cached_keys_serve_new_offline_tokens_get_503(
    keycloak: Keycloak,
    emulator: tuple[EmulatorState, str],
    mode: Literal["refuse", "blackhole"],
) -> None:
    async with gateway(keycloak, emulator) as stack:
        cached_offline = await offline_token(keycloak, "reader")
        assert (
            await DOORS[0].fetch(stack, "INC0010001", headers=offline(cached_offline))
        ).status == 200
        new_access = await access_token(keycloak)
        new_offline = await offline_token(keycloak, "reader")
        await keycloak.proxy.cut(mode)
        try:
            # Bounded only so that a hang fails the test instead of stalling the run; the
            # gateway's own limit is its 2 s Keycloak timeout.
            async def fetch(headers: dict[str, str]) -> Outcome:
                return await asyncio.wait_for(
                    DOORS[0].fetch(stack, "INC0010001", headers=headers), 30
                )

            assert (await fetch(bearer(new_access))).status == 200  # keys are cached
            assert (await fetch(offline(cached_offline))).status == 200  # access token cached
            unavailable = await fetch(offline(new_offline))
            assert unavailable.status == 503
            assert "Keycloak" in unavailable.message and "unreachable" in unavailable.message
        finally:
            await keycloak.proxy.restore()
