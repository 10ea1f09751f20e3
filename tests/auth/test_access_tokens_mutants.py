"""AccessTokenVerifier: the edges the mutation check found no test holding (docs/mutation.md).

Every token here is really signed (by the emulated realm's key, or by a key a test makes and the
realm publishes in its JWKS), or deliberately carries a bad signature where the refusal must come
before the signature is checked. Each test asserts what a caller sees: a token accepted with its
principal, or refused with the message that names the rule.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey, Key, KeyParameters, OctKey, OKPKey, RSAKey
from prometheus_client.parser import text_string_to_metric_families

from emulators.token_issuer import TokenIssuer, serve
from gateway.auth.access_tokens import AccessTokenVerifier
from gateway.observability.metrics import Metrics
from tests.auth.conftest import AUDIENCE, Realm

# The algorithms a verifier accepts by default, spelled out here (not imported) so that a default
# list losing one fails the test for it.
DEFAULT_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
NEVER_ACCEPTED = ("none", "HS256", "HS384", "HS512")
# datetime's last representable second, 9999-12-31T23:59:59Z: the latest usable exp or nbf.
LAST_TIMESTAMP = 253_402_300_799
DEFAULT_LEEWAY = 30


class KeyringIssuer(TokenIssuer):
    """The emulated realm, also publishing the keys a test adds to ``extra_keys``."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.extra_keys: list[Key] = []

    def jwks(self) -> dict[str, Any]:
        document = super().jwks()
        published = [key.as_dict(private=False) for key in self.extra_keys]
        return {"keys": [*document["keys"], *published]}


def publish(keyring: Realm, key: Key) -> None:
    """Have the keyring realm publish ``key`` in its JWKS."""
    assert isinstance(keyring.issuer, KeyringIssuer)
    keyring.issuer.extra_keys.append(key)


def new_key(alg: str) -> Key:
    """A signing key for ``alg``, declaring it (as Keycloak's JWKS does)."""
    parameters: KeyParameters = {"use": "sig", "alg": alg}
    if alg.startswith(("RS", "PS")):
        return RSAKey.generate_key(2048, parameters=parameters, auto_kid=True)
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519", parameters=parameters, auto_kid=True)
    curve = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg]
    return ECKey.generate_key(curve, parameters=parameters, auto_kid=True)


@pytest.fixture
async def keyring(http: httpx.AsyncClient) -> AsyncIterator[Realm]:
    issuer = KeyringIssuer(realm="smartops", audience=AUDIENCE)
    runner = await serve(issuer)
    realm = Realm(issuer=issuer, runner=runner, http=http)
    yield realm
    await realm.stop()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def encoded(value: dict[str, Any]) -> str:
    return b64(json.dumps(value).encode())


def decoded(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload))


def signed(header: dict[str, Any], claims: dict[str, Any], key: Key) -> str:
    """A compact JWS over exactly this header, signed with ``key`` by the header's ``alg``
    (no header rules applied, so a test can sign headers a JWT library would refuse to write)."""
    signing_input = f"{encoded(header)}.{encoded(claims)}"
    algorithm = jws.JWSRegistry.algorithms[header["alg"]]
    return f"{signing_input}.{b64(algorithm.sign(signing_input.encode(), key))}"


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A token whose signature is garbage: only for refusals that come before the signature."""
    return f"{encoded(header)}.{encoded(claims)}.{b64(b'not a signature')}"


def claims_lookups(metrics: Metrics, result: str) -> float:
    """``itsm_gateway_cache_lookups_total`` of the access-token claims cache, as exported."""
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == "itsm_gateway_cache_lookups_total" and sample.labels == {
                "cache": "access_token_claims",
                "result": result,
            }:
                return sample.value
    return 0.0


# Algorithms: each accepted one verifies, each refused one is refused.


@pytest.mark.parametrize("alg", DEFAULT_ALGORITHMS)
async def test_every_default_algorithm_verifies_a_token_signed_with_it(
    keyring: Realm, alg: Any
) -> None:
    key = new_key(alg)
    publish(keyring, key)
    verifier = await keyring.loaded_verifier()

    token = keyring.mint("alice", headers={"alg": alg}, key=key)

    assert decoded(token)[0] == {"alg": alg, "typ": "JWT", "kid": key.kid}
    assert (await verifier.verify(token)).username == "alice"


@pytest.mark.parametrize("alg", NEVER_ACCEPTED)
def test_none_and_every_hmac_algorithm_cannot_be_configured(realm: Realm, alg: Any) -> None:
    with pytest.raises(ValueError, match=rf"algorithms \['{alg}'\] must not be accepted"):
        AccessTokenVerifier(
            realm.jwks_cache(), issuer=realm.url, audience=AUDIENCE, algorithms=[alg]
        )


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
async def test_hmac_tokens_are_refused_by_default(realm: Realm, alg: Any) -> None:
    verifier = await realm.loaded_verifier()
    secret = OctKey.generate_key(512, parameters={"kid": "hmac"})
    token = realm.mint(headers={"alg": alg, "kid": "hmac"}, key=secret)
    message = await realm.refusal(verifier, token)
    assert message.startswith(f"token algorithm {alg} is not accepted; ")


@pytest.mark.parametrize(("algorithms", "listed"), [((), "[]"), (("RS256", "RS999"), "['RS999']")])
def test_unsupported_or_no_algorithms_cannot_be_configured(
    realm: Realm, algorithms: tuple[str, ...], listed: str
) -> None:
    with pytest.raises(ValueError) as caught:
        AccessTokenVerifier(
            realm.jwks_cache(), issuer=realm.url, audience=AUDIENCE, algorithms=algorithms
        )
    assert str(caught.value) == f"unsupported or no algorithms: {listed}"


@pytest.mark.parametrize(
    ("alg", "shown"),
    [("A" * 20, "A" * 20), ("A" * 21, repr("A" * 21)), (7, "7")],
)
async def test_an_unaccepted_algorithm_is_quoted_when_long_or_not_text(
    realm: Realm, alg: Any, shown: str
) -> None:
    verifier = await realm.loaded_verifier()
    header, claims = decoded(realm.mint())
    message = await realm.refusal(verifier, unsigned(header | {"alg": alg}, claims))
    if isinstance(alg, str):
        assert message.startswith(f"token algorithm {shown} is not accepted; ")
    else:  # a non-text alg breaks the JWS header's own rules first
        assert message.startswith("the bearer token is not a JWT")


# The header: RFC 7515's rules, and nothing stricter.


async def test_a_header_parameter_nobody_registered_is_ignored(realm: Realm) -> None:
    """RFC 7515 4: a recipient ignores header parameters it does not understand (unless crit)."""
    verifier = await realm.loaded_verifier()
    header, claims = decoded(realm.mint("alice"))
    token = signed(header | {"x-trace": "abc"}, claims, realm.issuer.signing_key)
    assert (await verifier.verify(token)).username == "alice"


async def test_a_critical_header_parameter_the_gateway_does_not_understand_is_refused(
    realm: Realm,
) -> None:
    """RFC 7515 4.1.11: a token naming in ``crit`` an extension the recipient does not implement
    is invalid, even though its signature verifies."""
    verifier = await realm.loaded_verifier()
    header, claims = decoded(realm.mint())
    token = signed(header | {"crit": ["x-ext"], "x-ext": 1}, claims, realm.issuer.signing_key)
    assert (await realm.refusal(verifier, token)).startswith("the bearer token is not a JWT")


# Claims.


async def test_token_without_issuer_is_refused_naming_the_expected_one(realm: Realm) -> None:
    verifier = await realm.loaded_verifier()
    message = await realm.refusal(verifier, realm.mint(extra_claims={"iss": None}))
    assert message == f"token has no issuer (iss); expected {realm.url}"


@pytest.mark.parametrize(
    ("length", "shown"),
    [(78, repr("i" * 78)), (79, repr("i" * 79)[:77] + "...")],
)
async def test_a_quoted_claim_is_shortened_past_80_characters(
    realm: Realm, length: int, shown: str
) -> None:
    verifier = await realm.loaded_verifier()
    message = await realm.refusal(verifier, realm.mint(extra_claims={"iss": "i" * length}))
    assert message == f"token issuer {shown} is not the expected issuer {realm.url}"


# Times: the leeway's edges and the range of usable timestamps.


async def test_expiry_holds_until_exactly_the_leeway_past_exp(realm: Realm) -> None:
    verifier = await realm.loaded_verifier()
    token = realm.mint(lifetime=300)
    exp = decoded(token)[1]["exp"]

    realm.clock.now = exp + DEFAULT_LEEWAY - 1
    assert (await verifier.verify(token)).username == "smartops.operator"

    fresh = realm.mint(lifetime=300, issued_at=realm.clock.now - 300)  # not in the cache
    realm.clock.now = decoded(fresh)[1]["exp"] + DEFAULT_LEEWAY
    assert (await realm.refusal(verifier, fresh)).startswith("token expired at ")


async def test_not_before_holds_from_exactly_the_leeway_before_nbf(realm: Realm) -> None:
    verifier = await realm.loaded_verifier()
    at_the_edge = realm.mint(not_before=realm.clock.now + DEFAULT_LEEWAY)
    assert (await verifier.verify(at_the_edge)).username == "smartops.operator"

    past_the_edge = realm.mint(not_before=realm.clock.now + DEFAULT_LEEWAY + 1)
    assert (await realm.refusal(verifier, past_the_edge)).startswith("token is not valid before ")


@pytest.mark.parametrize("nbf", ["soon", True, -1, LAST_TIMESTAMP + 1, 1e20])
async def test_nbf_that_is_not_a_time_is_refused(realm: Realm, nbf: Any) -> None:
    verifier = await realm.loaded_verifier()
    token = realm.mint(extra_claims={"nbf": nbf})
    message = await realm.refusal(verifier, token)
    assert message == "token not-before time (nbf) is not a valid time"


@pytest.mark.parametrize("exp", [True, -1, LAST_TIMESTAMP + 1, 1e20])
async def test_exp_outside_the_usable_range_is_not_a_time(realm: Realm, exp: Any) -> None:
    verifier = await realm.loaded_verifier()
    message = await realm.refusal(verifier, realm.mint(extra_claims={"exp": exp}))
    assert message == "token expiry (exp) is not a valid time"


async def test_the_epoch_is_a_time_and_expired(realm: Realm) -> None:
    verifier = await realm.loaded_verifier()
    message = await realm.refusal(verifier, realm.mint(extra_claims={"exp": 0}))
    assert message == "token expired at 1970-01-01T00:00:00Z"


async def test_the_first_and_last_usable_seconds_are_accepted(realm: Realm) -> None:
    verifier = await realm.loaded_verifier()
    token = realm.mint("alice", extra_claims={"exp": LAST_TIMESTAMP, "nbf": 0})
    principal = await verifier.verify(token)
    assert principal.username == "alice"
    assert principal.expires_at.isoformat() == "9999-12-31T23:59:59+00:00"


# The signing key and the signature.


async def test_an_empty_kid_names_no_signing_key(realm: Realm) -> None:
    verifier = await realm.loaded_verifier()
    header, claims = decoded(realm.mint())
    token = signed(header | {"kid": ""}, claims, realm.issuer.signing_key)
    message = await realm.refusal(verifier, token)
    assert message == "token header names no signing key (kid); Keycloak access tokens always do"


async def test_a_key_of_another_type_never_verifies(keyring: Realm) -> None:
    """An RS256 token naming the realm's EC key is refused, though its RSA signature is good."""
    ec_key = new_key("ES256")
    publish(keyring, ec_key)
    verifier = await keyring.loaded_verifier()
    token = keyring.mint(headers={"kid": ec_key.kid})  # signed by the realm's RSA key
    message = await keyring.refusal(verifier, token)
    assert message == (
        f"token algorithm RS256 does not match its signing key '{ec_key.kid}' (a EC key for ES256)"
    )


async def test_a_library_error_while_verifying_is_an_invalid_signature(
    realm: Realm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail closed: if the JWS library raises while checking a signature (joserfc 1.8 answers
    False for a bad RSA signature, other versions and algorithms raise BadSignatureError), the
    token is refused as badly signed. The fault is injected into the library's RS256 algorithm,
    not into the verifier; the token's payload is forged, so accepting it would let it in."""
    verifier = await realm.loaded_verifier()
    token = realm.mint(roles=["itsm-read"])
    header, claims = decoded(token)
    claims["realm_access"]["roles"].append("itsm-admin")
    forged = ".".join((token.split(".")[0], encoded(claims), token.split(".")[2]))

    def raising(msg: bytes, sig: bytes, key: Any) -> bool:
        raise BadSignatureError()

    monkeypatch.setattr(jws.JWSRegistry.algorithms["RS256"], "verify", raising)
    message = await realm.refusal(verifier, forged)
    assert message == (
        f"token signature is invalid: it does not verify with key '{header['kid']}' of {realm.url}"
    )


async def test_an_algorithm_the_key_does_not_declare_names_both(realm: Realm) -> None:
    verifier = await realm.loaded_verifier()
    key = RSAKey.import_key(realm.issuer.signing_key.as_dict(private=True) | {"alg": "RS512"})
    message = await realm.refusal(verifier, realm.mint(headers={"alg": "RS512"}, key=key))
    assert message == (
        f"token algorithm RS512 does not match its signing key '{key.kid}' (a RSA key for RS256)"
    )


async def test_a_curve_the_algorithm_does_not_use_is_refused(keyring: Realm) -> None:
    """A published P-384 key that declares no alg, named by an ES256 token."""
    p384 = ECKey.generate_key("P-384", parameters={"use": "sig"}, auto_kid=True)
    publish(keyring, p384)
    verifier = await keyring.loaded_verifier()
    header, claims = decoded(keyring.mint())
    token = unsigned(header | {"alg": "ES256", "kid": p384.kid}, claims)
    message = await keyring.refusal(verifier, token)
    assert (
        message == f"token algorithm ES256 does not match its signing key '{p384.kid}' (a EC key)"
    )


# What is remembered, and what the metrics count.


async def test_a_verified_token_is_remembered_and_counted(realm: Realm) -> None:
    metrics = Metrics()
    verifier = await realm.loaded_verifier(metrics=metrics)
    token = realm.mint("alice")

    assert verifier.cached(token) is None
    assert claims_lookups(metrics, "hit") == 0  # cached() counts hits only
    assert (await verifier.verify(token)).username == "alice"
    assert claims_lookups(metrics, "miss") == 1

    remembered = verifier.cached(token)
    assert remembered is not None and remembered.username == "alice"
    assert claims_lookups(metrics, "hit") == 1
    assert (await verifier.verify(token)).username == "alice"
    assert claims_lookups(metrics, "hit") == 2
    assert claims_lookups(metrics, "miss") == 1


async def test_the_claims_cache_holds_at_most_its_size(realm: Realm) -> None:
    verifier = await realm.loaded_verifier(claims_cache_size=1)
    first, second = realm.mint("alice"), realm.mint("bob")
    await verifier.verify(first)
    await verifier.verify(second)
    assert verifier.cached(first) is None
    remembered = verifier.cached(second)
    assert remembered is not None and remembered.username == "bob"
