"""Which IP addresses the gateway may connect to, and resolving a host to its addresses.

The gateway connects to an ITSM only at public addresses (``is_global``), unless the operator's
allow-list names the host literally (see ``url_policy``). The same judgement runs twice: when a
request's connection is checked, and again when the HTTP transport opens a connection, because a
DNS answer can change in between (DNS rebinding).

Addresses that embed an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, NAT64
``64:ff9b::/96``) are judged by the IPv4 address inside: ``[::ffff:127.0.0.1]`` is loopback, and
on an IPv6-only network with DNS64 a public ITSM legitimately resolves to ``64:ff9b::...``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Sequence

# The guard's verdicts are declared by the port the use cases call (resolvers.instance_guard),
# so that ConnectionResolver can tell them apart without importing the gateway.
from resolvers.instance_guard import HostNotFound, InternalAddress, ResolutionFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# ``host, port -> addresses as text``; raises ``socket.gaierror`` when the name cannot be
# resolved. Injected in tests; production uses ``resolve_with_system``.
HostResolver = Callable[[str, int], Awaitable[Sequence[str]]]
# The same, blocking: for the start-up checks, before the gateway serves.
BlockingResolver = Callable[[str, int], Sequence[str]]

# Not ``is_global`` in Python 3.11's tables, or global there but never an ITSM: checked
# explicitly so that the answer does not depend on the Python version's IANA table.
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_IETF_PROTOCOL = ipaddress.ip_network("192.0.0.0/24")  # RFC 6890
_RELAY_ANYCAST = ipaddress.ip_network("192.88.99.0/24")  # deprecated 6to4 relays (RFC 7526)
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated; ::1 and :: are inside it
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use prefix

# The ``gaierror`` codes that mean "no such name" (rather than "DNS did not answer").
_NOT_FOUND = {
    getattr(socket, name)
    for name in ("EAI_NONAME", "EAI_NODATA", "EAI_ADDRFAMILY")
    if hasattr(socket, name)
}


def internal_kind(address: IPAddress) -> str | None:
    """Why ``address`` is internal (``"loopback"``, ``"private"``, ...), or ``None`` if public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
        if embedded is not None:
            kind = internal_kind(embedded)
            return f"{kind} IPv4-in-IPv6" if kind else None
        if address in _IPV4_COMPATIBLE and not (address.is_loopback or address.is_unspecified):
            return "reserved (IPv4-compatible)"
        if address in _NAT64_LOCAL:
            return "private (local NAT64)"
    # Order matters: 127/8 and 169.254/16 are also is_private; the first name is the telling one.
    if address.is_loopback:
        return "loopback"
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if address in _SHARED:
        return "shared (carrier-grade NAT)"
    if address in _IETF_PROTOCOL or address in _RELAY_ANYCAST:
        return "reserved"
    if not address.is_global:
        return "non-global"
    return None


def ip_literal(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one (IPv6 with or without brackets)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve_blocking_with_system(host: str, port: int) -> Sequence[str]:
    """The system resolver, blocking (``getaddrinfo``; /etc/hosts included)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


async def resolve_with_system(host: str, port: int) -> Sequence[str]:
    """The system resolver (``getaddrinfo`` in a worker thread; /etc/hosts included)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class RememberingResolver:
    """A ``HostResolver`` that remembers answers for ``ttl_seconds``, for the check made when a
    request names an instance: without it every request would wait for a DNS lookup in a worker
    thread. Only that early check uses it; the transport resolves again, uncached, whenever it
    opens a connection, so a rebinding answer cannot slip past in the remembered window. Failures
    are not remembered."""

    def __init__(
        self,
        resolve: HostResolver,
        *,
        ttl_seconds: float = 30.0,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._resolve = resolve
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._answers: dict[tuple[str, int], tuple[float, Sequence[str]]] = {}

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        now = self._clock()
        remembered = self._answers.get((host, port))
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        answers = tuple(await self._resolve(host, port))
        if len(self._answers) >= self._max:
            self._answers = {k: v for k, v in self._answers.items() if v[0] > now}
            if len(self._answers) >= self._max:
                self._answers.clear()
        self._answers[(host, port)] = (now + self._ttl, answers)
        return answers


async def resolve_host(
    host: str, port: int, resolve: HostResolver, *, limit_seconds: float | None
) -> tuple[IPAddress, ...]:
    """Every address of ``host``, in the resolver's order (an IP literal is its own address).

    Raises ``HostNotFound`` or ``ResolutionFailed``; an answer that is not an IP address raises
    ``InternalAddress`` rather than being skipped, as it could be the one a connection would use.
    """
    literal = ip_literal(host)
    if literal is not None:
        return (literal,)
    try:
        async with asyncio.timeout(limit_seconds):
            answers = await resolve(host, port)
    except TimeoutError:
        raise ResolutionFailed(f"DNS did not answer for {host} in time") from None
    except OSError as error:  # socket.gaierror is one
        raise dns_failure(host, error) from None
    return parse_answers(host, answers)


def dns_failure(host: str, error: OSError) -> HostNotFound | ResolutionFailed:
    """What a resolver's error means: no such name, or no answer (which may pass)."""
    if isinstance(error, socket.gaierror) and error.errno in _NOT_FOUND:
        return HostNotFound(f"{host}: no such name")
    return ResolutionFailed(f"DNS failed for {host} ({error.strerror or type(error).__name__})")


def parse_answers(host: str, answers: Sequence[str]) -> tuple[IPAddress, ...]:
    """A resolver's answers as addresses, without duplicates, in its order."""
    addresses: list[IPAddress] = []
    for answer in answers:
        # IPv6 answers may carry a zone (fe80::1%eth0); only link-local ones do, which are
        # refused whatever the zone.
        address = ip_literal(answer.partition("%")[0])
        if address is None:
            raise InternalAddress(host, "unrecognised")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostNotFound(f"{host}: no address")
    return tuple(addresses)


def refuse_internal(host: str, addresses: Sequence[IPAddress]) -> None:
    """``InternalAddress`` when ANY address is internal: a client may pick any of them."""
    for address in addresses:
        kind = internal_kind(address)
        if kind is not None:
            raise InternalAddress(host, kind)
