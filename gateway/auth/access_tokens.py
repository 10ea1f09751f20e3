"""Verifying Keycloak access tokens locally, without calling Keycloak per request.

Checks, each refusing with its own :class:`~gateway.errors.Unauthenticated` message:

1. the token is a compact JWS whose payload is a JSON object;
2. ``typ`` is ``Bearer`` (ID, refresh and offline tokens are refused as such);
3. ``alg`` is in the configured list: asymmetric only, so ``none`` and HMAC are never accepted.
   Accepting HS256 would let anyone sign tokens with the realm's *public* key as the HMAC secret;
4. ``iss`` is exactly the issuer; ``aud`` (a string or a list) contains the audience;
5. ``exp`` is present and, like ``nbf``, holds within ``leeway`` seconds;
6. ``kid`` names a key the realm publishes (one rate-limited refetch on an unknown kid);
7. the signature verifies with that key.

Steps 2 to 5 read claims before the signature is checked. That is safe because they can only
refuse, and it gives the caller the useful reason (an expired token signed by a key since rotated
away is "expired", not "unknown key") without a JWKS refetch for tokens refused anyway.

Messages never contain the token. They may quote a claim or header value, shortened.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from joserfc import jws
from joserfc.errors import InvalidKeyCurveError, JoseError, KeyParameterError
from joserfc.jwk import Key

from gateway.auth.claims_cache import ClaimsCache
from gateway.auth.jwks import JwksCache
from gateway.auth.principal import Principal
from gateway.errors import Unauthenticated
from gateway.observability.metrics import Metrics

DEFAULT_ALGORITHMS: tuple[str, ...] = (
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
_NEVER_ACCEPTED = frozenset({"none", "HS256", "HS384", "HS512"})

_BEARER = "Bearer"
# Keycloak's other token types (org.keycloak.util.TokenUtil), each with what to do instead.
_OTHER_TOKEN_TYPES = {
    "ID": "token is an ID token (typ 'ID') and is refused as such: "
    "send an access token (typ 'Bearer')",
    "Refresh": "token is a refresh token (typ 'Refresh') and is refused as such: "
    "exchange it at Keycloak's token endpoint and send the access token",
    "Offline": "token is an offline token (typ 'Offline') and is refused as such here: "
    "offline tokens go in X-Offline-Token",
}
# Latest instant datetime can represent (9999-12-31T23:59:59Z); beyond it a time is nonsense.
_MAX_TIMESTAMP = 253_402_300_799


class AccessTokenVerifier:
    """Turns a Keycloak access token into a :class:`Principal`, or refuses it.

    ``clock`` returns epoch seconds, injectable so tests can move past ``exp`` without sleeping.
    Verified tokens are remembered (by hash) until their ``exp``, so the signature of a token
    used for many requests is checked once.
    """

    def __init__(
        self,
        jwks: JwksCache,
        *,
        issuer: str,
        audience: str,
        leeway: int = 30,
        algorithms: Collection[str] = DEFAULT_ALGORITHMS,
        clock: Callable[[], float] = time.time,
        claims_cache_size: int = 10_000,
        metrics: Metrics | None = None,
    ) -> None:
        refused = sorted(set(algorithms) & _NEVER_ACCEPTED)
        if refused:
            raise ValueError(
                f"algorithms {refused} must not be accepted: only asymmetric signatures prove "
                "that Keycloak issued a token"
            )
        unknown = sorted(set(algorithms) - set(jws.JWSRegistry.algorithms))
        if unknown or not algorithms:
            raise ValueError(f"unsupported or no algorithms: {unknown}")
        self._jwks = jwks
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._algorithms = tuple(algorithms)
        self._clock = clock
        self._registry = jws.JWSRegistry(algorithms=self._algorithms, strict_check_header=False)
        self._cache = ClaimsCache(claims_cache_size)
        self._metrics = metrics or Metrics()

    def cached(self, token: str) -> Principal | None:
        """The caller behind ``token`` if it was verified before and has not expired. (A miss is
        counted by ``verify``, which the caller then calls.)"""
        principal = self._cache.get(token, self._clock())
        if principal is not None:
            self._metrics.cache_lookup("access_token_claims", hit=True)
        return principal

    async def verify(self, token: str) -> Principal:
        """The caller behind ``token``; raises ``Unauthenticated`` saying what is wrong, or
        ``Unavailable`` when the realm's keys cannot be had."""
        now = self._clock()
        cached = self._cache.get(token, now)
        self._metrics.cache_lookup("access_token_claims", hit=cached is not None)
        if cached is not None:
            return cached

        signed, claims = self._parse(token)
        header = signed.headers()
        self._check_type(claims)
        self._check_algorithm(header)
        self._check_issuer(claims)
        self._check_audience(claims)
        expires = self._check_time(claims, now)
        key = await self._signing_key(header)
        self._check_signature(signed, key)

        principal = Principal.from_claims(claims)
        self._cache.put(token, principal, deadline=expires, now=now)
        return principal

    def _parse(self, token: str) -> tuple[jws.CompactSignature, dict[str, Any]]:
        not_a_jwt = Unauthenticated(
            "the bearer token is not a JWT (expected three base64url parts, "
            "header.payload.signature, with a JSON object as payload)"
        )
        try:
            signed = jws.extract_compact(token.encode(), registry=self._registry)
            self._registry.check_header(signed.headers())
            claims = json.loads(signed.payload)
        except (JoseError, ValueError, TypeError):
            raise not_a_jwt from None
        if not isinstance(claims, dict):
            raise not_a_jwt
        return signed, claims

    def _check_type(self, claims: Mapping[str, Any]) -> None:
        typ = claims.get("typ")
        if typ == _BEARER:
            return
        if typ is None:
            raise Unauthenticated(
                "token has no typ claim; Keycloak access tokens carry typ 'Bearer'"
            )
        if isinstance(typ, str) and typ in _OTHER_TOKEN_TYPES:
            raise Unauthenticated(_OTHER_TOKEN_TYPES[typ])
        raise Unauthenticated(
            f"token type {_shown(typ)} is not accepted: send an access token (typ 'Bearer')"
        )

    def _check_algorithm(self, header: Mapping[str, Any]) -> None:
        alg = header.get("alg")
        if alg not in self._algorithms:
            alg_text = alg if isinstance(alg, str) and len(alg) <= 20 else _shown(alg)
            raise Unauthenticated(
                f"token algorithm {alg_text} is not accepted; Keycloak access tokens are signed "
                f"with RS256 (accepted here: {', '.join(self._algorithms)})"
            )

    def _check_issuer(self, claims: Mapping[str, Any]) -> None:
        iss = claims.get("iss")
        if iss is None:
            raise Unauthenticated(f"token has no issuer (iss); expected {self._issuer}")
        if iss != self._issuer:
            raise Unauthenticated(
                f"token issuer {_shown(iss)} is not the expected issuer {self._issuer}"
            )

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if self._audience in audiences:
            return
        shown = "(none)" if aud is None else _shown(aud)
        raise Unauthenticated(
            f"token audience {shown} does not include {self._audience}; add an audience mapper "
            f"(mapper type 'Audience', included client audience '{self._audience}') to the "
            "scopes of the client that requests the tokens in Keycloak"
        )

    def _check_time(self, claims: Mapping[str, Any], now: float) -> float:
        """Refuses expired and not-yet-valid tokens; returns ``exp``."""
        if "exp" not in claims:
            raise Unauthenticated(
                "token has no expiry (exp); Keycloak access tokens always carry one"
            )
        exp = _timestamp(claims["exp"])
        if exp is None:
            raise Unauthenticated("token expiry (exp) is not a valid time")
        if now >= exp + self._leeway:
            raise Unauthenticated(f"token expired at {_utc(exp)}")
        if "nbf" in claims:
            nbf = _timestamp(claims["nbf"])
            if nbf is None:
                raise Unauthenticated("token not-before time (nbf) is not a valid time")
            if now + self._leeway < nbf:
                raise Unauthenticated(f"token is not valid before {_utc(nbf)}")
        return exp

    async def _signing_key(self, header: Mapping[str, Any]) -> Key:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated(
                "token header names no signing key (kid); Keycloak access tokens always do"
            )
        key = await self._jwks.key_for(kid)
        if key is None:
            raise Unauthenticated(
                f"token signed with an unknown key (kid {_shown(kid)}): "
                f"{self._issuer} does not publish it"
            )
        return key

    def _check_signature(self, signed: jws.CompactSignature, key: Key) -> None:
        alg = signed.headers()["alg"]
        try:
            valid = jws.validate_compact(signed, key, registry=self._registry)
        except (KeyParameterError, InvalidKeyCurveError):
            key_alg = f" for {key.alg}" if key.alg else ""
            raise Unauthenticated(
                f"token algorithm {alg} does not match its signing key {_shown(key.kid)} "
                f"(a {key.key_type} key{key_alg})"
            ) from None
        except JoseError:
            valid = False
        if not valid:
            raise Unauthenticated(
                f"token signature is invalid: it does not verify with key {_shown(key.kid)} "
                f"of {self._issuer}"
            )


def _timestamp(value: object) -> float | None:
    """An epoch-seconds claim as a float, or None when it is not a usable time."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 <= value <= _MAX_TIMESTAMP:
        return None
    return float(value)


def _utc(timestamp: float) -> str:
    return (
        datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def _shown(value: object, limit: int = 80) -> str:
    """A claim or header value for a message: quoted, and shortened so a message stays a line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
