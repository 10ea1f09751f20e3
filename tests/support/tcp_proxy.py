"""A TCP proxy on loopback that tests can cut and restore, to make a server unreachable for one
client (the gateway) while the server itself keeps running and other clients reach it directly.

Two ways to cut, because clients fail differently:

- ``refuse``: nothing listens on the port any more and every open connection is reset, pooled
  keep-alive connections included, so the next request fails at once (connection refused or
  reset). The port stays reserved by a bound, non-listening socket: a SYN to it is answered with
  a reset, and the OS cannot hand the port to anyone else in the meantime.
- ``blackhole``: the port keeps accepting, and every connection, open or new, is read and
  discarded; nothing is forwarded and nothing comes back, so clients wait for their timeouts.

``restore`` forwards again on the same port. Connections that were black-holed are reset then:
their byte streams have lost data in the middle, and a client that kept one in its pool must
drop it rather than wait on it forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass
from typing import Literal

HOST = "127.0.0.1"
_CHUNK = 64 * 1024

CutMode = Literal["refuse", "blackhole"]


@dataclass(eq=False)
class _Link:
    """One client connection and, while forwarding, its connection to the target."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    # A sink reads and drops what the client sends and never writes back.
    sink: bool = False
    # The accept handler that owns the link, and the pump from the target back to the client.
    handler: asyncio.Task[object] | None = None
    downstream: asyncio.Task[None] | None = None


def _reset(writer: asyncio.StreamWriter | None) -> None:
    """Close with an RST rather than a FIN: the peer sees "connection reset", as on a crash."""
    if writer is None or writer.transport.is_closing():
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target_host:target_port`` until told otherwise."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self.mode: Literal["forward", "refuse", "blackhole"] = "forward"
        self._server: asyncio.Server | None = None
        # Holds the port while nothing listens on it (see the module docstring).
        self._placeholder: socket.socket | None = None
        self._links: set[_Link] = set()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def start(self) -> None:
        await self._listen()
        self.mode = "forward"

    async def cut(self, mode: CutMode = "refuse") -> None:
        if mode == "refuse":
            self.mode = "refuse"
            await self._stop_listening(hold_port=True)
            await self._reset_links(self._links)
        elif mode == "blackhole":
            self.mode = "blackhole"
            await self._listen()
            for link in self._links:
                link.sink = True
                _reset(link.upstream)
        else:
            raise ValueError(f"unknown cut mode {mode!r}")

    async def restore(self) -> None:
        self.mode = "forward"
        await self._listen()
        await self._reset_links({link for link in self._links if link.sink})

    async def close(self) -> None:
        self.mode = "refuse"
        await self._stop_listening(hold_port=False)
        await self._reset_links(self._links)

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- listening ---------------------------------------------------------------------------

    async def _listen(self) -> None:
        if self._server is not None:
            return
        # The new listener binds before the placeholder goes, so the port is never free; both
        # carry SO_REUSEADDR, which Linux allows as long as only one of them listens.
        sock = socket.create_server((HOST, self.port))
        self.port = sock.getsockname()[1]
        if self._placeholder is not None:
            self._placeholder.close()
            self._placeholder = None
        self._server = await asyncio.start_server(self._accept, sock=sock)

    async def _stop_listening(self, *, hold_port: bool) -> None:
        server, self._server = self._server, None
        if server is not None:
            if hold_port:
                placeholder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                placeholder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                server.close()
                placeholder.bind((HOST, self.port))
                self._placeholder = placeholder
            else:
                server.close()
        elif not hold_port and self._placeholder is not None:
            self._placeholder.close()
            self._placeholder = None

    # -- connections -------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "refuse":  # accepted just before the listener closed
            _reset(writer)
            return
        link = _Link(client=writer, sink=self.mode == "blackhole", handler=asyncio.current_task())
        self._links.add(link)
        try:
            if not link.sink:
                try:
                    up_reader, link.upstream = await asyncio.open_connection(
                        self.target_host, self.target_port
                    )
                except OSError:
                    # The target is down: the client sees what it would see without a proxy.
                    _reset(writer)
                    return
                link.downstream = asyncio.create_task(self._pump(link, up_reader, writer))
            await self._pump(link, reader, link.upstream)
            if link.downstream is not None:
                # The client is done sending; let the answer finish before closing.
                await asyncio.gather(link.downstream, return_exceptions=True)
        finally:
            self._links.discard(link)
            if link.downstream is not None:
                link.downstream.cancel()
            _reset(link.upstream)
            writer.close()

    @staticmethod
    async def _pump(
        link: _Link, src: asyncio.StreamReader, dst: asyncio.StreamWriter | None
    ) -> None:
        try:
            while data := await src.read(_CHUNK):
                if link.sink or dst is None:
                    continue
                dst.write(data)
                await dst.drain()
            if not link.sink and dst is not None and dst.can_write_eof():
                dst.write_eof()  # pass a half-close on
        except OSError:
            pass  # the other side is gone (or was reset by a cut)

    async def _reset_links(self, links: set[_Link]) -> None:
        links = set(links)
        tasks = [task for link in links for task in (link.handler, link.downstream) if task]
        for link in links:
            _reset(link.client)
            _reset(link.upstream)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
