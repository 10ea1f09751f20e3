"""From the caller's ``connectionDetails`` to a checked ``Connection``
(docs/contract.md#connectiondetails)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from connectors.connection import AuthType, Connection, Credentials
from connectors.errors import BadInput, Unavailable
from resolvers.addresses import (
    HostNotFound,
    HostResolver,
    InternalAddress,
    ResolutionFailed,
    refuse_internal,
    resolve_host,
)
from resolvers.profiles import ConnectionProfile
from resolvers.url_policy import FIELD, AllowedUrl, UrlPolicy

# The longest value a caller may send for each connectionDetails key: generous for any real value,
# they stop a megabyte "password" from travelling to the ITSM. Both doors enforce these numbers,
# so that they behave alike (docs/contract.md#doors).
MAX_URL_LENGTH = 2048
MAX_VALUE_LENGTH = 1024
MAX_TOKEN_LENGTH = 8192  # a bearer token for the ITSM may be a JWT, often longer than 1 KB


@dataclass(frozen=True, slots=True)
class ConnectionDetails:
    """``connectionDetails`` as both doors receive it (docs/contract.md), not yet checked."""

    itsm_type: str | None = None
    instance_url: str | None = None
    auth_type: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    table: str | None = None
    connection_id: str | None = None


_AUTH_TYPES = ", ".join(t.value for t in AuthType)
DNS_TIMEOUT_SECONDS = 5.0


class ConnectionResolver:
    """Turns a caller's ``connectionDetails`` into a checked ``Connection``.

    Either the caller names the instance and credentials (``instanceUrl`` and the rest, checked
    against the URL policy), or it names a server-side profile (``connectionId``; the rules are
    in ``resolvers.profiles``). Either way the instance's host is then resolved and refused if
    any of its addresses is internal (unless the policy vouches for it), before any connection
    is made. The HTTP transport checks the addresses again when it connects, since DNS may
    answer differently by then.

    A caller's URL that cannot be used is the caller's to fix (400); a profile's, the
    operator's (503): callers of a profile cannot change its URL.

    ``resolve_host`` does the DNS step (``addresses.resolve_with_system`` in the gateway, a fake
    in tests); ``None`` skips it and judges only the URL's text, for tests whose ITSM is a fake
    transport. The use cases do no I/O of their own choosing: the gateway wires it.
    """

    def __init__(
        self,
        policy: UrlPolicy,
        known_types: tuple[str, ...],
        *,
        profiles: Mapping[str, ConnectionProfile] | None = None,
        resolve_host: HostResolver | None = None,
        dns_timeout_seconds: float = DNS_TIMEOUT_SECONDS,
    ) -> None:
        self._policy = policy
        self._known_types = known_types
        self._profiles = dict(profiles or {})
        self._resolve_host = resolve_host
        self._dns_timeout = dns_timeout_seconds

    async def resolve(self, details: ConnectionDetails, roles: frozenset[str]) -> Connection:
        """``roles``: the caller's realm roles and ``client:role`` client roles."""
        if details.connection_id is not None:
            profile = self._profile(details, roles)
            connection = profile.connection(table=_checked_table(details.table))
            await self._check_profile_addresses(profile)
            return connection
        connection, url = _from_details(details, self._policy, self._known_types)
        await self._check_caller_addresses(details.instance_url or "", url)
        return connection

    def _profile(self, details: ConnectionDetails, roles: frozenset[str]) -> ConnectionProfile:
        name = (details.connection_id or "").strip()
        if not name:
            raise BadInput(
                "connectionDetails.connectionId is empty; name a connection profile configured "
                "on this gateway"
            )
        given = [key for key, value in _profile_owned(details) if value is not None]
        if given:
            raise BadInput(
                f"connectionDetails names connection profile {name!r}, so it may not also set "
                f"{', '.join(given)}; the profile holds the instance URL and credentials"
            )
        profile = self._profiles.get(name)
        if profile is None:
            raise BadInput(f"connectionDetails.connectionId: no connection profile named {name!r}")
        profile.check_roles(roles)
        if details.itsm_type is not None and details.itsm_type.strip().lower() != (
            profile.itsm_type
        ):
            raise BadInput(
                f"connectionDetails.itsmType {details.itsm_type!r} does not match connection "
                f"profile {name!r} ({profile.itsm_type}); leave itsmType out"
            )
        return profile

    async def _check_caller_addresses(self, given: str, url: AllowedUrl) -> None:
        subject = f"{FIELD} {given!r}"
        try:
            await self._check_addresses(url)
        except HostNotFound:
            raise BadInput(
                f"{subject}: cannot resolve host {url.host} (no such name); check the URL"
            ) from None
        except ResolutionFailed:
            raise Unavailable(
                f"cannot resolve host {url.host} of {FIELD} right now (DNS did not answer); "
                "retry later"
            ) from None
        except InternalAddress as error:
            raise BadInput(
                f"{subject} resolves to a {error.kind} address; the gateway connects to internal "
                "addresses only when ITSM_GATEWAY_ITSM_ALLOWED_URLS names that host literally"
            ) from None

    async def _check_profile_addresses(self, profile: ConnectionProfile) -> None:
        subject = f"connection profile {profile.name!r}: host {profile.url.host}"
        try:
            await self._check_addresses(profile.url)
        except HostNotFound:
            problem = "cannot be resolved (no such name)"
        except ResolutionFailed:
            problem = "cannot be resolved right now (DNS did not answer)"
        except InternalAddress as error:
            problem = f"now resolves to a {error.kind} address, which the gateway refuses"
        else:
            return
        raise Unavailable(
            f"{subject} {problem}; the gateway's operator must check the profile's instance_url"
        )

    async def _check_addresses(self, url: AllowedUrl) -> None:
        if url.vouched or self._resolve_host is None:
            return
        addresses = await resolve_host(
            url.host, url.port, self._resolve_host, limit_seconds=self._dns_timeout
        )
        refuse_internal(url.host, addresses)


def _profile_owned(details: ConnectionDetails) -> list[tuple[str, str | None]]:
    """The keys a profile provides, in the caller's spelling, with what the caller sent."""
    return [
        ("instanceUrl", details.instance_url),
        ("authType", details.auth_type),
        ("username", details.username),
        ("password", details.password),
        ("clientId", details.client_id),
        ("clientSecret", details.client_secret),
        ("apiKey", details.api_key),
        ("token", details.token),
    ]


def _from_details(
    details: ConnectionDetails, policy: UrlPolicy, known_types: tuple[str, ...]
) -> tuple[Connection, AllowedUrl]:
    if not details.itsm_type:
        raise BadInput(
            f"connectionDetails.itsmType is required; use one of: {', '.join(known_types)}"
        )
    itsm_type = details.itsm_type.strip().lower()
    if itsm_type not in known_types:
        raise BadInput(
            f"connectionDetails.itsmType {details.itsm_type!r} is not supported; "
            f"use one of: {', '.join(known_types)}"
        )
    if not details.instance_url:
        raise BadInput(
            "connectionDetails.instanceUrl is required, e.g. https://acme.service-now.com"
        )
    url = policy.admit(details.instance_url)
    if not details.auth_type:
        raise BadInput(f"connectionDetails.authType is required; use one of: {_AUTH_TYPES}")
    try:
        auth_type = AuthType(details.auth_type.strip().lower())
    except ValueError:
        raise BadInput(
            f"connectionDetails.authType {details.auth_type!r} is not supported; "
            f"use one of: {_AUTH_TYPES}"
        ) from None
    credentials = Credentials(
        auth_type=auth_type,
        username=details.username,
        password=details.password,
        client_id=details.client_id,
        client_secret=details.client_secret,
        api_key=details.api_key,
        token=details.token,
    )
    credentials.check_complete()
    connection = Connection(
        itsm_type=itsm_type,
        instance_url=url.base,
        credentials=credentials,
        table=_checked_table(details.table),
    )
    return connection, url


def _checked_table(given: str | None) -> str | None:
    table = given.strip() if given else None
    if table is not None and not is_table_name(table):
        raise BadInput(
            f"connectionDetails.table {given!r} is not a table name "
            "(letters, digits and underscores)"
        )
    return table


def is_table_name(name: str) -> bool:
    return name.replace("_", "").isalnum() and name.isascii()
