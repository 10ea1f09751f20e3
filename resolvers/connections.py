"""From the caller's ``connectionDetails`` to a checked ``Connection``."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.connection import AuthType, Connection, Credentials
from connectors.errors import BadInput
from resolvers.url_policy import UrlPolicy


@dataclass(frozen=True, slots=True)
class ConnectionDetails:
    """``connectionDetails`` as both doors receive it (SPEC section 4), not yet checked."""

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


class ConnectionResolver:
    """Turns a caller's ``connectionDetails`` into a checked ``Connection``.

    The seam for what needs I/O or server-side configuration: resolving the instance's host
    before any connection is made, and connection profiles named by ``connectionId``.
    """

    def __init__(self, policy: UrlPolicy, known_types: tuple[str, ...]) -> None:
        self._policy = policy
        self._known_types = known_types

    async def resolve(self, details: ConnectionDetails, roles: frozenset[str]) -> Connection:
        """``roles``: the caller's realm roles and ``client:role`` client roles."""
        return resolve_connection(details, self._policy, self._known_types)


def resolve_connection(
    details: ConnectionDetails, policy: UrlPolicy, known_types: tuple[str, ...]
) -> Connection:
    if details.connection_id:
        # Server-side connection profiles arrive with the hardening work; until then a caller
        # that names one must learn it is not available rather than get a half-configured call.
        raise BadInput(
            "connectionDetails.connectionId is not available: no connection profiles are "
            "configured on this gateway; send instanceUrl and credentials instead"
        )
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
    instance_url = policy.check(details.instance_url)
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
    table = details.table.strip() if details.table else None
    if table is not None and not _is_table_name(table):
        raise BadInput(
            f"connectionDetails.table {details.table!r} is not a table name "
            "(letters, digits and underscores)"
        )
    return Connection(
        itsm_type=itsm_type, instance_url=instance_url, credentials=credentials, table=table
    )


def _is_table_name(name: str) -> bool:
    return name.replace("_", "").isalnum() and name.isascii()
