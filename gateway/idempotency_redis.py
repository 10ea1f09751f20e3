"""Idempotency keys in Redis, shared by every gateway process that names the same server.

Each key is one string value with a TTL (``PX``): the claim is ``SET NX PX``, the outcome a plain
``SET PX``, and a release deletes only the claim it made (a compare-and-delete script). Any Redis
failure is a 503 ``Unavailable``: a create must not go ahead without its key, and a retry must
not be mistaken for a first request, or it could create a second ticket.

Run Redis with ``maxmemory-policy noeviction`` (its default): an evicted key is a forgotten key.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import cast

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError

from connectors.errors import Unavailable
from resolvers.idempotency_store import DEFAULT_TTL_SECONDS

log = logging.getLogger("itsm_gateway.idempotency")

DEFAULT_NAMESPACE = "itsm-gateway:idempotency:"
_USAGE = "usage:"  # then a caller's digest: the characters it stored within the last TTL

# KEYS[1]: the key; ARGV[1]: the claim written. Deletes only that claim, never a newer value.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisIdempotencyStore:
    """``IdempotencyStore`` on a ``redis.asyncio`` client (which opens no socket until used).

    The client must decode answers to ``str`` (``decode_responses=True``), as ``from_url``'s does.
    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        self._client = client
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._namespace = namespace
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        timeout_seconds: float = 2.0,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> RedisIdempotencyStore:
        """A store on its own client: ``redis://[user:password@]host:port/db`` or ``rediss://``.

        Every command has a timeout and is retried twice on a connection failure; all three
        commands are safe to repeat (a repeated claim finds its own value, see ``Idempotency``).
        """
        client = redis.asyncio.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=2),
        )
        return cls(client, ttl_seconds=ttl_seconds, namespace=namespace)

    async def claim(self, key: str, value: str) -> str | None:
        name = self._namespace + key
        with _unreachable():
            while True:
                if await self._client.set(name, value, nx=True, px=self._ttl_ms):
                    return None
                held = cast(str | None, await self._client.get(name))  # a decoding client
                if held is not None:
                    return held
                # It expired between the two commands: claim again.

    async def replace(self, key: str, value: str) -> None:
        with _unreachable():
            await self._client.set(self._namespace + key, value, px=self._ttl_ms)

    async def release(self, key: str, value: str) -> None:
        with _unreachable():
            await self._release(keys=[self._namespace + key], args=[value])

    async def usage(self, owner: str) -> int:
        with _unreachable():
            held = await self._client.get(self._namespace + _USAGE + owner)
        return int(held) if held else 0

    async def charge(self, owner: str, chars: int) -> None:
        name = self._namespace + _USAGE + owner
        with _unreachable():
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incrby(name, chars)
                pipe.pexpire(name, self._ttl_ms)
                await pipe.execute()

    async def check(self) -> str:
        """For /readyz: ``ok`` when Redis answers a PING, else what went wrong (no URL)."""
        try:
            await self._client.ping()
        except RedisError as error:
            return f"unreachable ({type(error).__name__})"
        return "ok"

    async def aclose(self) -> None:
        await self._client.aclose()


@contextlib.contextmanager
def _unreachable() -> Iterator[None]:
    try:
        yield
    except RedisError as error:
        # redis-py's messages name the host and port, never the URL's password.
        log.warning("idempotency store unreachable: %s: %s", type(error).__name__, error)
        raise Unavailable("idempotency store unreachable; retry later") from None
