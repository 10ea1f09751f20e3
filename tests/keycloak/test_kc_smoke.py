"""The test Keycloak is what the gateway's tests assume: issuer through the proxy, audience,
roles, offline tokens for the users who may have them, events, and key rotation."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.support.keycloak import Keycloak, TokenRefused


def claims(jwt: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (the tests only look at what Keycloak put there)."""
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def header(jwt: str) -> dict[str, Any]:
    head = jwt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


async def test_access_token_names_the_proxy_issuer_and_the_gateway_audience(
    keycloak: Keycloak,
) -> None:
    tokens = await keycloak.password_grant("reader", "reader-password", client_id="smartops-ui")
    access = claims(tokens["access_token"])
    assert keycloak.issuer == f"http://127.0.0.1:{keycloak.proxy.port}/realms/smartops"
    assert access["iss"] == keycloak.issuer
    assert access["typ"] == "Bearer"
    assert access["azp"] == "smartops-ui"
    aud = access["aud"] if isinstance(access["aud"], list) else [access["aud"]]
    assert "itsm-gateway" in aud
    assert "itsm-reader" in access["realm_access"]["roles"]
    assert access["preferred_username"] == "reader"
    assert header(tokens["access_token"])["alg"] == "RS256"


async def test_offline_token_for_a_user_with_offline_access(keycloak: Keycloak) -> None:
    tokens = await keycloak.password_grant(
        "reader", "reader-password", client_id="smartops-ui", scope="offline_access"
    )
    offline = claims(tokens["refresh_token"])
    assert offline["typ"] == "Offline"
    assert offline["azp"] == "smartops-ui"
    assert "exp" not in offline
    assert tokens["refresh_expires_in"] == 0


async def test_offline_access_refused_without_the_role(keycloak: Keycloak) -> None:
    with pytest.raises(TokenRefused) as refused:
        await keycloak.password_grant(
            "nooffline", "nooffline-password", client_id="smartops-ui", scope="offline_access"
        )
    assert (refused.value.status_code, refused.value.error) == (400, "not_allowed")


async def test_client_roles_and_service_account(keycloak: Keycloak) -> None:
    tokens = await keycloak.password_grant(
        "admin-writer", "admin-writer-password", client_id="smartops-ui"
    )
    access = claims(tokens["access_token"])
    assert access["resource_access"]["itsm-gateway"]["roles"] == ["ticket-admin"]
    service = await keycloak.token(
        {
            "grant_type": "client_credentials",
            "client_id": "itsm-gateway",
            "client_secret": "itsm-gateway-test-secret",
        }
    )
    assert claims(service["access_token"])["azp"] == "itsm-gateway"


async def test_discovery_through_the_proxy_names_the_proxy_issuer(keycloak: Keycloak) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{keycloak.issuer}/.well-known/openid-configuration")
    assert response.status_code == 200
    discovery = response.json()
    assert discovery["issuer"] == keycloak.issuer
    assert discovery["jwks_uri"] == f"{keycloak.issuer}/protocol/openid-connect/certs"


async def test_events_are_recorded(keycloak: Keycloak) -> None:
    await keycloak.clear_events()
    tokens = await keycloak.password_grant("writer", "writer-password", client_id="smartops-ui")
    await keycloak.refresh(tokens["refresh_token"], client_id="smartops-ui")
    assert [e["clientId"] for e in await keycloak.events("LOGIN")] == ["smartops-ui"]
    assert len(await keycloak.events("REFRESH_TOKEN")) == 1


async def test_revoked_offline_token_no_longer_refreshes(keycloak: Keycloak) -> None:
    tokens = await keycloak.password_grant(
        "writer", "writer-password", client_id="smartops-ui", scope="offline_access"
    )
    await keycloak.revoke(tokens["refresh_token"], client_id="smartops-ui")
    with pytest.raises(TokenRefused) as refused:
        await keycloak.refresh(tokens["refresh_token"], client_id="smartops-ui")
    assert (refused.value.status_code, refused.value.error) == (400, "invalid_grant")


async def test_rotated_signing_key_is_published_and_signs(keycloak: Keycloak) -> None:
    kid = await keycloak.rotate_signing_key(priority=500)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            certs = (await client.get(f"{keycloak.issuer}/protocol/openid-connect/certs")).json()
        assert kid in {key["kid"] for key in certs["keys"] if key.get("use") == "sig"}
        tokens = await keycloak.password_grant("reader", "reader-password", client_id="smartops-ui")
        assert header(tokens["access_token"])["kid"] == kid
    finally:
        await keycloak.remove_key_provider(await keycloak.key_provider_id(kid))
