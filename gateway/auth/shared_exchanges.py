"""Offline-token exchanges shared by every gateway process through Redis.

Why: with several workers or replicas, each would otherwise exchange the same offline token on
its own. That costs Keycloak one exchange per process, and with "Revoke Refresh Token" on it
breaks outright: the first exchange rotates the offline token, and the next process, still holding
the old one, is refused (``invalid_grant``). So when Redis is configured, the outcome of an
exchange (the access token, when to renew it, the newest offline token) is kept in Redis, and one
exchange at a time per offline token runs across all processes (a short lock in Redis).

Nothing readable is stored: each entry is encrypted (AES-GCM) with a key derived from the offline
token the caller sent (HKDF-SHA256), and filed under a different hash of it. Whoever reads Redis
without that token learns nothing; a caller's token opens only its own entry.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass

import orjson
import redis.asyncio
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from redis.exceptions import RedisError

_NAMESPACE = "itsm-gateway:offline:"
_LOCK_SUFFIX = ":lock"
_NONCE_BYTES = 12
# Releases the lock only if this process still holds it (it may have expired and been retaken).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


# Keycloak's default "Offline Session Idle": an offline session unused this long ends.
ROTATION_SECONDS = 30 * 86_400.0


@dataclass(frozen=True)
class SharedExchange:
    """An exchange's outcome, as every process may use it."""

    access_token: str
    offline_token: str  # the newest: Keycloak may have rotated it
    renew_at: float  # epoch seconds
    expires_at: float  # epoch seconds


class SharedExchanges:
    """The exchanges of all processes, in Redis (see the module docstring)."""

    def __init__(
        self, client: redis.asyncio.Redis, *, rotation_seconds: float = ROTATION_SECONDS
    ) -> None:
        """``rotation_seconds``: how long an exchange's rotated offline token is kept after its
        last use (Keycloak's offline session idle timeout, 30 days by default)."""
        self._client = client
        self._rotation_seconds = rotation_seconds
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, *, timeout_seconds: float = 2.0) -> SharedExchanges:
        client = redis.asyncio.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        return cls(client)

    async def get(self, offline_token: str) -> SharedExchange | None:
        """The entry for the token the caller sent, or ``None`` (none, unreadable, Redis down)."""
        try:
            sealed = await self._client.get(_name(offline_token))
        except RedisError:
            return None
        # This client does not decode answers: an entry is bytes (str: a decoding client).
        if not isinstance(sealed, bytes) or not sealed:
            return None
        try:
            plain = _open(offline_token, sealed)
        except (InvalidTag, ValueError):
            return None
        data = orjson.loads(plain)
        return SharedExchange(**data)

    async def put(self, offline_token: str, entry: SharedExchange, now: float) -> None:
        """Kept as long as the offline session may live unused, not as long as the access token:
        the rotated offline token is the only one Keycloak still accepts where the realm revokes
        used ones, and losing it would lock the caller out. (An expired access token in it is
        never used: a reader exchanges again, with that rotated token.)"""
        ttl_ms = max(1, int(max(entry.expires_at - now, self._rotation_seconds) * 1000))
        sealed = _seal(offline_token, orjson.dumps(entry.__dict__))
        try:
            await self._client.set(_name(offline_token), sealed, px=ttl_ms)
        except RedisError:
            pass  # this process keeps its own copy; the others will exchange on their own

    async def lock(self, offline_token: str, ttl_seconds: float) -> str | None:
        """A token to ``unlock`` with when this process may exchange now; ``None`` when another
        holds the lock. When Redis is unreachable, every process may go ahead."""
        value = secrets.token_hex(16)
        try:
            taken = await self._client.set(
                _name(offline_token) + _LOCK_SUFFIX, value, nx=True, px=int(ttl_seconds * 1000)
            )
        except RedisError:
            return value
        return value if taken else None

    async def unlock(self, offline_token: str, value: str) -> None:
        try:
            await self._release(keys=[_name(offline_token) + _LOCK_SUFFIX], args=[value])
        except RedisError:
            pass  # it expires on its own

    async def aclose(self) -> None:
        await self._client.aclose()


def _name(offline_token: str) -> str:
    # A hash distinct from the key's derivation, so the name reveals nothing about the key.
    digest = hashlib.sha256(b"itsm-gateway offline entry\0" + offline_token.encode()).hexdigest()
    return _NAMESPACE + digest


def _key(offline_token: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"itsm-gateway offline exchange"
    ).derive(offline_token.encode())


def _seal(offline_token: str, plain: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(_key(offline_token)).encrypt(nonce, plain, None)


def _open(offline_token: str, sealed: bytes) -> bytes:
    if len(sealed) <= _NONCE_BYTES:
        raise ValueError("too short")
    nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return AESGCM(_key(offline_token)).decrypt(nonce, body, None)
