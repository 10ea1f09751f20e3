"""Offline tokens: exchanged at Keycloak for access tokens, which are then verified as any other.

Keycloak signs offline tokens with a realm secret it never publishes (HS512), so only Keycloak
can judge one: the gateway exchanges it at the realm's token endpoint
(``grant_type=refresh_token``) as the client it was issued to (its ``azp``), which must be a client
the gateway is configured for. Contract of :class:`OfflineTokenExchanger`:

- the access token obtained is kept, keyed by a SHA-256 of the offline token (the key never holds
  the token), until shortly before it expires; requests with the same offline token reuse it;
- one exchange at a time per offline token, however many requests arrive together;
- Keycloak may rotate the offline token on each exchange ("Revoke Refresh Token" on: each one
  works once). The rotated token is kept with the entry and used for the next exchange, so a
  caller can keep sending the offline token it was given;
- a revoked, expired or already-used offline token is a 401 saying so; Keycloak unreachable is a
  503 for a token with nothing cached, while cached access tokens keep working until they expire;
- what can be judged locally is, before any call: the token's shape (an HMAC-signed JWT with a
  signature of its algorithm's length, as Keycloak's are), ``typ``, issuer, audience, client, and
  ``exp`` when it has one; what Keycloak refused is remembered, and the pace of its refusals
  limited (``offline_refusals``), so a stream of made-up tokens does not reach Keycloak;
- Keycloak answers every exchange with a new offline token; where the realm revokes the old one
  ("Revoke Refresh Token"), the caller's own token works no more, and only the gateway holds the
  one that does. With Redis, that rotation is shared for as long as Keycloak can keep an offline
  session idle (``shared_exchanges``), so no process, restart or expired access token loses it.
  Without Redis it lives in this process's memory (``max_entries``, least recently used first
  out): a restart, or a caller idle while 10,000 others came, loses it, and the caller's next
  exchange is a 401 that says so and asks for a new offline token.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
import orjson

from connectors.errors import RateLimited, Unavailable
from gateway.auth.access_tokens import AccessTokenVerifier
from gateway.auth.credentials import unverified_claims, unverified_header
from gateway.auth.offline_refusals import OfflineRefusals
from gateway.auth.principal import Principal
from gateway.auth.shared_exchanges import SharedExchange, SharedExchanges
from gateway.errors import Unauthenticated
from gateway.observability.metrics import Metrics

log = logging.getLogger(__name__)

OFFLINE = "Offline"
# Renew this long before the access token expires, so a request never carries one that expires
# on the way (half the lifetime for very short-lived tokens).
_RENEW_MARGIN_SECONDS = 30.0
# Keycloak signs offline tokens with HMAC (HS512 by default); the signature's base64url length
# follows from the algorithm.
_HMAC_SIGNATURE_LENGTHS = {"HS256": 43, "HS384": 64, "HS512": 86}
_EXP_LEEWAY_SECONDS = 30


@dataclass
class _Exchange:
    """What the gateway holds for one offline token (found by the hash of the token first sent)."""

    offline_token: str = field(repr=False)  # the newest one: Keycloak may have rotated it
    client_id: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    access_token: str | None = field(default=None, repr=False)
    renew_at: float = 0.0  # epoch seconds: when to exchange again
    expires_at: float = 0.0  # epoch seconds: when the access token stops being valid


class OfflineTokenExchanger:
    """Turns an offline token into a :class:`Principal`, or refuses it.

    ``clients`` maps each client id whose offline tokens the gateway may exchange to its secret
    (``None`` for a public client). ``clock`` returns epoch seconds.
    """

    def __init__(
        self,
        *,
        issuer: str,
        clients: Mapping[str, str | None],
        http: httpx.AsyncClient,
        verifier: AccessTokenVerifier,
        clock: Callable[[], float] = time.time,
        max_entries: int = 10_000,
        metrics: Metrics | None = None,
        shared: SharedExchanges | None = None,
        shared_wait_seconds: float = 10.0,
        refusals: OfflineRefusals | None = None,
        recheck_seconds: float | None = None,
    ) -> None:
        """``recheck_seconds``: the longest an exchanged access token is reused before the
        offline token is exchanged again, which is how long a revoked offline token keeps
        working (``None``: until shortly before the access token expires)."""
        self._issuer = issuer
        self._token_endpoint = f"{issuer}/protocol/openid-connect/token"
        self._clients = dict(clients)
        self._http = http
        self._verifier = verifier
        self._clock = clock
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, _Exchange] = OrderedDict()
        self._metrics = metrics or Metrics()
        self._shared = shared
        self._shared_wait = shared_wait_seconds
        self._refusals = refusals or OfflineRefusals()
        self._recheck_seconds = recheck_seconds

    async def principal_for(self, offline_token: str) -> Principal:
        key = hashlib.sha256(offline_token.encode()).digest()
        entry = self._entries.get(key)
        if entry is None:
            if self._refusals.was_refused(key):
                self._metrics.offline_exchange("refused_again")
                raise Unauthenticated(
                    "Keycloak refused this offline token a short while ago: it was revoked, has "
                    "expired or was already used; get a new offline token"
                )
            entry = self._remember(key, offline_token, self._client_of(offline_token))
        self._entries.move_to_end(key)
        async with entry.lock:
            # Requests that waited here find the access token the first one obtained.
            if self._stale(entry) and self._shared is not None:
                await self._adopt(offline_token, entry)  # another process may have exchanged
            stale = self._stale(entry)
            self._metrics.cache_lookup("offline_access_token", hit=not stale)
            if stale and entry.access_token is None:
                self._check_pace()  # a token never exchanged yet: maybe one more made-up one
            if stale:
                try:
                    await self._exchange_once(key, offline_token, entry)
                except Unavailable:
                    if entry.access_token is None or self._clock() >= entry.expires_at:
                        raise
                    # Keycloak is down, but the access token has not expired: keep serving it.
                    log.warning("Keycloak unreachable; serving a cached access token until expiry")
            access_token = entry.access_token
        assert access_token is not None
        return await self._verifier.verify(access_token)

    def _check_pace(self) -> None:
        wait = self._refusals.wait_before_new()
        if wait is not None:
            self._metrics.offline_exchange("paced")
            raise RateLimited(
                "Keycloak has refused many offline tokens in the last minute; to protect it the "
                f"gateway exchanges no new offline token for {math.ceil(wait)} s (tokens already "
                "in use keep working); retry then",
                retry_after=math.ceil(wait),
            )

    def _stale(self, entry: _Exchange) -> bool:
        return entry.access_token is None or self._clock() >= entry.renew_at

    async def _adopt(self, offline_token: str, entry: _Exchange) -> None:
        """Take another process's newer exchange (access token and rotated offline token)."""
        assert self._shared is not None
        shared = await self._shared.get(offline_token)
        if shared is not None and shared.renew_at > entry.renew_at:
            entry.access_token, entry.offline_token = shared.access_token, shared.offline_token
            entry.renew_at, entry.expires_at = shared.renew_at, shared.expires_at

    async def _exchange_once(self, key: bytes, offline_token: str, entry: _Exchange) -> None:
        """Exchange, one process at a time when exchanges are shared: the others wait for its
        outcome rather than present an offline token it may just have rotated."""
        if self._shared is None:
            await self._exchange(key, entry)
            return
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._shared_wait
        while True:
            held = await self._shared.lock(offline_token, ttl_seconds=self._shared_wait)
            if held is not None or loop.time() >= give_up_at:
                break
            await asyncio.sleep(0.05)
            await self._adopt(offline_token, entry)
            if not self._stale(entry):
                return
        try:
            await self._adopt(offline_token, entry)  # it may have finished just before the lock
            if not self._stale(entry):
                return
            await self._exchange(key, entry)
            assert entry.access_token is not None
            shared = SharedExchange(
                access_token=entry.access_token,
                offline_token=entry.offline_token,
                renew_at=entry.renew_at,
                expires_at=entry.expires_at,
            )
            await self._shared.put(offline_token, shared, now=self._clock())
        finally:
            if held is not None:
                await self._shared.unlock(offline_token, held)

    def _client_of(self, offline_token: str) -> str:
        """The client to exchange as, once every local check passed (none trusts the token:
        each only refuses what Keycloak would refuse anyway, without asking it)."""
        claims = unverified_claims(offline_token)
        header = unverified_header(offline_token)
        if claims is None or header is None:
            raise Unauthenticated("the offline token is not a JWT issued by Keycloak")
        if claims.get("typ") != OFFLINE:
            raise Unauthenticated(
                f"the token sent as an offline token has typ {str(claims.get('typ'))[:20]!r}, not "
                "'Offline': request it with scope=offline_access, or send an access token in "
                "'Authorization: Bearer'"
            )
        signature_length = _HMAC_SIGNATURE_LENGTHS.get(str(header.get("alg")))
        if signature_length is None or len(offline_token.rsplit(".", 1)[1]) != signature_length:
            raise Unauthenticated(
                "the offline token is not signed as Keycloak signs offline tokens (HMAC, HS512); "
                "send the offline token Keycloak issued, unchanged"
            )
        if claims.get("iss") != self._issuer:
            raise Unauthenticated(
                f"the offline token was issued by {str(claims.get('iss'))[:120]!r}, not by "
                f"{self._issuer}"
            )
        audience = claims.get("aud")
        if audience != self._issuer and not (
            isinstance(audience, list) and self._issuer in audience
        ):
            raise Unauthenticated(
                "the offline token's audience is not this realm, as a Keycloak offline token's is"
            )
        expires = claims.get("exp")
        if (
            isinstance(expires, int | float)
            and expires
            and expires < (self._clock() - _EXP_LEEWAY_SECONDS)
        ):
            raise Unauthenticated("the offline token has expired; get a new offline token")
        client_id = claims.get("azp")
        if not isinstance(client_id, str) or client_id not in self._clients:
            raise Unauthenticated(
                f"the offline token was issued to client {str(client_id)[:80]!r}, whose offline "
                "tokens this gateway is not configured to exchange; ask the operators to add it "
                "to ITSM_GATEWAY_KEYCLOAK_CLIENTS"
            )
        return client_id

    def _remember(self, key: bytes, offline_token: str, client_id: str) -> _Exchange:
        entry = _Exchange(offline_token=offline_token, client_id=client_id)
        self._entries[key] = entry
        while len(self._entries) > self._max_entries:
            # The least recently used offline token: its caller will need a new exchange.
            self._entries.popitem(last=False)
        return entry

    async def _exchange(self, key: bytes, entry: _Exchange) -> None:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": entry.offline_token,
            "client_id": entry.client_id,
        }
        secret = self._clients.get(entry.client_id)
        if secret:
            form["client_secret"] = secret
        try:
            response = await self._http.post(self._token_endpoint, data=form)
        except httpx.TransportError as error:
            self._metrics.offline_exchange("unavailable")
            raise Unavailable(
                f"Keycloak at {self._issuer} is unreachable ({type(error).__name__}), and no "
                "access token is cached for this offline token; retry later"
            ) from None
        body = _json(response)
        access_token = body.get("access_token")
        if response.status_code == 200 and isinstance(access_token, str):
            now = self._clock()
            lifetime = _seconds(body.get("expires_in"), default=60.0)
            entry.access_token = access_token
            entry.expires_at = now + lifetime
            reuse = max(lifetime - min(_RENEW_MARGIN_SECONDS, lifetime / 2), 0)
            if self._recheck_seconds is not None:
                reuse = min(reuse, self._recheck_seconds)
            entry.renew_at = now + reuse
            rotated = body.get("refresh_token")
            if isinstance(rotated, str) and rotated:
                entry.offline_token = rotated
            self._metrics.offline_exchange("ok")
            return
        refusal, description = str(body.get("error", "")), str(body.get("error_description", ""))
        said = f"{refusal}: {description}"[:200] if refusal else f"HTTP {response.status_code}"
        if refusal == "invalid_grant":
            self._metrics.offline_exchange("refused")
            self._entries.pop(key, None)  # nothing of it is usable any more
            self._refusals.note_refusal(key)
            if "reuse" in description.lower():
                # The caller's token was rotated by an exchange whose outcome this process no
                # longer holds: another process's without shared exchanges, or its own before a
                # restart or an eviction.
                raise Unauthenticated(
                    "Keycloak refused the offline token as already used: this realm rotates "
                    "offline tokens at each exchange, and the gateway no longer holds the rotated "
                    "one (it restarted or forgot it, or another gateway process exchanged it "
                    f"without a shared Redis) ({said}); get a new offline token"
                )
            raise Unauthenticated(
                f"Keycloak refused the offline token: it was revoked, has expired or was already "
                f"used ({said}); get a new offline token"
            )
        if response.status_code >= 500 or not refusal:
            self._metrics.offline_exchange("unavailable")
            raise Unavailable(
                f"Keycloak at {self._issuer} failed to exchange the offline token ({said})"
            )
        # invalid_client, unauthorized_client: the gateway's own client settings are wrong.
        self._metrics.offline_exchange("misconfigured")
        log.error(
            "Keycloak refused the gateway's exchange as client %s (%s)", entry.client_id, said
        )
        raise Unavailable(
            f"Keycloak refused the gateway's exchange as client {entry.client_id} ({said}); "
            "the operators must check the client's settings"
        )


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def _seconds(value: object, *, default: float) -> float:
    return float(value) if isinstance(value, int | float) and value > 0 else default
