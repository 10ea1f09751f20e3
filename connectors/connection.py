"""Where a connector connects and how it authenticates: the contract's ``connectionDetails``
(docs/contract.md#connectiondetails).

The keys themselves are declared once, in ``connectors.connection_keys``; this module holds the
checked values. Secrets are kept out of ``repr`` so that a connection can be logged or shown in
a traceback without leaking them.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field

from connectors.connection_keys import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    CREDENTIAL_KEYS,
    PASSWORD,
    REQUIRED_CREDENTIALS,
    REST_OBJECT,
    TOKEN,
    USERNAME,
    AuthType,
    ConnectionKey,
    KeyValue,
    key_path,
    key_values,
    shown_values,
)
from connectors.errors import BadInput

__all__ = ["REQUIRED_CREDENTIALS", "AuthType", "Connection", "Credentials"]

_POSITION = {key.attribute: index for index, key in enumerate(CREDENTIAL_KEYS)}
_ACCOUNT_KEY_SECRET = secrets.token_bytes(32)  # per process; only ever compared within it
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_HEADER_KEYS = frozenset({TOKEN, API_KEY})  # sent in a header as they are


@dataclass(frozen=True, slots=True, init=False, repr=False)
class Credentials:
    """The account's credentials: ``Credentials(AuthType.BASIC, username=..., password=...)``,
    one keyword per credential key (``connection_keys.CREDENTIAL_KEYS``, snake_case).

    A vendor reads a key with ``value(KEY)``; the attributes below name the keys the present
    vendors read. ``values`` holds one value per credential key, in the table's order (a field
    rather than one per key, so that a key added to the table needs no edit here); it is a
    parameter only so that ``dataclasses.replace`` works.
    """

    auth_type: AuthType
    values: tuple[str | None, ...]
    # ``account_key``'s digest, made on first use: several parts of one request ask for it.
    _account: str | None = field(default=None, init=False, compare=False, hash=False)

    def __init__(
        self,
        auth_type: AuthType,
        *,
        values: tuple[str | None, ...] | None = None,
        **keys: str | None,
    ) -> None:
        object.__setattr__(self, "auth_type", auth_type)
        object.__setattr__(self, "values", key_values(CREDENTIAL_KEYS, keys, values, "Credentials"))
        object.__setattr__(self, "_account", None)

    def value(self, key: ConnectionKey) -> str | None:
        return self.values[_POSITION[key.attribute]]

    username = KeyValue(USERNAME)
    password = KeyValue(PASSWORD)
    client_id = KeyValue(CLIENT_ID)
    client_secret = KeyValue(CLIENT_SECRET)
    api_key = KeyValue(API_KEY)
    token = KeyValue(TOKEN)

    def account_key(self) -> str:
        """Which account this is, as a short digest of the auth type and every credential: the
        key that keeps one account's circuit breaker and concurrency slots apart from another's
        on the same instance. Keyed by a secret drawn when the process starts, so the digest
        reveals nothing of the credentials, not even whether two processes saw the same ones."""
        if self._account is None:
            material = "\x1f".join([self.auth_type.value, *(value or "" for value in self.values)])
            digest = hmac.new(_ACCOUNT_KEY_SECRET, material.encode(), "sha256").hexdigest()[:24]
            object.__setattr__(self, "_account", digest)
            return digest
        return self._account

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, so that error messages quoting an ITSM can be scrubbed of them."""
        return tuple(value for key in CREDENTIAL_KEYS if key.secret and (value := self.value(key)))

    def check_complete(self, within: str = REST_OBJECT) -> None:
        """``BadInput`` naming the keys the auth type needs and did not get, as the caller's
        door names them (``within``: ``connectionDetails`` or GraphQL's ``connection``)."""
        missing = [
            key
            for key in CREDENTIAL_KEYS
            if self.auth_type in key.needed_by and not self.value(key)
        ]
        if missing:
            names = ", ".join(key_path(key, within) for key in missing)
            raise BadInput(f"authType {self.auth_type.value} needs {names}; add them and retry")
        self._check_sendable(within)

    def _check_sendable(self, within: str) -> None:
        """``BadInput`` for a value that cannot travel as the ITSM needs it (never quoting it: it
        may be a secret): no credential holds a control character; a token or API key goes
        into a header as it is, so visible ASCII only; a Basic user name cannot hold a colon,
        which separates it from the password (RFC 7617)."""
        for key in CREDENTIAL_KEYS:
            value = self.value(key)
            if not value:
                continue
            if _CONTROL.search(value):
                raise BadInput(
                    f"{key_path(key, within)} holds a control character (a line break, a tab...)"
                    "; send the value without it"
                )
            if key in _HEADER_KEYS and not _VISIBLE_ASCII.fullmatch(value):
                raise BadInput(
                    f"{key_path(key, within)} must be visible ASCII characters only (it is sent "
                    "in an HTTP header as it is); check that it was copied whole and unchanged"
                )
        if self.auth_type is AuthType.BASIC and ":" in (self.username or ""):
            raise BadInput(
                f"{key_path(USERNAME, within)} cannot hold a colon with authType basic, where "
                "it separates the user name from the password"
            )

    def __repr__(self) -> str:
        shown = shown_values(CREDENTIAL_KEYS, self)
        return f"Credentials(auth_type={self.auth_type!r}{', ' if shown else ''}{shown})"


@dataclass(frozen=True, slots=True)
class Connection:
    """One ITSM instance and the account the gateway uses there.

    ``instance_url`` is normalised (scheme and host lower-case, no trailing slash, no path).
    ``table`` is ``None`` for the connector's default (ServiceNow: ``incident``).
    ``scopes``: what a connection profile opens (casefolded names of its tables, Jira projects or
    RT queues); ``None`` for a caller's own credentials, which reach what the account reaches.
    A connector whose scope lives in the record (RT's queue) holds every read and write to it.
    """

    itsm_type: str
    instance_url: str
    credentials: Credentials
    table: str | None = None
    scopes: frozenset[str] | None = None
    # How the caller's door names connectionDetails (REST ``connectionDetails``, GraphQL's
    # argument ``connection``): a vendor's message about a key names it with ``path``, as the
    # caller wrote it. Not part of what the connection is.
    within: str = field(default=REST_OBJECT, compare=False)

    def path(self, key: ConnectionKey) -> str:
        """``connectionDetails.table`` or ``connection.table``, as the caller's door names it."""
        return key_path(key, self.within)
