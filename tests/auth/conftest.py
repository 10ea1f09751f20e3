"""A real token issuer on a loopback port, a real httpx client, and clocks tests can move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web

from emulators.token_issuer import TokenIssuer, serve
from gateway.auth.access_tokens import AccessTokenVerifier
from gateway.auth.jwks import JwksCache
from gateway.errors import Unauthenticated

# A fixed instant (2030-03-17T17:46:40Z): tokens are minted at it and the verifier's clock starts
# at it, so expiry is checked by moving the clock, never by sleeping.
T0 = 1_900_000_000.0
AUDIENCE = "itsm-gateway"


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Realm:
    """The issuer's app served on 127.0.0.1, and the gateway-side objects pointed at it."""

    issuer: TokenIssuer
    runner: web.AppRunner
    http: httpx.AsyncClient
    # Monotonic time for the JWKS rate limit, epoch time for token validity.
    monotonic: FakeClock = field(default_factory=lambda: FakeClock(1_000.0))
    clock: FakeClock = field(default_factory=lambda: FakeClock(T0))
    stopped: bool = False

    @property
    def url(self) -> str:
        assert self.issuer.issuer is not None
        return self.issuer.issuer

    def jwks_cache(self, *, min_refresh_interval: float = 30.0) -> JwksCache:
        return JwksCache(
            self.url,
            self.http,
            min_refresh_interval=min_refresh_interval,
            timeout=5.0,
            clock=self.monotonic,
        )

    def verifier(self, jwks: JwksCache | None = None, **options: Any) -> AccessTokenVerifier:
        return AccessTokenVerifier(
            jwks if jwks is not None else self.jwks_cache(),
            issuer=self.url,
            audience=AUDIENCE,
            clock=self.clock,
            **options,
        )

    async def loaded_verifier(self, **options: Any) -> AccessTokenVerifier:
        jwks = self.jwks_cache()
        await jwks.load()
        return self.verifier(jwks, **options)

    def mint(self, username: str = "smartops.operator", **options: Any) -> str:
        options.setdefault("issued_at", self.clock.now)
        return self.issuer.mint(username, **options)

    async def refusal(self, verifier: AccessTokenVerifier, token: str) -> str:
        """The message ``token`` is refused with; it must quote no part of the token."""
        with pytest.raises(Unauthenticated) as caught:
            await verifier.verify(token)
        message = caught.value.message
        assert not token or token not in message
        for segment in token.split("."):
            if len(segment) > 8:
                assert segment not in message
        assert caught.value.status == 401
        assert caught.value.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
        return message

    async def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            await self.runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # trust_env=False: a proxy from the environment must not intercept loopback calls.
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


@pytest.fixture
async def realm(http: httpx.AsyncClient) -> AsyncIterator[Realm]:
    issuer = TokenIssuer(realm="smartops", audience=AUDIENCE)
    runner = await serve(issuer)
    realm = Realm(issuer=issuer, runner=runner, http=http)
    yield realm
    await realm.stop()
