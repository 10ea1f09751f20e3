"""Offline tokens exchanged at a token endpoint that behaves as Keycloak's does (the development
issuer: client binding, rotation, revocation, "Revoke Refresh Token"). The real Keycloak runs the
same scenarios in tests/keycloak."""

from __future__ import annotations

import asyncio

import pytest

from connectors.errors import Unavailable
from gateway.auth.authenticator import Authenticator
from gateway.auth.offline_tokens import OfflineTokenExchanger
from gateway.errors import Unauthenticated
from tests.auth.conftest import Realm

UI = "smartops-ui"  # a public client
BACKEND = "smartops-backend"  # a confidential one
BACKEND_SECRET = "backend-secret"


async def exchanger(realm: Realm, **clients: str | None) -> OfflineTokenExchanger:
    realm.issuer.clients = {BACKEND: BACKEND_SECRET}
    realm.issuer.clock = realm.clock  # tokens from the endpoint live on the tests' clock
    return OfflineTokenExchanger(
        issuer=realm.url,
        clients=clients or {UI: None, BACKEND: BACKEND_SECRET},
        http=realm.http,
        verifier=await realm.loaded_verifier(),
        clock=realm.clock,
    )


async def refusal(exchanger: OfflineTokenExchanger, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await exchanger.principal_for(token)
    assert token not in caught.value.message
    return caught.value.message


async def test_an_offline_token_becomes_the_principal_of_its_access_token(realm: Realm) -> None:
    offline = realm.issuer.mint_offline("reader", client_id=UI, roles=["itsm-reader"])
    principal = await (await exchanger(realm)).principal_for(offline)
    assert principal.username == "reader"
    assert principal.client_id == UI
    assert "itsm-reader" in principal.realm_roles


async def test_a_confidential_client_exchanges_with_its_secret(realm: Realm) -> None:
    offline = realm.issuer.mint_offline("writer", client_id=BACKEND)
    assert (await (await exchanger(realm)).principal_for(offline)).username == "writer"
    wrong = await exchanger(realm, **{BACKEND: "not-the-secret"})
    with pytest.raises(Unavailable, match="refused the gateway's exchange as client"):
        await wrong.principal_for(realm.issuer.mint_offline("writer", client_id=BACKEND))


async def test_fifty_requests_together_make_one_exchange(realm: Realm) -> None:
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    subject = await exchanger(realm)
    realm.issuer.hold_exchanges = asyncio.Event()
    requests = [asyncio.create_task(subject.principal_for(offline)) for _ in range(50)]
    for _ in range(2000):  # until the first exchange reaches the endpoint (bounded)
        if realm.issuer.refresh_exchanges:
            break
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.05)  # let any further exchange reach it too, if the gateway made one
    realm.issuer.hold_exchanges.set()
    principals = await asyncio.gather(*requests)
    assert {p.username for p in principals} == {"reader"}
    assert realm.issuer.refresh_exchanges == 1


async def test_the_access_token_is_reused_until_shortly_before_it_expires(realm: Realm) -> None:
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    subject = await exchanger(realm)
    await subject.principal_for(offline)
    realm.clock.advance(300 - 31)  # Keycloak's default lifetime, less the renewal margin
    await subject.principal_for(offline)
    assert realm.issuer.refresh_exchanges == 1
    realm.clock.advance(2)
    await subject.principal_for(offline)
    assert realm.issuer.refresh_exchanges == 2


async def test_the_rotated_token_keeps_a_caller_working_when_each_token_works_once(
    realm: Realm,
) -> None:
    realm.issuer.revoke_refresh_token = True
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    subject = await exchanger(realm)
    for _ in range(4):  # the caller sends its one token each time
        assert (await subject.principal_for(offline)).username == "reader"
        realm.clock.advance(301)
    assert realm.issuer.refresh_exchanges == 4


async def test_a_revoked_offline_token_is_refused_at_the_next_exchange(realm: Realm) -> None:
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    subject = await exchanger(realm)
    await subject.principal_for(offline)
    realm.issuer.revoke_offline(offline)
    await subject.principal_for(offline)  # still within the cached access token's life
    realm.clock.advance(301)
    message = await refusal(subject, offline)
    assert "revoked, has expired or was already used" in message
    assert "get a new offline token" in message


async def test_a_token_of_a_client_the_gateway_does_not_know_is_refused_naming_it(
    realm: Realm,
) -> None:
    message = await refusal(
        await exchanger(realm), realm.issuer.mint_offline("x", client_id="other-app")
    )
    assert "issued to client 'other-app'" in message
    assert "ITSM_GATEWAY_KEYCLOAK_CLIENTS" in message
    assert realm.issuer.refresh_exchanges == 0


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("not-a-jwt", "not a JWT"),
        ("a.b.c", "not a JWT"),
    ],
)
async def test_what_is_not_an_offline_token_is_refused(
    realm: Realm, token: str, words: str
) -> None:
    assert words in await refusal(await exchanger(realm), token)


async def test_an_access_token_sent_as_offline_token_is_refused_as_such(realm: Realm) -> None:
    message = await refusal(await exchanger(realm), realm.mint("reader"))
    assert "typ 'Bearer', not 'Offline'" in message


async def test_keycloak_down_gives_503_unless_an_access_token_is_cached(realm: Realm) -> None:
    cached = realm.issuer.mint_offline("reader", client_id=UI)
    fresh = realm.issuer.mint_offline("writer", client_id=UI)
    subject = await exchanger(realm)
    await subject.principal_for(cached)
    await realm.stop()
    realm.clock.advance(280)  # past the renewal point, before expiry: the cached one serves
    assert (await subject.principal_for(cached)).username == "reader"
    with pytest.raises(Unavailable, match="unreachable"):
        await subject.principal_for(fresh)
    realm.clock.advance(30)  # now expired: nothing to fall back on
    with pytest.raises(Unavailable, match="unreachable"):
        await subject.principal_for(cached)


async def test_the_authenticator_routes_each_credential(realm: Realm) -> None:
    subject = await exchanger(realm)
    authenticator = Authenticator(subject._verifier, subject)
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    access = realm.mint("writer")
    assert (await authenticator.authenticate(f"Bearer {access}", None)).username == "writer"
    # An offline token as the Bearer token is recognised by its typ.
    assert (await authenticator.authenticate(f"Bearer {offline}", None)).username == "reader"
    assert (await authenticator.authenticate(None, offline)).username == "reader"
    # With both headers, the Authorization header decides.
    assert (await authenticator.authenticate(f"Bearer {access}", offline)).username == "writer"
    with pytest.raises(Unauthenticated, match="missing credentials"):
        await authenticator.authenticate(None, "  ")
