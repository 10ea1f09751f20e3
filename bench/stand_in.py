"""The ITSM stand-in of ``bench.load``: recorded ServiceNow answers served by a minimal server.

    python -m bench.stand_in --port P --answers answers.json [--latency-ms 0]

Why: at 0 ms the emulator (a full Table API in Python) costs more CPU per call than the gateway
spends on some requests, so a CPU-bound row measured the emulator as much as the gateway. The
stand-in answers from a table of recorded bytes, with nothing else to do.

``answers.json`` is a list of ``{"method", "path", "query", "status", "content_type",
"headers", "body"}`` (``query`` a JSON object, ``headers`` extra answer headers such as
``X-Total-Count``, ``body`` text). A request is matched on its method, its percent-decoded path
and its decoded query items, sorted (so the order the client encodes them in does not matter;
the body is not compared: a create is answered with the recorded create whatever it sends).

The server is an ``asyncio.Protocol`` on uvloop that parses HTTP/1.1 by hand: the request line,
the headers (only ``Content-Length`` and ``Connection`` are read) and a ``Content-Length`` body;
keep-alive and pipelining, no chunked bodies (a chunked request is answered 501 and the
connection closed). Each raw request target is resolved once and then found in a dict, so a
repeated call costs one dict lookup and one write.

Latency: every answer is written ``latency`` seconds after its request was read
(``loop.call_later``), set with ``--latency-ms`` or the control path below.

Control (never counted as calls; no authentication, loopback only):

- ``POST /_stand_in/latency?ms=50``: the per-request latency;
- ``GET /_stand_in/calls``: ``{"calls": n, "unknown": {"GET /path?query": count}}``;
- ``DELETE /_stand_in/calls``: zeroes ``calls`` (the unknown calls are kept for the whole run,
  since any of them fails it).

A call with no recorded answer is answered 404 with a JSON body naming it, and counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

import uvloop

CONTROL = "/_stand_in/"
# A request head larger than this is refused (431) rather than buffered without end.
MAX_HEAD_BYTES = 64 * 1024
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    431: "Request Header Fields Too Large",
    501: "Not Implemented",
}

CallKey = tuple[str, str, tuple[tuple[str, str], ...]]


def call_key(method: str, path: str, query: Iterable[tuple[str, str]]) -> CallKey:
    """What a call is matched on: method, decoded path, decoded query items sorted."""
    return (method.upper(), path, tuple(sorted(query)))


def key_of_target(method: str, target: str) -> CallKey:
    """The key of a raw request target (``/api/now/table/incident?sysparm_query=...``)."""
    parts = urlsplit(target)
    return call_key(method, unquote(parts.path), parse_qsl(parts.query, keep_blank_values=True))


def response_bytes(
    status: int, content_type: str, body: bytes, headers: Mapping[str, str] | None = None
) -> bytes:
    """A whole HTTP/1.1 answer, built once per recorded answer."""
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass(frozen=True)
class RequestHead:
    method: str
    target: str
    content_length: int
    keep_alive: bool
    chunked: bool


def parse_head(head: bytes) -> RequestHead:
    """The request line and the headers this server needs; ``ValueError`` when malformed.

    ``head`` is everything before the blank line. HTTP/1.1 keeps the connection open unless
    ``Connection: close``; HTTP/1.0 closes it unless ``Connection: keep-alive``."""
    lines = head.split(b"\r\n")
    method, target, version = lines[0].decode("latin-1").split(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not HTTP/1.x: {version!r}")
    length, connection, chunked = 0, "", False
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise ValueError(f"a header line without a colon: {line[:80]!r}")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
            if length < 0:
                raise ValueError("a negative Content-Length")
        elif lowered == b"connection":
            connection = value.strip().decode("latin-1").lower()
        elif lowered == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    return RequestHead(method, target, length, keep_alive, chunked)


@dataclass
class StandIn:
    """The recorded answers, the latency and the counts, shared by every connection."""

    answers: dict[CallKey, bytes]
    latency_s: float = 0.0
    calls: int = 0
    unknown: Counter[str] = field(default_factory=Counter)
    # Raw request target -> answer: each distinct target is decoded once.
    _by_target: dict[tuple[str, str], bytes] = field(default_factory=dict)

    @classmethod
    def from_recorded(cls, recorded: Iterable[Mapping[str, Any]], latency_ms: float = 0) -> StandIn:
        answers = {}
        for answer in recorded:
            key = call_key(answer["method"], answer["path"], answer["query"].items())
            answers[key] = response_bytes(
                answer["status"],
                answer["content_type"],
                answer["body"].encode(),
                answer.get("headers"),
            )
        return cls(answers, latency_ms / 1000)

    def answer(self, method: str, target: str, body: bytes) -> bytes:
        """The bytes to write for one request (control paths included)."""
        found = self._by_target.get((method, target))
        if found is not None:
            self.calls += 1
            return found
        if target.startswith(CONTROL):
            return self._control(method, target)
        key = key_of_target(method, target)
        found = self.answers.get(key)
        self.calls += 1
        if found is None:
            name = f"{method} {target}"
            self.unknown[name] += 1
            why = {"error": "no recorded answer for this call", "call": name}
            return response_bytes(404, "application/json", json.dumps(why).encode())
        self._by_target[(method, target)] = found
        return found

    def _control(self, method: str, target: str) -> bytes:
        parts = urlsplit(target)
        if parts.path == CONTROL + "latency" and method == "POST":
            self.latency_s = float(dict(parse_qsl(parts.query)).get("ms", "0")) / 1000
            return _json(200, {"latency_ms": self.latency_s * 1000})
        if parts.path == CONTROL + "calls" and method == "GET":
            return _json(200, {"calls": self.calls, "unknown": dict(self.unknown)})
        if parts.path == CONTROL + "calls" and method == "DELETE":
            self.calls = 0
            return _json(200, {"calls": 0})
        return _json(404, {"error": f"no control {method} {parts.path}"})


def _json(status: int, value: object) -> bytes:
    return response_bytes(status, "application/json", json.dumps(value).encode())


class StandInProtocol(asyncio.Protocol):
    """One connection: parse as many requests as the buffer holds, answer each in order."""

    def __init__(self, stand_in: StandIn) -> None:
        self.stand_in = stand_in
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport; they have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    self._fail(431)
                return
            try:
                head = parse_head(self.buffer[:end])
            except ValueError:
                self._fail(400)
                return
            if head.chunked:
                self._fail(501)
                return
            stop = end + 4 + head.content_length
            if len(self.buffer) < stop:
                return  # the body is still coming
            body = self.buffer[end + 4 : stop]
            self.buffer = self.buffer[stop:]
            self._send(self.stand_in.answer(head.method, head.target, body), head.keep_alive)

    def _send(self, answer: bytes, keep_alive: bool) -> None:
        latency = self.stand_in.latency_s
        if latency > 0:
            self.loop.call_later(latency, self._write, answer, keep_alive)
        else:
            self._write(answer, keep_alive)

    def _write(self, answer: bytes, keep_alive: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return  # the client left while the answer waited out its latency
        transport.write(answer)
        if not keep_alive:
            transport.close()

    def _fail(self, status: int) -> None:
        assert self.transport is not None
        self.transport.write(response_bytes(status, "text/plain", b""))
        self.transport.close()
        self.transport = None


async def serve(stand_in: StandIn, host: str, port: int) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: StandInProtocol(stand_in), host, port, backlog=4096)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stand_in", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answers", type=Path, required=True)
    parser.add_argument("--latency-ms", type=float, default=0)
    args = parser.parse_args()
    stand_in = StandIn.from_recorded(json.loads(args.answers.read_text()), args.latency_ms)

    async def run() -> None:
        server = await serve(stand_in, args.host, args.port)
        async with server:
            await server.serve_forever()

    uvloop.run(run())


if __name__ == "__main__":
    main()
