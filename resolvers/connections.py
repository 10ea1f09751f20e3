"""From the caller's ``connectionDetails`` to a checked ``Connection``
(docs/contract.md#connectiondetails)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.connection import AuthType, Connection, Credentials
from connectors.connection_keys import (
    AUTH_TYPE,
    CONNECTION_ID,
    CONNECTION_KEYS,
    CREDENTIAL_KEYS,
    INSTANCE_URL,
    ITSM_TYPE,
    REST_OBJECT,
    TABLE,
    ConnectionKey,
    KeyValue,
    key_path,
    key_values,
    shown_values,
)
from connectors.errors import BadInput, Unavailable
from resolvers.instance_guard import (
    AdmittedUrl,
    HostNotFound,
    InstanceGuard,
    InternalAddress,
    ResolutionFailed,
)
from resolvers.profiles import ConnectionProfile
from resolvers.tables import checked_table


@dataclass(frozen=True, slots=True, init=False, repr=False)
class ConnectionDetails:
    """``connectionDetails`` as both doors receive it (docs/contract.md), not yet checked: one
    keyword per connection key, snake_case (``connection_keys.CONNECTION_KEYS``), ``None`` for
    a key not given: ``ConnectionDetails(itsm_type="servicenow", password=...)``.

    ``within`` is how the caller's door names the object (``connectionDetails`` for REST,
    ``connection`` for GraphQL's argument), so that every message about a key names it as the
    caller wrote it, whichever layer refuses it (``path``).

    ``values`` holds one value per key, in the table's order; it is a field (rather than one
    field per key) so that a key added to the table needs no edit here. Pass keys by name; it is
    a parameter only so that ``dataclasses.replace`` works.
    """

    values: tuple[str | None, ...]
    within: str

    def __init__(
        self,
        *,
        within: str = REST_OBJECT,
        values: tuple[str | None, ...] | None = None,
        **keys: str | None,
    ) -> None:
        object.__setattr__(
            self, "values", key_values(CONNECTION_KEYS, keys, values, "ConnectionDetails")
        )
        object.__setattr__(self, "within", within)

    @classmethod
    def of(cls, keys: Mapping[str, str | None], within: str = REST_OBJECT) -> ConnectionDetails:
        """From a mapping of snake_case key names, as ``ConnectionDetails(**keys)``."""
        return cls(within=within, values=key_values(CONNECTION_KEYS, keys, None, cls.__name__))

    def value(self, key: ConnectionKey) -> str | None:
        return self.values[_POSITION[key.attribute]]

    def path(self, key: ConnectionKey) -> str:
        """``connectionDetails.password`` or ``connection.password``, as the door names it."""
        return key_path(key, self.within)

    itsm_type = KeyValue(ITSM_TYPE)
    instance_url = KeyValue(INSTANCE_URL)
    auth_type = KeyValue(AUTH_TYPE)
    table = KeyValue(TABLE)
    connection_id = KeyValue(CONNECTION_ID)

    def __repr__(self) -> str:
        return f"ConnectionDetails({shown_values(CONNECTION_KEYS, self)})"


def replace(details: ConnectionDetails, **keys: str | None) -> ConnectionDetails:
    """``details`` with some keys given anew: ``dataclasses.replace``, which works too, but typed
    by key (a type checker sees only the ``values`` field)."""
    return ConnectionDetails(within=details.within, values=details.values, **keys)


_POSITION = {key.attribute: index for index, key in enumerate(CONNECTION_KEYS)}
_AUTH_TYPES = ", ".join(t.value for t in AuthType)


class ConnectionResolver:
    """Turns a caller's ``connectionDetails`` into a checked ``Connection``.

    Either the caller names the instance and credentials (``instanceUrl`` and the rest, checked
    by the guard's URL policy), or it names a server-side profile (``connectionId``; the rules are
    in ``resolvers.profiles``). Either way the instance's host is then resolved and refused if
    any of its addresses is internal (unless the policy vouches for it), before any connection
    is made. The HTTP transport checks the addresses again when it connects, since DNS may
    answer differently by then.

    A caller's URL that cannot be used is the caller's to fix (400); a profile's, the
    operator's (503): callers of a profile cannot change its URL.

    ``guard`` is the SSRF guard behind its port (``resolvers.instance_guard``): the gateway's
    ``gateway.outbound.guard.AddressGuard``, which does the DNS step with the system resolver
    (or only judges the URL's text, for tests whose ITSM is a fake transport). The use cases do
    no I/O of their own choosing: the gateway wires it.
    """

    def __init__(
        self,
        guard: InstanceGuard,
        known_types: tuple[str, ...],
        *,
        profiles: Mapping[str, ConnectionProfile] | None = None,
    ) -> None:
        self._guard = guard
        self._known_types = known_types
        self._profiles = dict(profiles or {})

    async def resolve(self, details: ConnectionDetails, roles: frozenset[str]) -> Connection:
        """``roles``: the caller's realm roles and ``client:role`` client roles."""
        if details.connection_id is not None:
            profile = self._profile(details, roles)
            connection = profile.connection(
                table=checked_table(details.table, details.path(TABLE)), within=details.within
            )
            await self._check_profile_addresses(profile)
            return connection
        connection, url = _from_details(details, self._guard, self._known_types)
        await self._check_caller_addresses(details, url)
        return connection

    def _profile(self, details: ConnectionDetails, roles: frozenset[str]) -> ConnectionProfile:
        name = (details.connection_id or "").strip()
        if not name:
            raise BadInput(
                f"{details.path(CONNECTION_ID)} is empty; name a connection profile configured "
                "on this gateway"
            )
        given = [
            key.name
            for key in CONNECTION_KEYS
            if key.profile_owned and details.value(key) is not None
        ]
        if given:
            raise BadInput(
                f"{details.within} names connection profile {name!r}, so it may not also set "
                f"{', '.join(given)}; the profile holds the instance URL and credentials"
            )
        profile = self._profiles.get(name)
        if profile is None:
            raise BadInput(f"{details.path(CONNECTION_ID)}: no connection profile named {name!r}")
        profile.check_roles(roles)
        if details.itsm_type is not None and details.itsm_type.strip().lower() != (
            profile.itsm_type
        ):
            raise BadInput(
                f"{details.path(ITSM_TYPE)} {details.itsm_type!r} does not match connection "
                f"profile {name!r} ({profile.itsm_type}); leave itsmType out"
            )
        return profile

    async def _check_caller_addresses(self, details: ConnectionDetails, url: AdmittedUrl) -> None:
        field, given = details.path(INSTANCE_URL), details.instance_url or ""
        subject = f"{field} {given!r}"
        try:
            await self._guard.check_addresses(url)
        except HostNotFound:
            raise BadInput(
                f"{subject}: cannot resolve host {url.host} (no such name); check the URL"
            ) from None
        except ResolutionFailed:
            raise Unavailable(
                f"cannot resolve host {url.host} of {field} right now (DNS did not answer); "
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
            await self._guard.check_addresses(profile.url)
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


def _from_details(
    details: ConnectionDetails, guard: InstanceGuard, known_types: tuple[str, ...]
) -> tuple[Connection, AdmittedUrl]:
    if not details.itsm_type:
        raise BadInput(
            f"{details.path(ITSM_TYPE)} is required; use one of: {', '.join(known_types)}"
        )
    itsm_type = details.itsm_type.strip().lower()
    if itsm_type not in known_types:
        raise BadInput(
            f"{details.path(ITSM_TYPE)} {details.itsm_type!r} is not supported; "
            f"use one of: {', '.join(known_types)}"
        )
    if not details.instance_url:
        raise BadInput(
            f"{details.path(INSTANCE_URL)} is required, e.g. https://acme.service-now.com"
        )
    url = guard.admit(details.instance_url, field=details.path(INSTANCE_URL))
    if not details.auth_type:
        raise BadInput(f"{details.path(AUTH_TYPE)} is required; use one of: {_AUTH_TYPES}")
    try:
        auth_type = AuthType(details.auth_type.strip().lower())
    except ValueError:
        raise BadInput(
            f"{details.path(AUTH_TYPE)} {details.auth_type!r} is not supported; "
            f"use one of: {_AUTH_TYPES}"
        ) from None
    credentials = Credentials(
        auth_type, values=tuple(details.value(key) for key in CREDENTIAL_KEYS)
    )
    credentials.check_complete(details.within)
    connection = Connection(
        itsm_type=itsm_type,
        instance_url=url.base,
        credentials=credentials,
        table=checked_table(details.table, details.path(TABLE)),
        within=details.within,
    )
    return connection, url
