"""Issue 13, item 6: made-up offline tokens do not reach Keycloak in a stream. What can be judged
locally is refused without a call; what Keycloak refused is refused again without one; the pace
of refusals is limited for tokens the gateway has never exchanged, never for those in use; and a
caller whose rotated token the gateway lost is told what happened (with Redis it is not lost:
tests/redis/test_shared_exchanges.py)."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from connectors.errors import RateLimited
from gateway.auth.offline_refusals import OfflineRefusals
from gateway.auth.offline_tokens import OfflineTokenExchanger
from gateway.errors import Unauthenticated
from tests.auth.conftest import Realm

UI = "smartops-ui"


async def exchanger(realm: Realm, *, refusals_per_minute: int = 60) -> OfflineTokenExchanger:
    realm.issuer.clock = realm.clock
    return OfflineTokenExchanger(
        issuer=realm.url,
        clients={UI: None},
        http=realm.http,
        verifier=await realm.loaded_verifier(),
        clock=realm.clock,
        refusals=OfflineRefusals(refusals_per_minute=refusals_per_minute, clock=realm.monotonic),
    )


def made_up(realm: Realm, alg: str = "HS512", **changes: Any) -> str:
    """A token shaped like the realm's offline tokens, signed with a key Keycloak never had."""
    claims = {
        "iss": realm.url,
        "aud": realm.url,
        "typ": "Offline",
        "azp": UI,
        "sub": "someone",
        "iat": int(realm.clock()),
    } | changes
    claims = {k: v for k, v in claims.items() if v is not None}
    if alg.startswith("HS"):
        key: Any = OctKey.generate_key(512)
    else:
        from joserfc.jwk import RSAKey

        key = RSAKey.generate_key(2048)
    return jwt.encode({"alg": alg, "typ": "JWT"}, claims, key, algorithms=[alg])


async def refused(subject: OfflineTokenExchanger, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await subject.principal_for(token)
    return caught.value.message


@pytest.mark.parametrize(
    "variant, words",
    [
        ({"alg": "RS256"}, "not signed as Keycloak signs"),
        ({"alg": "none-signature"}, "not signed as Keycloak signs"),
        ({"aud": "https://elsewhere.example.com"}, "audience is not this realm"),
        ({"exp": 1_000}, "has expired"),
        ({"iss": "https://evil.example.com/realms/x"}, "issued by"),
        ({"azp": "stranger"}, "issued to client 'stranger'"),
        ({"typ": "Refresh"}, "typ 'Refresh'"),
    ],
    ids=["rs256", "cut-signature", "audience", "expired", "issuer", "client", "typ"],
)
async def test_what_keycloak_would_refuse_is_refused_without_asking_it(
    realm: Realm, variant: dict[str, Any], words: str
) -> None:
    alg = variant.pop("alg", "HS512")
    if alg == "none-signature":
        token = made_up(realm).rsplit(".", 1)[0] + ".c2ln"
    else:
        token = made_up(realm, alg, **variant)
    assert words in await refused(await exchanger(realm), token)
    assert realm.issuer.refresh_exchanges == 0


async def test_a_refused_token_is_refused_again_without_a_call(realm: Realm) -> None:
    subject = await exchanger(realm)
    token = made_up(realm)
    first = await refused(subject, token)
    assert "refused the offline token" in first
    for _ in range(5):
        assert "a short while ago" in await refused(subject, token)
    assert realm.issuer.refresh_exchanges == 1


async def test_refusals_are_paced_for_newcomers_only(realm: Realm) -> None:
    subject = await exchanger(realm, refusals_per_minute=3)
    in_use = realm.issuer.mint_offline("reader", client_id=UI)
    await subject.principal_for(in_use)
    for _ in range(3):
        await refused(subject, made_up(realm))
    calls = realm.issuer.refresh_exchanges
    with pytest.raises(RateLimited) as paced:
        await subject.principal_for(made_up(realm))
    assert paced.value.retry_after == 20  # one refusal's worth, at three a minute
    newcomer = realm.issuer.mint_offline("writer", client_id=UI)
    with pytest.raises(RateLimited):
        await subject.principal_for(newcomer)
    assert realm.issuer.refresh_exchanges == calls  # nothing more reached Keycloak
    # The token already in use keeps working, exchanges included.
    realm.clock.advance(301)
    assert (await subject.principal_for(in_use)).username == "reader"
    realm.monotonic.advance(20)
    assert (await subject.principal_for(newcomer)).username == "writer"


async def test_a_lost_rotation_says_what_happened(realm: Realm) -> None:
    realm.issuer.revoke_refresh_token = True
    token = realm.issuer.mint_offline("reader", client_id=UI)
    await (await exchanger(realm)).principal_for(token)
    restarted = await exchanger(realm)  # a new process, no shared Redis: the rotation is lost
    message = await refused(restarted, token)
    assert "rotates offline tokens at each exchange" in message
    assert "get a new offline token" in message


async def test_revocation_reaches_a_cached_exchange_within_the_recheck_time(realm: Realm) -> None:
    realm.issuer.clock = realm.clock
    subject = OfflineTokenExchanger(
        issuer=realm.url,
        clients={UI: None},
        http=realm.http,
        verifier=await realm.loaded_verifier(),
        clock=realm.clock,
        recheck_seconds=60,
    )
    token = realm.issuer.mint_offline("reader", client_id=UI)
    await subject.principal_for(token)
    realm.issuer.revoke_offline(token)
    realm.clock.advance(59)
    assert (await subject.principal_for(token)).username == "reader"  # still the cached one
    realm.clock.advance(2)  # past the recheck, well within the access token's 300 s
    assert "revoked" in await refused(subject, token)
