"""Where a connector connects and how it authenticates: the contract's ``connectionDetails``
(docs/contract.md#connectiondetails).

Secrets are kept out of ``repr`` so that a connection can be logged or shown in a traceback
without leaking them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from connectors.errors import BadInput


class AuthType(enum.StrEnum):
    BASIC = "basic"
    OAUTH_PASSWORD = "oauth_password"  # noqa: S105 - the name of a grant, not a password
    OAUTH_CLIENT_CREDENTIALS = "oauth_client_credentials"
    API_KEY = "api_key"
    BEARER = "bearer"


# The connectionDetails keys each auth type needs, in the caller's spelling.
REQUIRED_CREDENTIALS: dict[AuthType, tuple[str, ...]] = {
    AuthType.BASIC: ("username", "password"),
    AuthType.OAUTH_PASSWORD: ("username", "password", "clientId", "clientSecret"),
    AuthType.OAUTH_CLIENT_CREDENTIALS: ("clientId", "clientSecret"),
    AuthType.API_KEY: ("apiKey",),
    AuthType.BEARER: ("token",),
}


@dataclass(frozen=True, slots=True)
class Credentials:
    auth_type: AuthType
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, so that error messages quoting an ITSM can be scrubbed of them."""
        values = (self.password, self.client_secret, self.api_key, self.token)
        return tuple(value for value in values if value)

    def check_complete(self) -> None:
        by_key = {
            "username": self.username,
            "password": self.password,
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "apiKey": self.api_key,
            "token": self.token,
        }
        missing = [key for key in REQUIRED_CREDENTIALS[self.auth_type] if not by_key[key]]
        if missing:
            names = ", ".join(f"connectionDetails.{key}" for key in missing)
            raise BadInput(f"authType {self.auth_type.value} needs {names}; add them and retry")


@dataclass(frozen=True, slots=True)
class Connection:
    """One ITSM instance and the account the gateway uses there.

    ``instance_url`` is normalised (scheme and host lower-case, no trailing slash, no path).
    ``table`` is ``None`` for the connector's default (ServiceNow: ``incident``).
    """

    itsm_type: str
    instance_url: str
    credentials: Credentials
    table: str | None = None
