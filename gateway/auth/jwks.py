"""The realm's signing keys, fetched from Keycloak and kept in memory.

Keycloak publishes its keys at the ``jwks_uri`` of ``<issuer>/.well-known/openid-configuration``
(``<issuer>/protocol/openid-connect/certs``). That set also holds an encryption key
(``use: enc``), and during a rotation several signing keys at once: tokens name theirs by ``kid``.

Contract of :class:`JwksCache`:

- ``load()`` fetches at start-up; ``is_loaded`` is the readiness signal.
- ``key_for(kid)`` answers from memory. An unknown ``kid`` causes at most one refetch per
  ``min_refresh_interval`` (a flood of tokens with invented kids cannot hammer Keycloak), and one
  fetch at a time: callers that waited for a fetch in progress reuse its result.
- A refetch replaces the set, so a key Keycloak stopped publishing stops verifying.
- When Keycloak cannot be reached, the cached keys keep serving; with none cached,
  :class:`~connectors.errors.Unavailable`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import Key, import_key

from connectors.errors import Unavailable
from gateway.observability.metrics import Metrics

logger = logging.getLogger(__name__)

# Only public-key signatures: an "oct" (HMAC) key in the set would let anyone who can read the
# JWKS sign tokens.
SIGNING_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})


class JwksFetchError(Exception):
    """A fetch of the discovery document or the key set failed; ``reason`` says how."""

    def __init__(self, reason: str, *, unreachable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreachable = unreachable


class JwksCache:
    """Signing keys of one Keycloak realm (one issuer), by ``kid``.

    The ``http`` client belongs to the caller (the app opens and closes it); TLS verification is
    its setting. ``clock`` is monotonic seconds, injectable so tests can step past the rate limit.
    """

    def __init__(
        self,
        issuer: str,
        http: httpx.AsyncClient,
        *,
        min_refresh_interval: float = 30.0,
        timeout: float | httpx.Timeout = 5.0,
        clock: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
    ) -> None:
        self.issuer = issuer
        self._metrics = metrics or Metrics()
        self._http = http
        self._min_refresh_interval = min_refresh_interval
        self._timeout = timeout
        self._clock = clock
        self._keys: dict[str, Key] = {}
        self._jwks_uri: str | None = None
        self._lock = asyncio.Lock()
        # Counts finished fetch attempts, so callers that queued behind one reuse its result.
        self._attempts = 0
        self._last_attempt_at: float | None = None
        self._last_error: JwksFetchError | None = None

    @property
    def is_loaded(self) -> bool:
        """True once signing keys are in memory: the gateway can verify tokens."""
        return bool(self._keys)

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    async def load(self) -> None:
        """Fetch the keys now, whatever the rate limit (start-up, readiness).

        Raises :class:`Unavailable` when the fetch fails, with the reason, even if older keys are
        cached: a misconfigured issuer must fail loudly at start-up.
        """
        async with self._lock:
            await self._refresh()
            if self._last_error is not None:
                raise Unavailable(self._unavailable_message(self._last_error))

    async def key_for(self, kid: str) -> Key | None:
        """The signing key named ``kid``, or None when Keycloak does not publish it.

        Raises :class:`Unavailable` only when no keys at all are cached and Keycloak cannot
        give any.
        """
        key = self._keys.get(kid)
        if key is not None:
            return key
        attempts_seen = self._attempts
        async with self._lock:
            key = self._keys.get(kid)
            if key is not None:
                return key
            if self._attempts == attempts_seen and not self._rate_limited():
                await self._refresh()
            if not self._keys:
                raise Unavailable(self._unavailable_message(self._last_error))
            return self._keys.get(kid)

    def _rate_limited(self) -> bool:
        if self._last_attempt_at is None:
            return False
        return self._clock() - self._last_attempt_at < self._min_refresh_interval

    def _unavailable_message(self, error: JwksFetchError | None) -> str:
        if error is None or error.unreachable:
            message = f"Keycloak at {self.issuer} is unreachable and no signing keys are cached"
        else:
            message = f"the signing keys of {self.issuer} cannot be loaded"
        return f"{message}: {error.reason}" if error is not None else message

    async def _refresh(self) -> None:
        """One fetch attempt, under the lock. Failures are recorded and logged, never raised.

        ``_attempts`` moves when the attempt is over, not when it starts: a caller that read it
        while this fetch was in flight then sees it change, and reuses the result. A fetch
        cancelled with its request changes nothing, so the next caller in line fetches.
        """
        await self._fetch_and_replace()
        self._attempts += 1
        self._last_attempt_at = self._clock()

    async def _fetch_and_replace(self) -> None:
        try:
            keys = await self._fetch_keys()
        except JwksFetchError as error:
            self._last_error = error
            self._metrics.jwks_fetch(ok=False)
            logger.warning(
                "fetching the signing keys of %s failed (%s); %s",
                self.issuer,
                error.reason,
                f"keeping {len(self._keys)} cached key(s)" if self._keys else "no keys cached",
            )
            return
        self._last_error = None
        self._metrics.jwks_fetch(ok=True)
        added = keys.keys() - self._keys.keys()
        removed = self._keys.keys() - keys.keys()
        if added or removed:
            logger.info(
                "signing keys of %s: %d published, added %s, removed %s",
                self.issuer,
                len(keys),
                sorted(added),
                sorted(removed),
            )
        self._keys = keys

    async def _fetch_keys(self) -> dict[str, Key]:
        if self._jwks_uri is None:
            self._jwks_uri = await self._discover_jwks_uri()
        jwks = await self._get_json(self._jwks_uri, "the JWKS")
        entries = jwks.get("keys")
        if not isinstance(entries, list):
            raise JwksFetchError(
                f"the JWKS at {self._jwks_uri} has no 'keys' list", unreachable=False
            )
        keys: dict[str, Key] = {}
        for entry in entries:
            key = _signing_key(entry)
            if key is not None and key.kid is not None:
                keys[key.kid] = key
        if not keys:
            raise JwksFetchError(
                f"the JWKS at {self._jwks_uri} has no signing keys "
                "(use 'sig', kty RSA, EC or OKP, with a kid)",
                unreachable=False,
            )
        return keys

    async def _discover_jwks_uri(self) -> str:
        url = f"{self.issuer}/.well-known/openid-configuration"
        document = await self._get_json(url, "the OpenID discovery document")
        announced = document.get("issuer")
        if announced != self.issuer:
            # Keycloak derives its issuer from its hostname setting; tokens carry that value, so a
            # mismatch here means every token would be refused: say so now, not per request.
            raise JwksFetchError(
                f"{url} announces the issuer {announced!r}, not the configured {self.issuer!r}; "
                "the configured issuer must match it exactly (scheme, host, port, realm)",
                unreachable=False,
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise JwksFetchError(f"{url} has no http(s) jwks_uri", unreachable=False)
        return jwks_uri

    async def _get_json(self, url: str, what: str) -> Mapping[str, Any]:
        try:
            response = await self._http.get(
                url, timeout=self._timeout, headers={"Accept": "application/json"}
            )
        except httpx.TimeoutException:
            raise JwksFetchError(f"{what} at {url} timed out", unreachable=True) from None
        except httpx.HTTPError as error:
            raise JwksFetchError(
                f"{what} at {url} could not be fetched ({type(error).__name__})", unreachable=True
            ) from None
        if response.status_code != 200:
            raise JwksFetchError(
                f"{what} at {url} answered HTTP {response.status_code}",
                unreachable=response.status_code >= 500,
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            content_type = response.headers.get("content-type", "no content type")
            raise JwksFetchError(
                f"{what} at {url} is not a JSON object ({content_type})", unreachable=False
            )
        return body


def _signing_key(entry: object) -> Key | None:
    """The entry as a verification key, or None when it is not one (encryption, HMAC, broken)."""
    if not isinstance(entry, dict):
        return None
    if entry.get("use", "sig") != "sig" or entry.get("kty") not in SIGNING_KEY_TYPES:
        return None
    if not isinstance(entry.get("kid"), str):
        return None
    try:
        return import_key(entry)
    except (JoseError, ValueError, TypeError) as error:
        logger.warning("ignoring malformed JWKS key %r: %s", entry.get("kid"), error)
        return None
