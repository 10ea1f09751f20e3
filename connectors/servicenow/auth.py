"""How the gateway authenticates to ServiceNow: the five ``AuthType``s, and the OAuth token cache.

Basic, API key (``x-sn-apikey``) and bearer are static headers. The two OAuth types get an
access token at ``POST {instance}/oauth_token.do``, which takes form-encoded bodies only (JSON
fails there). Tokens are cached in the factory, so they outlive a request and are shared by every
connector opened for the same account:

- the key is (instance, grant type, client_id, username, SHA-256 of the form that carries the
  secrets): never a secret itself;
- a token is used until ``margin`` seconds before ``expires_in`` runs out (ServiceNow's default
  lifetime is 1800 s), then fetched again;
- one fetch at a time per key: requests that arrive while a fetch is running wait for it and take
  its token, or its error, instead of fetching again (a refused secret costs one call, not one
  per waiting request);
- a 401 from the Table API drops the token it was sent with, so the one retry fetches a new one;
- the fetch goes through the factory's ``Resilience`` like a Table API call: the instance's
  breaker (an instance that fails its Table API fails its token endpoint too, so no point asking)
  and its concurrency limit (the token endpoint is on the same pooled connections), and it is
  retried as an idempotent call: a second token, if the first was issued after all, harms nothing.

The password grant is simply repeated on expiry rather than using ``refresh_token``: the same
single call, and no second kind of state to keep.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from connectors.connection import AuthType, Credentials
from connectors.errors import GatewayError, ItsmError
from connectors.http import (
    RequestAuth,
    Resilience,
    ResiliencePolicy,
    Scrubber,
    Target,
    call_or_raise,
    scrub_body,
    scrubbed,
    target_key,
)
from connectors.servicenow.answers import ANSWERS

DEFAULT_LIFETIME = 1800.0  # seconds; ServiceNow's default, used if an answer omits expires_in
REFRESH_MARGIN = 60.0  # seconds before expiry at which a cached token is replaced


class StaticAuth:
    """A ``RequestAuth`` for basic, API key or bearer: the same headers every time, nothing to
    refresh."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers

    async def headers(self) -> dict[str, str]:
        return dict(self._headers)

    def forget(self, sent: Mapping[str, str]) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class OAuthGrant:
    """One account at one instance's token endpoint; ``form`` holds secrets, kept out of repr."""

    token_url: str
    key: tuple[str, str, str, str, str]
    form: Mapping[str, str] = field(repr=False)
    grant_type: str = "password"
    account: str = ""  # ``Credentials.account_key``: its breaker and slots are the account's

    @property
    def instance_url(self) -> str:
        return self.key[0]

    @classmethod
    def of(cls, instance_url: str, credentials: Credentials) -> OAuthGrant:
        client_id = credentials.client_id or ""
        form = {"client_id": client_id, "client_secret": credentials.client_secret or ""}
        if credentials.auth_type is AuthType.OAUTH_PASSWORD:
            grant_type, username = "password", credentials.username or ""
            form |= {"username": username, "password": credentials.password or ""}
        else:  # the client's own account: a username or password given too plays no part
            grant_type, username = "client_credentials", ""
        digest = hashlib.sha256("\0".join(form.values()).encode()).hexdigest()
        return cls(
            token_url=f"{instance_url}/oauth_token.do",
            key=(instance_url, grant_type, client_id, username, digest),
            form={"grant_type": grant_type, **form},
            grant_type=grant_type,
            account=credentials.account_key(),
        )


@dataclass(slots=True)
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    token: str | None = None
    refresh_at: float = 0.0
    fetches: int = 0  # fetches ended; a waiter compares it to know one ended while it waited
    error: GatewayError | None = None


class OAuthTokenCache:
    """Access tokens by account, owned by the factory (see the module docstring)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        margin: float = REFRESH_MARGIN,
        resilience: Resilience | None = None,
    ) -> None:
        self._http = http
        self._resilience = resilience or Resilience(ResiliencePolicy.disabled())
        self._clock = clock
        self._margin = margin
        self._slots: dict[tuple[str, str, str, str, str], _Slot] = {}

    async def token(
        self, grant: OAuthGrant, *, host: str, scrub: Scrubber, headers: Mapping[str, str]
    ) -> str:
        slot = self._slot(grant.key)
        if slot.token is not None and self._clock() < slot.refresh_at:
            return slot.token
        seen = slot.fetches
        async with slot.lock:
            if slot.fetches != seen:  # a fetch ended while this request waited: share its outcome
                if slot.token is not None and self._clock() < slot.refresh_at:
                    return slot.token
                if slot.error is not None:
                    raise copy.copy(slot.error)
            slot.token, slot.error = None, None
            try:
                token, lifetime = await self._fetch(grant, host=host, headers=headers, scrub=scrub)
            except GatewayError as exc:
                slot.error = scrubbed(exc, scrub)
                slot.fetches += 1
                raise
            slot.token = token
            slot.refresh_at = self._clock() + max(lifetime - self._margin, lifetime / 2)
            slot.fetches += 1
            return token

    def forget(self, grant: OAuthGrant, token: str) -> None:
        """Drop ``token`` if it is still the cached one (a concurrent 401 may have replaced it)."""
        slot = self._slots.get(grant.key)
        if slot is not None and slot.token == token:
            slot.token = None

    def clear(self) -> None:
        self._slots.clear()

    def _slot(self, key: tuple[str, str, str, str, str]) -> _Slot:
        slot = self._slots.get(key)
        if slot is None:
            self._evict_stale()
            slot = self._slots[key] = _Slot()
        return slot

    def _evict_stale(self) -> None:
        """Forget accounts whose token has run out and that nobody is fetching for right now, so
        that many different callers' credentials do not accumulate for the process lifetime."""
        now = self._clock()
        stale = [
            key
            for key, slot in self._slots.items()
            if not slot.lock.locked() and (slot.token is None or now >= slot.refresh_at)
        ]
        for key in stale:
            del self._slots[key]

    async def _fetch(
        self, grant: OAuthGrant, *, host: str, headers: Mapping[str, str], scrub: Scrubber
    ) -> tuple[str, float]:
        # The account's own breaker and slots, shared with its Table API calls.
        target = Target(
            key=target_key(grant.instance_url, grant.account),
            name=f"ServiceNow at {host}",
            host=host,
        )
        name = target.name

        def attempt() -> Awaitable[httpx.Response]:
            return self._http.post(
                grant.token_url,
                data=dict(grant.form),  # form-encoded: oauth_token.do refuses JSON
                headers={**headers, "Accept": "application/json"},
            )

        # Idempotent: a second token, if the first was issued after all, harms nothing.
        response = await call_or_raise(
            self._resilience, target, "POST", attempt, idempotent=True, operation="oauth_token"
        )
        if response.status_code == 429:
            raise ANSWERS.rate_limited(response, name)
        body = ANSWERS.json_body(response, name)
        if not response.is_success:
            # Scrubbed before it is quoted and cut: the endpoint got the secrets in its form.
            body = scrub_body(body, scrub)
        if response.status_code in (400, 401):
            needs = "clientId and clientSecret"
            if grant.grant_type == "password":
                needs = "clientId, clientSecret, username and password"
            raise ItsmError(
                f"{name} refused the gateway's OAuth credentials ({ANSWERS.quote(body)}); "
                f"check the connection's {needs}"
            )
        if not response.is_success:
            raise ANSWERS.refusal(response.status_code, body, name)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or not isinstance(body, dict):
            raise ItsmError(f"{name} answered its token endpoint without a token")
        return token, _lifetime(body)


def _lifetime(body: dict[str, object]) -> float:
    raw = body.get("expires_in")
    try:
        lifetime = float(raw)  # type: ignore[arg-type]  # an int, or a numeric string
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME
    return lifetime if lifetime > 0 else DEFAULT_LIFETIME


class OAuthAuth:
    """A ``RequestAuth``: a bearer token from the factory's cache, dropped on a 401 so the retry
    fetches anew."""

    def __init__(
        self,
        cache: OAuthTokenCache,
        grant: OAuthGrant,
        *,
        host: str,
        scrub: Scrubber,
        headers: Mapping[str, str],
    ) -> None:
        self._cache = cache
        self._grant = grant
        self._host = host
        self._scrub = scrub
        self._extra = headers

    async def headers(self) -> dict[str, str]:
        token = await self._cache.token(
            self._grant, host=self._host, scrub=self._scrub, headers=self._extra
        )
        return {"Authorization": f"Bearer {token}"}

    def forget(self, sent: Mapping[str, str]) -> bool:
        token = sent.get("Authorization", "").removeprefix("Bearer ")
        self._cache.forget(self._grant, token)
        return True


def servicenow_auth(
    credentials: Credentials,
    instance_url: str,
    cache: OAuthTokenCache,
    *,
    host: str,
    scrub: Scrubber,
    headers: Mapping[str, str],
) -> RequestAuth:
    kind = credentials.auth_type
    if kind is AuthType.BASIC:
        pair = f"{credentials.username or ''}:{credentials.password or ''}".encode()
        return StaticAuth({"Authorization": f"Basic {base64.b64encode(pair).decode()}"})
    if kind is AuthType.API_KEY:
        return StaticAuth({"x-sn-apikey": credentials.api_key or ""})
    if kind is AuthType.BEARER:
        return StaticAuth({"Authorization": f"Bearer {credentials.token or ''}"})
    grant = OAuthGrant.of(instance_url, credentials)
    return OAuthAuth(cache, grant, host=host, scrub=scrub, headers=headers)
