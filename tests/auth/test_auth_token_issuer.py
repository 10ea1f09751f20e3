"""The development token issuer serves what a Keycloak realm serves, over real HTTP."""

from __future__ import annotations

import pytest
from joserfc import jwt

from emulators.token_issuer import TokenIssuer, serve
from gateway.auth import AccessTokenVerifier, JwksCache


async def test_discovery_document_names_issuer_jwks_and_token_endpoint(realm):
    response = await realm.http.get(f"{realm.url}/.well-known/openid-configuration")
    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == realm.url
    assert document["issuer"].startswith("http://127.0.0.1:")
    assert document["jwks_uri"] == f"{realm.url}/protocol/openid-connect/certs"
    assert document["token_endpoint"] == f"{realm.url}/protocol/openid-connect/token"


async def test_jwks_publishes_public_signing_keys_and_an_encryption_key(realm):
    response = await realm.http.get(f"{realm.url}/protocol/openid-connect/certs")
    keys = response.json()["keys"]
    assert [key["use"] for key in keys] == ["sig", "enc"]
    assert keys[0]["alg"] == "RS256"
    assert keys[0]["kid"] == realm.issuer.signing_key.kid
    assert all("d" not in key for key in keys)
    assert realm.issuer.jwks_fetches == 1


@pytest.mark.parametrize(
    ("form", "username", "client_id"),
    [
        ({"grant_type": "client_credentials", "client_id": "smartops-ci"}, None, "smartops-ci"),
        ({"grant_type": "password", "username": "bob", "client_id": "smartops-cli"}, "bob", None),
    ],
)
async def test_token_endpoint_issues_verifiable_access_tokens(http, form, username, client_id):
    issuer = TokenIssuer(endpoint_realm_roles=["itsm-read"], endpoint_client_roles=["writer"])
    runner = await serve(issuer)
    try:
        response = await http.post(f"{issuer.issuer}/protocol/openid-connect/token", data=form)
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 300

        jwks = JwksCache(issuer.issuer, http)
        await jwks.load()
        verifier = AccessTokenVerifier(jwks, issuer=issuer.issuer, audience="itsm-gateway")
        principal = await verifier.verify(body["access_token"])
    finally:
        await runner.cleanup()

    assert principal.username == (username or f"service-account-{client_id}")
    assert principal.client_id == (client_id or form["client_id"])
    assert principal.realm_roles == {"itsm-read"}
    assert principal.client_roles["itsm-gateway"] == {"writer"}


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
        ({"grant_type": "password"}, "invalid_request"),
    ],
)
async def test_token_endpoint_refuses_what_it_cannot_grant(realm, form, error):
    response = await realm.http.post(f"{realm.url}/protocol/openid-connect/token", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_minting_before_binding_is_an_error():
    with pytest.raises(RuntimeError, match="bind"):
        TokenIssuer().mint()


def test_mint_shapes_tokens_like_keycloak():
    issuer = TokenIssuer(realm="ops", audience="gw")
    issuer.bind("http://127.0.0.1:9/")
    assert issuer.issuer == "http://127.0.0.1:9/realms/ops"
    token = issuer.mint("carol", roles=["r"], client_roles={"gw": ["w"]}, lifetime=60)
    decoded = jwt.decode(token, issuer.signing_key, algorithms=["RS256"])
    claims = decoded.claims
    assert decoded.header["kid"] == issuer.signing_key.kid
    assert claims["typ"] == "Bearer"
    assert claims["aud"] == "gw"
    assert claims["exp"] - claims["iat"] == 60
    assert claims["realm_access"] == {"roles": ["r"]}
    assert claims["resource_access"] == {"gw": {"roles": ["w"]}}
    assert claims["preferred_username"] == "carol"
    assert {"sub", "jti", "azp", "scope", "sid"} <= claims.keys()
    assert issuer.mint("carol") != issuer.mint("carol")  # a fresh jti each time
