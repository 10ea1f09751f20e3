"""AccessTokenVerifier against a real token issuer: what passes, and each refusal's message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from gateway.auth.access_tokens import AccessTokenVerifier


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def decoded(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload))


def encoded(value: dict[str, Any]) -> str:
    return b64(json.dumps(value).encode())


async def test_valid_token_gives_the_principal_with_its_roles(realm):
    verifier = await realm.loaded_verifier()
    token = realm.mint(
        "alice",
        roles=["itsm-read", "offline_access"],
        client_roles={"itsm-gateway": ["ticket-writer"], "account": ["view-profile"]},
        client_id="smartops-portal",
    )

    principal = await verifier.verify(token)

    _, claims = decoded(token)
    assert principal.subject == claims["sub"]
    assert principal.username == "alice"
    assert principal.client_id == "smartops-portal"
    assert principal.realm_roles == frozenset({"itsm-read", "offline_access"})
    assert principal.client_roles["itsm-gateway"] == frozenset({"ticket-writer"})
    assert principal.has_client_role("account", "view-profile")
    assert not principal.has_client_role("itsm-gateway", "view-profile")
    assert principal.has_realm_role("itsm-read")
    assert principal.expires_at == datetime.fromtimestamp(claims["exp"], UTC)
    assert token not in repr(principal)
    assert token.split(".")[2] not in repr(principal)


async def test_audience_may_be_a_list(realm):
    verifier = await realm.loaded_verifier()
    token = realm.mint(audience=["account", "itsm-gateway"])
    assert (await verifier.verify(token)).username == "smartops.operator"


@pytest.mark.parametrize(
    "token",
    ["not-a-jwt", "a.b.c", "a.b.c.d.e", "....", "", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"],
)
async def test_malformed_token_is_not_a_jwt(realm, token):
    verifier = await realm.loaded_verifier()
    message = await realm.refusal(verifier, token)
    assert message.startswith("the bearer token is not a JWT")


async def test_payload_that_is_not_an_object_is_not_a_jwt(realm):
    verifier = await realm.loaded_verifier()
    header, _ = decoded(realm.mint())
    token = f"{encoded(header)}.{b64(b'[1, 2]')}.c2lnbmF0dXJl"
    assert (await realm.refusal(verifier, token)).startswith("the bearer token is not a JWT")


async def test_expired_token_names_its_expiry_in_utc(realm):
    verifier = await realm.loaded_verifier()
    token = realm.mint(lifetime=300)
    expires = datetime.fromtimestamp(decoded(token)[1]["exp"], UTC)

    realm.clock.advance(300 + 10)  # past exp, within the 30 s leeway
    assert (await verifier.verify(token)).username == "smartops.operator"

    realm.clock.advance(21)  # exp + 31 s
    message = await realm.refusal(verifier, token)
    assert message == f"token expired at {expires:%Y-%m-%dT%H:%M:%S}Z"


async def test_token_without_exp_is_refused(realm):
    verifier = await realm.loaded_verifier()
    token = realm.mint(extra_claims={"exp": None})
    message = await realm.refusal(verifier, token)
    assert message == "token has no expiry (exp); Keycloak access tokens always carry one"


async def test_exp_that_is_not_a_time_is_refused(realm):
    verifier = await realm.loaded_verifier()
    token = realm.mint(extra_claims={"exp": "tomorrow"})
    assert await realm.refusal(verifier, token) == "token expiry (exp) is not a valid time"


async def test_not_before_in_the_future_beyond_leeway_is_refused(realm):
    verifier = await realm.loaded_verifier()
    within_leeway = realm.mint(not_before=realm.clock.now + 20)
    assert (await verifier.verify(within_leeway)).username == "smartops.operator"

    later = realm.clock.now + 120
    token = realm.mint(not_before=later)
    message = await realm.refusal(verifier, token)
    assert (
        message
        == f"token is not valid before {datetime.fromtimestamp(later, UTC):%Y-%m-%dT%H:%M:%S}Z"
    )


async def test_wrong_audience_is_refused_with_the_fix(realm):
    verifier = await realm.loaded_verifier()
    message = await realm.refusal(verifier, realm.mint(audience="account"))
    assert message.startswith("token audience 'account' does not include itsm-gateway; ")
    assert "add an audience mapper" in message

    message = await realm.refusal(verifier, realm.mint(audience=["account", "broker"]))
    assert message.startswith("token audience ['account', 'broker'] does not include itsm-gateway")


async def test_missing_audience_is_refused(realm):
    verifier = await realm.loaded_verifier()
    message = await realm.refusal(verifier, realm.mint(extra_claims={"aud": None}))
    assert message.startswith("token audience (none) does not include itsm-gateway; ")


async def test_wrong_issuer_is_refused_naming_the_expected_one(realm):
    verifier = await realm.loaded_verifier()
    other = realm.url.replace("/realms/smartops", "/realms/master")
    message = await realm.refusal(verifier, realm.mint(extra_claims={"iss": other}))
    assert message == f"token issuer '{other}' is not the expected issuer {realm.url}"

    # Exact comparison: a trailing slash is another issuer.
    message = await realm.refusal(verifier, realm.mint(extra_claims={"iss": realm.url + "/"}))
    assert message.endswith(f"is not the expected issuer {realm.url}")


@pytest.mark.parametrize(
    ("typ", "expected"),
    [
        ("ID", "token is an ID token (typ 'ID') and is refused as such"),
        ("Refresh", "token is a refresh token (typ 'Refresh') and is refused as such"),
        ("Offline", "token is an offline token (typ 'Offline') and is refused as such"),
    ],
)
async def test_other_keycloak_token_types_are_refused_as_such(realm, typ, expected):
    verifier = await realm.loaded_verifier()
    message = await realm.refusal(verifier, realm.mint(typ=typ))
    assert message.startswith(expected)


async def test_offline_token_points_to_its_header(realm):
    verifier = await realm.loaded_verifier()
    # Shaped like Keycloak's: HS512 with a realm secret never published, no exp, aud the issuer.
    realm_secret = OctKey.generate_key(512)
    token = realm.mint(
        typ="Offline",
        audience=realm.url,
        extra_claims={"exp": None},
        headers={"alg": "HS512", "kid": "hmac-kid"},
        key=realm_secret,
    )
    message = await realm.refusal(verifier, token)
    assert "offline tokens go in X-Offline-Token" in message


async def test_missing_or_unknown_typ_is_refused(realm):
    verifier = await realm.loaded_verifier()
    message = await realm.refusal(verifier, realm.mint(extra_claims={"typ": None}))
    assert message == "token has no typ claim; Keycloak access tokens carry typ 'Bearer'"
    message = await realm.refusal(verifier, realm.mint(typ="bearer"))
    assert message.startswith("token type 'bearer' is not accepted")


async def test_altered_payload_fails_the_signature(realm):
    verifier = await realm.loaded_verifier()
    token = realm.mint(roles=["itsm-read"])
    header, claims = decoded(token)
    claims["realm_access"]["roles"].append("itsm-admin")
    forged = ".".join((token.split(".")[0], encoded(claims), token.split(".")[2]))

    message = await realm.refusal(verifier, forged)
    assert message == (
        f"token signature is invalid: it does not verify with key '{header['kid']}' of {realm.url}"
    )


async def test_altered_signature_is_refused(realm):
    verifier = await realm.loaded_verifier()
    head, payload, signature = realm.mint().split(".")
    raw = bytearray(unb64(signature))
    raw[10] ^= 0x01
    message = await realm.refusal(verifier, f"{head}.{payload}.{b64(bytes(raw))}")
    assert message.startswith("token signature is invalid")


async def test_hs256_signed_with_the_public_key_is_refused(realm):
    """The key-confusion attack: the realm's public key, which anyone can fetch, as HMAC secret."""
    verifier = await realm.loaded_verifier()
    public_pem = realm.issuer.signing_key.as_pem(private=False)
    header, claims = decoded(realm.mint(roles=["itsm-admin"]))
    header["alg"] = "HS256"
    signing_input = f"{encoded(header)}.{encoded(claims)}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64(signature)}"

    message = await realm.refusal(verifier, token)
    assert message.startswith(
        "token algorithm HS256 is not accepted; Keycloak access tokens are signed with RS256"
    )


async def test_alg_none_is_refused(realm):
    verifier = await realm.loaded_verifier()
    header, claims = decoded(realm.mint())
    header["alg"] = "none"
    message = await realm.refusal(verifier, f"{encoded(header)}.{encoded(claims)}.")
    assert message.startswith("token algorithm none is not accepted")


def test_none_and_hmac_cannot_be_configured(realm):
    jwks = realm.jwks_cache()
    for algorithms in (("RS256", "HS256"), ("none",), ("HS512",)):
        with pytest.raises(ValueError, match="must not be accepted"):
            AccessTokenVerifier(jwks, issuer=realm.url, audience="x", algorithms=algorithms)


async def test_algorithm_outside_the_configured_list_is_refused(realm):
    verifier = await realm.loaded_verifier(algorithms=("ES256",))
    message = await realm.refusal(verifier, realm.mint())
    assert message == (
        "token algorithm RS256 is not accepted; Keycloak access tokens are signed with RS256 "
        "(accepted here: ES256)"
    )


async def test_algorithm_that_does_not_fit_the_key_is_refused(realm):
    verifier = await realm.loaded_verifier()
    # RS512 with the realm's key, which the JWKS declares for RS256 only.
    key = RSAKey.import_key(realm.issuer.signing_key.as_dict(private=True) | {"alg": "RS512"})
    token = realm.mint(headers={"alg": "RS512"}, key=key)
    message = await realm.refusal(verifier, token)
    assert message.startswith("token algorithm RS512 does not match its signing key")


async def test_unknown_kid_is_refused_after_one_refetch(realm):
    verifier = await realm.loaded_verifier()
    realm.monotonic.advance(60)
    stranger = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    fetches = realm.issuer.jwks_fetches

    message = await realm.refusal(verifier, realm.mint(key=stranger))

    assert realm.issuer.jwks_fetches == fetches + 1
    assert message == (
        f"token signed with an unknown key (kid '{stranger.kid}'): {realm.url} does not publish it"
    )


async def test_token_without_kid_is_refused(realm):
    verifier = await realm.loaded_verifier()
    message = await realm.refusal(verifier, realm.mint(headers={"kid": None}))
    assert message == "token header names no signing key (kid); Keycloak access tokens always do"


async def test_the_encryption_key_never_verifies(realm):
    """Keycloak's JWKS lists an RSA-OAEP key (use: enc); a token naming it is an unknown key."""
    verifier = await realm.loaded_verifier()
    enc_kid = next(key["kid"] for key in realm.issuer.jwks()["keys"] if key["use"] == "enc")
    token = realm.mint(headers={"kid": enc_kid})
    assert (await realm.refusal(verifier, token)).startswith("token signed with an unknown key")


async def test_a_token_signed_by_a_jwt_library_with_defaults_passes(realm):
    """Not only the emulator's own encoder: a plain joserfc JWT with Keycloak's claims verifies."""
    verifier = await realm.loaded_verifier()
    now = int(realm.clock.now)
    claims = {
        "iss": realm.url,
        "aud": "itsm-gateway",
        "typ": "Bearer",
        "exp": now + 60,
        "iat": now,
        "azp": "cli",
    }
    key = realm.issuer.signing_key
    token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
    principal = await verifier.verify(token)
    assert principal.client_id == "cli"
    assert principal.subject is None
    assert principal.realm_roles == frozenset()
