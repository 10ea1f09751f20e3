"""Keycloak rotates its signing key; the gateway follows without a restart."""

from __future__ import annotations


async def test_token_from_a_new_key_is_accepted_without_restart(realm):
    verifier = await realm.loaded_verifier()
    old_key = realm.issuer.signing_key
    realm.issuer.rotate_key()
    realm.monotonic.advance(60)

    new_token = realm.mint("after-rotation")
    assert (await verifier.verify(new_token)).username == "after-rotation"
    assert realm.issuer.jwks_fetches == 2

    # The old key is still published (passive), so its tokens keep passing.
    old_token = realm.mint("before-rotation", key=old_key)
    assert (await verifier.verify(old_token)).username == "before-rotation"
    assert realm.issuer.jwks_fetches == 2


async def test_a_key_no_longer_published_stops_verifying_after_the_next_refetch(realm):
    verifier = await realm.loaded_verifier()
    old_key = realm.issuer.signing_key
    realm.issuer.rotate_key(keep_old=False)
    realm.monotonic.advance(60)

    assert (await verifier.verify(realm.mint("new"))).username == "new"

    message = await realm.refusal(verifier, realm.mint("old", key=old_key))
    assert message == (
        f"token signed with an unknown key (kid '{old_key.kid}'): {realm.url} does not publish it"
    )


async def test_several_rotations_keep_every_published_key(realm):
    verifier = await realm.loaded_verifier()
    keys = [realm.issuer.signing_key]
    for _ in range(3):
        keys.append(realm.issuer.rotate_key())
    realm.monotonic.advance(60)

    for index, key in enumerate(reversed(keys)):
        token = realm.mint(f"user-{index}", key=key)
        assert (await verifier.verify(token)).username == f"user-{index}"
    assert realm.issuer.jwks_fetches == 2
