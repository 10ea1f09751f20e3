"""Server-side connection profiles: an ITSM connection configured by the operator and named by
callers with ``connectionDetails.connectionId``, so that callers never hold ITSM credentials.

The profiles are read and checked at start-up (``gateway.profiles``); this module holds the value
and the rules for a request that names one, which ``ConnectionResolver`` applies:

- a request naming a profile may not also set ``instanceUrl``, ``authType`` or any credential;
- ``itsmType`` may be given only if it is the profile's;
- ``tables``: what callers may use through the profile, because its account is the operator's
  and the table decides which records it reaches: ServiceNow tables, Jira projects or RT queues
  (``ProfileScope``). A request may name one of them (the first when it names none); any other is
  403. A profile that lists none opens the tool's ticket table only (ServiceNow ``incident``, RT
  ``General``; a Jira profile must list its projects), so system tables (``sys_user``,
  ``sys_properties``) are reachable only where the operator named them;
- a profile with ``roles`` may be used only by callers holding one of them (403 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.capabilities import ProfileScope
from connectors.connection import Connection, Credentials
from connectors.connection_keys import REST_OBJECT, TABLE, key_path
from connectors.errors import Forbidden
from resolvers.instance_guard import AdmittedUrl


@dataclass(frozen=True, slots=True)
class ConnectionProfile:
    """One ``[connections.<name>]`` table, checked. Secrets live in ``credentials``, whose
    ``repr`` leaves them out."""

    name: str
    itsm_type: str
    url: AdmittedUrl
    credentials: Credentials
    tables: tuple[str, ...]  # what callers may use (never empty); the first is the default
    scope: ProfileScope  # what ``tables`` names in this tool's terms
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
        scopes = frozenset(name.casefold() for name in self.tables)
        chosen: str | None = table  # a tool without tables refuses any, as for every caller
        if self.scope.in_table:
            if table is not None and table.casefold() not in scopes:
                raise Forbidden(
                    f"connection profile {self.name!r} opens the {self.scope.noun}s "
                    f"{', '.join(self.tables)} only; {key_path(TABLE, within)} {table[:80]!r} is "
                    "not one of them (the gateway's operator lists them in the profile's tables)"
                )
            chosen = next(
                (
                    name
                    for name in self.tables
                    if table is not None and name.casefold() == table.casefold()
                ),
                self.tables[0],
            )
        return Connection(
            itsm_type=self.itsm_type,
            instance_url=self.url.base,
            credentials=self.credentials,
            table=chosen,
            scopes=scopes,
            within=within,
        )
