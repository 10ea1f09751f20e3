"""Authentication over real HTTP: Basic, OAuth grants and expiry, API keys, and the record of
which account made each request."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:  # for the annotations only: pytest gives the fixtures
    from tests.emulators.conftest import Emulator

NOT_AUTHENTICATED = {
    "error": {
        "message": "User Not Authenticated",
        "detail": "Required to provide Auth information",
    },
    "status": "failure",
}
CLIENT = {"client_id": "gateway-client", "client_secret": "gateway-client-secret"}
DENIED = {"error_description": "access_denied", "error": "server_error"}


async def _token(emulator: Emulator, form: dict[str, str]) -> httpx.Response:
    return await emulator.anonymous.post(f"{emulator.url}/oauth_token.do", data=form)


async def _incidents(emulator: Emulator, headers: dict[str, str]) -> httpx.Response:
    return await emulator.anonymous.get(
        emulator.table("incident"), params={"sysparm_limit": "1"}, headers=headers
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic Z2F0ZXdheS5pbnRlZ3JhdGlvbjp3cm9uZw=="},  # wrong password
        {"Authorization": "Basic !!!"},
        {"Authorization": "Bearer not-a-token"},
        {"x-sn-apikey": "wrong-key"},
    ],
)
async def test_missing_or_bad_credentials_are_401(
    emulator: Emulator, headers: dict[str, str]
) -> None:
    response = await _incidents(emulator, headers)
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert emulator.state.requests[-1].account is None


async def test_basic_and_api_key_are_recorded_as_the_user(emulator: Emulator) -> None:
    assert (await emulator.http.get(emulator.table("incident"))).status_code == 200
    keyed = await _incidents(emulator, {"x-sn-apikey": "demo-api-key"})
    assert keyed.status_code == 200
    assert [r.account for r in emulator.state.requests] == ["gateway.integration"] * 2


async def test_password_grant_then_bearer(emulator: Emulator) -> None:
    response = await _token(
        emulator,
        {
            **CLIENT,
            "grant_type": "password",
            "username": "gateway.integration",
            "password": "integration-password",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "scope", "token_type", "expires_in"}
    assert (body["scope"], body["token_type"], body["expires_in"]) == (
        "useraccount",
        "Bearer",
        1799,
    )
    used = await _incidents(emulator, {"Authorization": f"Bearer {body['access_token']}"})
    assert used.status_code == 200
    oauth, table = emulator.state.requests
    assert (oauth.path, oauth.json, oauth.account) == (
        "/oauth_token.do",
        None,
        "gateway.integration",
    )
    assert table.account == "gateway.integration"


async def test_tokens_expire_and_refresh(emulator: Emulator) -> None:
    body = (await _token(emulator, {**CLIENT, "grant_type": "client_credentials"})).json()
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    emulator.clock.advance(seconds=1798)
    assert (await _incidents(emulator, bearer)).status_code == 200
    emulator.clock.advance(seconds=2)
    expired = await _incidents(emulator, bearer)
    assert expired.status_code == 401 and expired.json() == NOT_AUTHENTICATED
    refreshed = await _token(
        emulator,
        {**CLIENT, "grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
    )
    assert refreshed.status_code == 200
    new = refreshed.json()["access_token"]
    assert new != body["access_token"]
    assert (await _incidents(emulator, {"Authorization": f"Bearer {new}"})).status_code == 200


async def test_token_lifetime_is_configurable(emulator: Emulator) -> None:
    changed = await emulator.anonymous.post(
        f"{emulator.url}/_emulator/config", json={"token_lifetime_s": 5}
    )
    assert changed.json()["token_lifetime_s"] == 5
    body = (await _token(emulator, {**CLIENT, "grant_type": "client_credentials"})).json()
    assert body["expires_in"] == 5
    emulator.clock.advance(seconds=5)
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await _incidents(emulator, bearer)).status_code == 401


@pytest.mark.parametrize(
    "form",
    [
        {**CLIENT, "grant_type": "password", "username": "gateway.integration", "password": "x"},
        {
            "client_id": "gateway-client",
            "client_secret": "wrong",
            "grant_type": "client_credentials",
        },
        {**CLIENT, "grant_type": "refresh_token", "refresh_token": "unknown"},
        {**CLIENT, "grant_type": "authorization_code"},
    ],
)
async def test_refused_grants_are_401(emulator: Emulator, form: dict[str, str]) -> None:
    response = await _token(emulator, form)
    assert response.status_code == 401
    assert response.json() == DENIED


async def test_token_endpoint_refuses_json(emulator: Emulator) -> None:
    response = await emulator.anonymous.post(
        f"{emulator.url}/oauth_token.do", json={**CLIENT, "grant_type": "client_credentials"}
    )
    assert response.status_code == 401
    assert "access_token" not in response.json()
