"""JwksCache: discovery, key filtering, refetch on an unknown kid (once, rate-limited), outages."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from joserfc.jwk import ECKey, Key, OctKey, RSAKey

from connectors.errors import Unavailable
from gateway.auth.jwks import JwksCache

ISSUER = "https://keycloak.test/realms/smartops"
JWKS_URI = f"{ISSUER}/protocol/openid-connect/certs"


def keycloak(discovery: object, jwks: object, *, status: int = 200):
    """A fake Keycloak for httpx.MockTransport, answering discovery and the JWKS."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(200, json=discovery)
        if str(request.url) == JWKS_URI:
            if isinstance(jwks, str):
                return httpx.Response(status, text=jwks, headers={"content-type": "text/html"})
            return httpx.Response(status, json=jwks)
        return httpx.Response(404)

    return handle


def discovery(issuer: str = ISSUER) -> dict[str, str]:
    return {"issuer": issuer, "jwks_uri": JWKS_URI}


def kid(key: Key) -> str:
    """The key's id: every key whose id these tests use is made with ``auto_kid=True``."""
    assert key.kid is not None
    return key.kid


def public(key, **extra) -> dict:
    return key.as_dict(private=False) | extra


@pytest.fixture
async def fake_http():
    """httpx clients over fake Keycloaks (callables answering requests), closed after the test."""
    clients: list[httpx.AsyncClient] = []

    def make(handler, **options) -> httpx.AsyncClient:
        clients.append(httpx.AsyncClient(transport=httpx.MockTransport(handler), **options))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


async def test_load_finds_the_jwks_through_discovery_and_keeps_only_signing_keys(realm):
    jwks = realm.jwks_cache()
    assert not jwks.is_loaded

    await jwks.load()

    assert jwks.is_loaded
    assert jwks.kids == frozenset(realm.issuer.published_kids)
    assert realm.issuer.discovery_fetches == 1
    assert realm.issuer.jwks_fetches == 1
    assert await jwks.key_for(realm.issuer.signing_key.kid) is not None


async def test_encryption_hmac_and_kidless_keys_are_ignored(fake_http):
    signing = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
    no_use = ECKey.generate_key("P-256", auto_kid=True)
    encryption = RSAKey.generate_key(2048, parameters={"use": "enc"}, auto_kid=True)
    hmac_key = OctKey.generate_key(256, auto_kid=True)
    kidless = RSAKey.generate_key(2048)
    keys = [
        public(signing),
        public(no_use),
        public(encryption),
        hmac_key.as_dict(private=True),
        public(kidless),
        {"kty": "RSA", "kid": "broken", "n": "not-base64!"},
        "not a key",
    ]
    jwks = JwksCache(ISSUER, fake_http(keycloak(discovery(), {"keys": keys})))

    await jwks.load()

    assert jwks.kids == {signing.kid, no_use.kid}
    assert await jwks.key_for(kid(encryption)) is None
    assert await jwks.key_for(kid(hmac_key)) is None


async def test_discovery_naming_another_issuer_fails_loudly(fake_http):
    answer = keycloak(discovery("http://localhost:8080/realms/smartops"), {})
    jwks = JwksCache(ISSUER, fake_http(answer))
    with pytest.raises(Unavailable) as caught:
        await jwks.load()
    assert "announces the issuer 'http://localhost:8080/realms/smartops'" in caught.value.message
    assert f"not the configured '{ISSUER}'" in caught.value.message
    assert not jwks.is_loaded


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, {"error": "boom"}, f"the JWKS at {JWKS_URI} answered HTTP 500"),
        (200, "<html>login</html>", f"the JWKS at {JWKS_URI} is not a JSON object (text/html)"),
        (200, {"no": "keys"}, f"the JWKS at {JWKS_URI} has no 'keys' list"),
        (200, {"keys": []}, f"the JWKS at {JWKS_URI} has no signing keys"),
    ],
)
async def test_bad_jwks_answers_are_errors_that_say_what_was_wrong(
    fake_http, status, body, expected
):
    jwks = JwksCache(ISSUER, fake_http(keycloak(discovery(), body, status=status)))
    with pytest.raises(Unavailable) as caught:
        await jwks.load()
    assert expected in caught.value.message
    assert caught.value.status == 503


async def test_a_fetch_that_times_out_says_so(fake_http):
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    jwks = JwksCache(ISSUER, fake_http(hang))
    with pytest.raises(Unavailable) as caught:
        await jwks.load()
    assert caught.value.message == (
        f"Keycloak at {ISSUER} is unreachable and no signing keys are cached: "
        f"the OpenID discovery document at {ISSUER}/.well-known/openid-configuration timed out"
    )


async def test_every_fetch_carries_a_timeout(fake_http):
    timeouts = []
    signing = RSAKey.generate_key(2048, auto_kid=True)
    answer = keycloak(discovery(), {"keys": [public(signing)]})

    def record(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return answer(request)

    await JwksCache(ISSUER, fake_http(record, timeout=None), timeout=2.5).load()
    assert len(timeouts) == 2
    assert all(timeout["read"] == 2.5 for timeout in timeouts)


async def test_unknown_kid_from_50_concurrent_requests_causes_one_refetch(realm):
    verifier = await realm.loaded_verifier()
    realm.issuer.rotate_key()
    realm.monotonic.advance(60)
    tokens = [realm.mint(f"user-{n}") for n in range(50)]
    fetches = realm.issuer.jwks_fetches

    principals = await asyncio.gather(*(verifier.verify(token) for token in tokens))

    assert realm.issuer.jwks_fetches == fetches + 1
    assert {principal.username for principal in principals} == {f"user-{n}" for n in range(50)}


async def test_requests_that_waited_for_a_fetch_reuse_it_even_without_a_rate_limit(realm):
    jwks = realm.jwks_cache(min_refresh_interval=0)
    await jwks.load()
    verifier = realm.verifier(jwks)
    stranger = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    tokens = [realm.mint(f"user-{n}", key=stranger) for n in range(50)]
    fetches = realm.issuer.jwks_fetches

    results = await asyncio.gather(
        *(verifier.verify(token) for token in tokens), return_exceptions=True
    )

    assert realm.issuer.jwks_fetches == fetches + 1
    assert all("unknown key" in str(result) for result in results)


async def test_refetches_are_rate_limited(realm):
    verifier = await realm.loaded_verifier()  # fetch 1, at monotonic 1000
    stranger = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)

    realm.monotonic.advance(10)
    await realm.refusal(verifier, realm.mint("a", key=stranger))
    assert realm.issuer.jwks_fetches == 1  # within 30 s of the last fetch: no refetch

    realm.monotonic.advance(21)
    await realm.refusal(verifier, realm.mint("b", key=stranger))
    assert realm.issuer.jwks_fetches == 2

    realm.monotonic.advance(29)
    await realm.refusal(verifier, realm.mint("c", key=stranger))
    assert realm.issuer.jwks_fetches == 2

    realm.monotonic.advance(1)
    await realm.refusal(verifier, realm.mint("d", key=stranger))
    assert realm.issuer.jwks_fetches == 3


async def test_cached_keys_keep_serving_when_keycloak_is_down(realm):
    verifier = await realm.loaded_verifier()
    token = realm.mint()
    await realm.stop()
    realm.monotonic.advance(60)

    assert (await verifier.verify(token)).username == "smartops.operator"
    # An unknown kid tries Keycloak, fails, and is refused as unknown, not as an outage.
    stranger = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    message = await realm.refusal(verifier, realm.mint(key=stranger))
    assert message.startswith("token signed with an unknown key")


async def test_no_keys_and_keycloak_down_is_unavailable(realm):
    token = realm.mint()
    await realm.stop()
    jwks = realm.jwks_cache()
    verifier = realm.verifier(jwks)

    with pytest.raises(Unavailable) as caught:
        await verifier.verify(token)

    assert caught.value.status == 503
    assert caught.value.message.startswith(
        f"Keycloak at {realm.url} is unreachable and no signing keys are cached: "
    )
    assert token not in caught.value.message
    assert not jwks.is_loaded


async def test_without_keys_an_outage_is_tried_once_per_interval(fake_http):
    """A start-up without Keycloak: requests are refused fast, not each waiting on a fetch."""
    attempts = []

    def down(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url)
        raise httpx.ConnectError("connection refused", request=request)

    jwks = JwksCache(ISSUER, fake_http(down))
    with pytest.raises(Unavailable):
        await jwks.load()

    results = await asyncio.gather(
        *(jwks.key_for("kid") for _ in range(20)), return_exceptions=True
    )

    assert all(isinstance(result, Unavailable) for result in results)
    assert len(attempts) == 1


async def test_keycloak_back_after_a_failed_start_is_used(fake_http):
    """load() failed at start-up; once Keycloak answers, the next interval's fetch loads keys."""
    signing = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    answers = {"up": False}
    answer = keycloak(discovery(), {"keys": [public(signing)]})

    def flaky(request: httpx.Request) -> httpx.Response:
        if not answers["up"]:
            raise httpx.ConnectError("connection refused", request=request)
        return answer(request)

    now = [0.0]
    jwks = JwksCache(
        ISSUER,
        fake_http(flaky),
        clock=lambda: now[0],
    )
    with pytest.raises(Unavailable, match="could not be fetched \\(ConnectError\\)"):
        await jwks.load()

    answers["up"] = True
    with pytest.raises(Unavailable):  # still within the interval: no new attempt
        await jwks.key_for(kid(signing))
    now[0] = 31.0
    assert await jwks.key_for(kid(signing)) is not None
    assert jwks.is_loaded


async def test_a_cancelled_fetch_leaves_the_next_caller_to_fetch(fake_http):
    """The request that started a fetch went away (client disconnected): a waiter fetches."""
    signing = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    answer = keycloak(discovery(), {"keys": [public(signing)]})
    release = asyncio.Event()
    started = asyncio.Event()
    requests = []

    async def slow_then_fast(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        if len(requests) == 1:
            started.set()
            await release.wait()
        return answer(request)

    jwks = JwksCache(ISSUER, fake_http(slow_then_fast), min_refresh_interval=30)
    first = asyncio.create_task(jwks.key_for(kid(signing)))
    await started.wait()
    waiter = asyncio.create_task(jwks.key_for(kid(signing)))
    await asyncio.sleep(0)
    first.cancel()

    assert await waiter is not None
    assert first.cancelled()
    assert jwks.is_loaded
