"""Server-side connection profiles: an ITSM connection configured by the operator and named by
callers with ``connectionDetails.connectionId``, so that callers never hold ITSM credentials.

The profiles are read and checked at start-up (``gateway.profiles``); this module holds the value
and the rules for a request that names one, which ``ConnectionResolver`` applies:

- a request naming a profile may not also set ``instanceUrl``, ``authType`` or any credential;
- ``itsmType`` may be given only if it is the profile's;
- ``table``: a profile that sets a table pins it (a request may only repeat it), because the
  profile's account is the operator's and the table decides which records it reaches; a profile
  without a table leaves the choice to callers (the connector's default when they make none);
- a profile with ``roles`` may be used only by callers holding one of them (403 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.connection import Connection, Credentials
from connectors.connection_keys import REST_OBJECT, TABLE, key_path
from connectors.errors import BadInput, Forbidden
from resolvers.instance_guard import AdmittedUrl


@dataclass(frozen=True, slots=True)
class ConnectionProfile:
    """One ``[connections.<name>]`` table, checked. Secrets live in ``credentials``, whose
    ``repr`` leaves them out."""

    name: str
    itsm_type: str
    url: AdmittedUrl
    credentials: Credentials
    table: str | None = None
    roles: tuple[str, ...] = ()  # realm roles or client:role; empty: anyone may use it

    def check_roles(self, roles: frozenset[str]) -> None:
        if self.roles and not any(role in roles for role in self.roles):
            raise Forbidden(
                f"connection profile {self.name!r} may be used only by callers holding one of "
                f"the roles {', '.join(self.roles)}"
            )

    def connection(self, *, table: str | None = None, within: str = REST_OBJECT) -> Connection:
        """The profile's connection; ``table`` is the caller's, already checked as a name.
        ``within``: how the caller's door names ``connectionDetails``, for the message."""
        if table is not None and self.table is not None and table != self.table:
            raise BadInput(
                f"{key_path(TABLE, within)} {table!r} is not the table of connection profile "
                f"{self.name!r} ({self.table}); leave table out"
            )
        return Connection(
            itsm_type=self.itsm_type,
            instance_url=self.url.base,
            credentials=self.credentials,
            table=self.table or table,
            within=within,
        )
