"""The SSRF guard as the use cases call it: ``AddressGuard`` implements
``resolvers.instance_guard.InstanceGuard`` with this package's URL policy and address rules.

``ConnectionResolver`` asks it twice per request, in this order: ``admit`` (the URL's text, no
I/O) and then ``check_addresses`` (the host resolved, every address judged) before any call.
The transport (``transport.GuardedResolver``) repeats the address check when it connects, because
DNS may answer differently by then; this early check is what lets the caller hear a 400 naming
its own field rather than a refused connection.
"""

from __future__ import annotations

from gateway.outbound.addresses import (
    BlockingResolver,
    HostResolver,
    ip_literal,
    parse_answers,
    refuse_internal,
    resolve_host,
)
from gateway.outbound.url_policy import AllowedUrl, UrlPolicy
from resolvers.instance_guard import FIELD, AdmittedUrl

DNS_TIMEOUT_SECONDS = 5.0


class AddressGuard:
    """``policy`` judges the text. ``resolve_host`` does the DNS step (the system resolver,
    remembered for a while, in the gateway; a fake in tests); ``None`` skips it and judges only
    the URL's text, for tests whose ITSM is a fake transport."""

    def __init__(
        self,
        policy: UrlPolicy,
        *,
        resolve_host: HostResolver | None = None,
        dns_timeout_seconds: float = DNS_TIMEOUT_SECONDS,
    ) -> None:
        self.policy = policy
        self._resolve_host = resolve_host
        self._dns_timeout = dns_timeout_seconds

    def admit(self, url: str, *, field: str = FIELD) -> AllowedUrl:
        return self.policy.admit(url, field=field)

    async def check_addresses(self, url: AdmittedUrl) -> None:
        if url.vouched or self._resolve_host is None:
            return
        addresses = await resolve_host(
            url.host, url.port, self._resolve_host, limit_seconds=self._dns_timeout
        )
        refuse_internal(url.host, addresses)


def check_at_start(url: AllowedUrl, resolve: BlockingResolver) -> None:
    """A connection profile's address check at start-up (``gateway.profiles``), blocking, before
    the gateway serves: the same rule as ``AddressGuard.check_addresses`` (a vouched host or an IP
    literal, already judged by its text, is not resolved). Raises what ``resolve`` raises
    (``OSError``; ``addresses.dns_failure`` reads it), ``HostNotFound`` for an empty answer, or
    ``InternalAddress``."""
    if url.vouched or ip_literal(url.host) is not None:
        return
    refuse_internal(url.host, parse_answers(url.host, resolve(url.host, url.port)))
