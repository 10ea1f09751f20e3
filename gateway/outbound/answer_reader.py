"""Reading an ITSM's answer with a bound on its size, on the wire and once decompressed.

Any instance the allow-list admits can answer anything, and the default allow-list admits every
instance of a SaaS domain, which anyone can get. So the transport never reads an answer whole
before judging its size: it reads it as a stream, counting the bytes that arrive, and decodes a
compressed answer itself, chunk by chunk, through decoders told how much they may produce. Past
``limit`` in either count it stops reading and raises ``UnreadableAnswer`` naming the limit and
its setting; the connection is dropped, not drained.

The gateway asks only for what it decodes here (``ACCEPT_ENCODING``: gzip and deflate) and
hands httpx the decoded body without ``Content-Encoding``, so nothing decodes it a second time
and no answer is decompressed by code that does not count. An answer in any other encoding is
refused the same way: an ITSM that ignores ``Accept-Encoding`` is not read blind.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable, Callable

import httpx

from connectors.http import UnreadableAnswer

ACCEPT_ENCODING = "gzip, deflate"
SETTING = "ITSM_GATEWAY_ITSM_MAX_ANSWER_BYTES"
CHUNK_SIZE = 65_536  # what the transport reads at a time
_IDENTITY = frozenset({"", "identity"})


class _Inflater:
    """One gzip or deflate layer, fed chunk by chunk, never producing more than asked."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._raw_deflate = False
        self._fed = b""  # a deflate layer's first bytes, kept to try raw deflate if zlib fails
        self._engine = self._new_engine()

    def _new_engine(self) -> zlib._Decompress:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int) -> bytes:
        """What ``data`` decodes to, at most ``room + 1`` bytes (one more than allowed shows the
        limit was passed without producing the rest)."""
        out = bytearray()
        pending = data
        while pending and len(out) <= room:
            try:
                out += self._engine.decompress(pending, room + 1 - len(out))
            except zlib.error:
                if self._gzip or self._raw_deflate or out:
                    raise
                # "deflate" is zlib-wrapped by the standard, raw by some servers: try raw.
                self._raw_deflate = True
                self._engine = self._new_engine()
                out += self._engine.decompress(pending, room + 1 - len(out))
            pending = self._engine.unconsumed_tail
            if self._engine.eof and self._engine.unused_data:
                # Another gzip member follows (concatenated members are one valid body).
                pending = self._engine.unused_data + pending
                if not self._gzip:
                    raise zlib.error("data after the end of a deflate stream")
                self._engine = self._new_engine()
        return bytes(out)


async def read_bounded(
    chunks: AsyncIterable[bytes],
    content_encoding: str,
    limit: int,
    refuse: Callable[[str], UnreadableAnswer],
) -> bytes:
    """The decoded body of an answer whose raw body arrives as ``chunks``; ``refuse(detail)``
    builds the error when the answer is larger than ``limit`` or in an encoding not read here."""
    layers = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
    layers = [e for e in layers if e not in _IDENTITY]
    unknown = [e for e in layers if e not in ("gzip", "x-gzip", "deflate")]
    if unknown:
        raise refuse(
            f"answered in an encoding the gateway does not read ({', '.join(unknown)}), "
            f"although it asked for {ACCEPT_ENCODING} only"
        )
    # Applied in the order listed, so undone in reverse.
    inflaters = [_Inflater(encoding) for encoding in reversed(layers)]
    body = bytearray()
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > limit:
                raise refuse(_too_large(limit, ""))
            for inflater in inflaters:
                chunk = inflater.feed(chunk, limit - len(body))
            body += chunk
            if len(body) > limit:
                raise refuse(_too_large(limit, " once decompressed"))
    except zlib.error:
        raise refuse(f"answered a {content_encoding} body that does not decode") from None
    return bytes(body)


def _too_large(limit: int, how: str) -> str:
    return (
        f"answered more than {limit:,} bytes{how}, the most the gateway reads of an ITSM answer "
        f"({SETTING}); ask for fewer fields, or raise the setting"
    )


def refusal(request: httpx.Request) -> Callable[[str], UnreadableAnswer]:
    """``refuse`` for ``read_bounded``, tied to ``request`` (httpx errors carry theirs)."""
    return lambda detail: UnreadableAnswer(detail, request=request)
