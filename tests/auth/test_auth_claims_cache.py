"""Verified tokens are remembered until their exp, and never served after."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.auth.claims_cache import ClaimsCache
from gateway.auth.principal import Principal


def principal(name: str) -> Principal:
    return Principal(
        subject=name,
        username=name,
        client_id="smartops",
        realm_roles=frozenset(),
        client_roles={},
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    )


async def test_a_verified_token_is_not_verified_again_until_it_expires(realm):
    """Behaviour, not timing: once its signing key is gone, only a remembered token can pass."""
    verifier = await realm.loaded_verifier()
    first_key = realm.issuer.signing_key
    remembered = realm.mint("alice", lifetime=300)
    assert (await verifier.verify(remembered)).username == "alice"

    # The realm drops the first key; a token from the new key makes the gateway refetch the set.
    realm.issuer.rotate_key(keep_old=False)
    realm.monotonic.advance(60)
    assert (await verifier.verify(realm.mint("bob"))).username == "bob"

    # A fresh token from the dropped key is refused: its signature is checked and cannot be.
    fresh = realm.mint("alice", key=first_key)
    assert (await realm.refusal(verifier, fresh)).startswith("token signed with an unknown key")
    # The remembered token still passes: its signature was not checked again.
    assert (await verifier.verify(remembered)).username == "alice"

    # Past its exp (still within the leeway a first verification would allow), the entry is
    # not served: the token is verified again, and its key is gone.
    realm.clock.advance(301)
    message = await realm.refusal(verifier, remembered)
    assert message.startswith("token signed with an unknown key")


async def test_each_verifier_has_its_own_cache(realm):
    jwks = realm.jwks_cache()
    await jwks.load()
    first, second = realm.verifier(jwks), realm.verifier(jwks)
    token = realm.mint("alice")
    assert (await first.verify(token)).username == "alice"

    realm.issuer.rotate_key(keep_old=False)
    realm.monotonic.advance(60)
    await jwks.key_for(realm.issuer.signing_key.kid)  # the shared set no longer has alice's key

    assert (await first.verify(token)).username == "alice"
    assert (await realm.refusal(second, token)).startswith("token signed with an unknown key")


def test_entries_expire_at_their_deadline():
    cache = ClaimsCache()
    cache.put("token-a", principal("a"), deadline=100.0, now=50.0)
    assert cache.get("token-a", now=99.9) == principal("a")
    assert cache.get("token-a", now=100.0) is None
    assert len(cache) == 0


def test_an_already_expired_principal_is_not_stored():
    cache = ClaimsCache()
    cache.put("token-a", principal("a"), deadline=100.0, now=100.0)
    assert len(cache) == 0


def test_the_cache_is_bounded_and_evicts_the_oldest():
    cache = ClaimsCache(max_entries=2)
    for name in ("a", "b", "c"):
        cache.put(f"token-{name}", principal(name), deadline=100.0, now=0.0)
    assert len(cache) == 2
    assert cache.get("token-a", now=1.0) is None
    assert cache.get("token-b", now=1.0) == principal("b")
    assert cache.get("token-c", now=1.0) == principal("c")


def test_the_cache_holds_hashes_not_tokens():
    cache = ClaimsCache()
    cache.put("secret-token-value", principal("a"), deadline=100.0, now=0.0)
    assert "secret-token-value" not in repr(vars(cache))
