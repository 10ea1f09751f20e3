"""The port through which the use cases check an ITSM instance before any call: the SSRF guard
as ``ConnectionResolver`` sees it.

The guard itself (the URL policy, the address rules, resolution, and the transport's check when
it connects) lives in ``gateway.outbound``; the use cases may not import the gateway, so they
declare here what they need from it, and the app factory hands them the gateway's implementation
(``gateway.outbound.guard.AddressGuard``). Tests may give any object of this shape.

The guard's verdicts on addresses are the three exceptions below; ``ConnectionResolver`` turns
each into the caller's or the operator's message (the guard never words them for a door).
"""

from __future__ import annotations

from typing import Protocol

from connectors.connection_keys import INSTANCE_URL, key_path

# The caller's key a URL comes from, named in the guard's refusals unless told another (the
# use cases pass the key as the caller's door names it).
FIELD = key_path(INSTANCE_URL)


class HostNotFound(Exception):
    """DNS answered that the name does not exist (or has no address)."""


class ResolutionFailed(Exception):
    """DNS did not answer (timeout, temporary failure): the name may well exist."""


class InternalAddress(Exception):
    """The host is, or resolves to, an address the gateway does not connect to."""

    def __init__(self, host: str, kind: str) -> None:
        super().__init__(f"{host} resolves to a {kind} address")
        self.host = host
        self.kind = kind


class AdmittedUrl(Protocol):
    """A base URL the guard admitted by its text. ``host`` is lower-case (an IPv6 host compressed
    and unbracketed); ``vouched``: the operator named the host literally, so its addresses are
    not checked."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def base(self) -> str: ...  # scheme://host[:port], the default port left out

    @property
    def vouched(self) -> bool: ...


class InstanceGuard(Protocol):
    def admit(self, url: str, *, field: str = FIELD) -> AdmittedUrl:
        """``url`` judged by its text, or ``BadInput`` naming ``field`` and the rule."""
        ...

    async def check_addresses(self, url: AdmittedUrl) -> None:
        """Resolve ``url``'s host (unless vouched for) and refuse it when ANY address is
        internal. Raises ``HostNotFound``, ``ResolutionFailed`` or ``InternalAddress``."""
        ...
