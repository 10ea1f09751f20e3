"""The connection vocabulary, declared once: every key of ``connectionDetails``, where the ITSM
is and how the gateway signs in there, as both doors take it.

Everything that names a connection key is derived from ``CONNECTION_KEYS``: the use cases'
``ConnectionDetails`` and ``Credentials`` (``connectors.connection``), REST's
``ConnectionDetailsModel`` and so its OpenAPI, the profile keys of the settings file and their
``*_env``/``*_file`` secret forms (``gateway.profiles``), what ``config show`` masks, the
options of ``check-connection``, and which auth type needs which key.
GraphQL's ``ConnectionInput`` is written out (strawberry needs a class for its SDL) and a test
holds it to this table.

Adding a credential key is: one ``ConnectionKey`` here, listed in ``CONNECTION_KEYS``; one field
in ``graph.types.ConnectionInput`` (a test fails until it is there) and ``schema.graphql``
exported again; and its use in the vendor's folder (``connection.credentials.value(KEY)``).
REST's model and OpenAPI, the profile keys, masking, ``check-connection``'s options, the
"needs" checks and secret scrubbing follow by themselves.

A door names a key as ``<object>.<name>``: REST's object is ``connectionDetails``, GraphQL's
argument is ``connection``. ``key_path`` spells it; no message writes the prefix by hand.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, overload

from connectors.fields import snake_case


class AuthType(enum.StrEnum):
    BASIC = "basic"
    OAUTH_PASSWORD = "oauth_password"  # noqa: S105 - the name of a grant, not a password
    OAUTH_CLIENT_CREDENTIALS = "oauth_client_credentials"
    API_KEY = "api_key"
    BEARER = "bearer"


# The longest value a caller may send for a key: generous for any real value, they stop a
# megabyte "password" from travelling to the ITSM. Both doors enforce them, so they behave alike.
MAX_VALUE_LENGTH = 1024
MAX_URL_LENGTH = 2048
MAX_TOKEN_LENGTH = 8192

# What REST names the object and what GraphQL names its argument.
REST_OBJECT = "connectionDetails"
GRAPHQL_ARGUMENT = "connection"


class KeyRole(enum.Enum):
    """What a key is for, which decides where it may appear."""

    SETTING = "setting"  # where and how: itsmType, instanceUrl, authType, table
    CREDENTIAL = "credential"  # part of ``Credentials``; needed by some auth types
    PROFILE_NAME = "profile name"  # connectionId: names a server-side profile


# eq=False: each key is one declared constant, compared and hashed by identity (cheap, and a
# request reads keys many times).
@dataclass(frozen=True, slots=True, eq=False)
class ConnectionKey:
    """One key of ``connectionDetails``.

    ``name`` is the caller's (camelCase) spelling; ``attribute`` the snake_case one, used by
    ``ConnectionDetails``, ``Credentials``, GraphQL's input and the settings file's profiles.
    A ``secret`` is kept out of ``repr``, masked by ``config show``, given to a profile only as
    ``<attribute>_env`` or ``<attribute>_file`` and to ``check-connection`` only as
    ``--<option>-env``/``--<option>-file``. ``needed_by``: the auth types that need it, which are
    also the only ones that use it (a profile or the command line that sets it for another auth
    type is refused). ``profile_owned``: a request naming a profile may not set it.
    """

    name: str
    description: str
    role: KeyRole = KeyRole.CREDENTIAL
    secret: bool = False
    max_length: int = MAX_VALUE_LENGTH
    needed_by: frozenset[AuthType] = frozenset()
    profile_owned: bool = True
    # ``clientSecret`` -> ``client_secret``: derived once, since every request reads it.
    attribute: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attribute", snake_case(self.name))

    @property
    def in_profile(self) -> bool:
        """Whether a ``[connections.<name>]`` table may set it (it cannot name another)."""
        return self.role is not KeyRole.PROFILE_NAME

    @property
    def option(self) -> str:
        """Its ``check-connection`` option, ``--client-secret``."""
        return "--" + self.attribute.replace("_", "-")


_BASIC_AND_PASSWORD = frozenset({AuthType.BASIC, AuthType.OAUTH_PASSWORD})
_OAUTH = frozenset({AuthType.OAUTH_PASSWORD, AuthType.OAUTH_CLIENT_CREDENTIALS})
_API_KEY, _BEARER = frozenset({AuthType.API_KEY}), frozenset({AuthType.BEARER})
_SETTING, _PROFILE_NAME = KeyRole.SETTING, KeyRole.PROFILE_NAME

# profile_owned=False: itsmType may repeat the profile's own; a profile without a table leaves
# it to callers (resolvers.profiles).
ITSM_TYPE = ConnectionKey("itsmType", "servicenow; case-insensitive", _SETTING, profile_owned=False)
INSTANCE_URL = ConnectionKey(
    "instanceUrl",
    "base URL of the instance, https://acme.service-now.com",
    _SETTING,
    max_length=MAX_URL_LENGTH,
)
AUTH_TYPE = ConnectionKey(
    "authType", "basic, oauth_password, oauth_client_credentials, api_key or bearer", _SETTING
)
USERNAME = ConnectionKey("username", "for basic and oauth_password", needed_by=_BASIC_AND_PASSWORD)
PASSWORD = ConnectionKey(
    "password", "for basic and oauth_password", secret=True, needed_by=_BASIC_AND_PASSWORD
)
CLIENT_ID = ConnectionKey("clientId", "for the OAuth types", needed_by=_OAUTH)
CLIENT_SECRET = ConnectionKey("clientSecret", "for the OAuth types", secret=True, needed_by=_OAUTH)
API_KEY = ConnectionKey(
    "apiKey", "for api_key (ServiceNow x-sn-apikey)", secret=True, needed_by=_API_KEY
)
# A bearer token for the ITSM may be a JWT, often longer than 1 KB.
TOKEN = ConnectionKey(
    "token", "for bearer", secret=True, max_length=MAX_TOKEN_LENGTH, needed_by=_BEARER
)
TABLE = ConnectionKey(
    "table", "the ITSM table or project; ServiceNow default incident", _SETTING, profile_owned=False
)
CONNECTION_ID = ConnectionKey(
    "connectionId",
    "the name of a connection configured on the gateway",
    _PROFILE_NAME,
    profile_owned=False,
)

# In the order callers see them (REST model, OpenAPI, GraphQL input).
CONNECTION_KEYS: tuple[ConnectionKey, ...] = (
    ITSM_TYPE,
    INSTANCE_URL,
    AUTH_TYPE,
    USERNAME,
    PASSWORD,
    CLIENT_ID,
    CLIENT_SECRET,
    API_KEY,
    TOKEN,
    TABLE,
    CONNECTION_ID,
)
CREDENTIAL_KEYS = tuple(key for key in CONNECTION_KEYS if key.role is KeyRole.CREDENTIAL)
SECRET_KEYS = tuple(key for key in CONNECTION_KEYS if key.secret)
BY_NAME = {key.name: key for key in CONNECTION_KEYS}
BY_ATTRIBUTE = {key.attribute: key for key in CONNECTION_KEYS}

# The keys each auth type needs, in the caller's spelling.
REQUIRED_CREDENTIALS: dict[AuthType, tuple[str, ...]] = {
    auth_type: tuple(key.name for key in CREDENTIAL_KEYS if auth_type in key.needed_by)
    for auth_type in AuthType
}


def key_path(key: ConnectionKey, within: str = REST_OBJECT) -> str:
    """How a door names the key: ``connectionDetails.password`` (REST), ``connection.password``
    (GraphQL, whose argument is ``connection``)."""
    return f"{within}.{key.name}"


def key_values(
    keys: tuple[ConnectionKey, ...],
    given: Mapping[str, str | None],
    before: tuple[str | None, ...] | None,
    owner: str,
) -> tuple[str | None, ...]:
    """One value per key of ``keys``, in their order: ``given`` (snake_case names) over
    ``before`` (the values being replaced, for ``dataclasses.replace``). A name that is not one
    of ``keys`` is a ``TypeError``, as a misspelt keyword argument would be. Runs several times
    per request: it touches only the names given, never every key."""
    positions = _positions(keys)
    values: list[str | None] = list(before) if before else [None] * len(keys)
    for name, value in given.items():
        position = positions.get(name)
        if position is None:
            unknown = sorted(n for n in given if n not in positions)
            raise TypeError(f"{owner} has no key {', '.join(unknown)}")
        values[position] = value
    return tuple(values)


@functools.cache
def _positions(keys: tuple[ConnectionKey, ...]) -> dict[str, int]:
    """Each key's snake_case name -> its place in ``keys`` (a handful of fixed tuples: computed
    once each)."""
    return {key.attribute: place for place, key in enumerate(keys)}


class _HoldsValues(Protocol):
    def value(self, key: ConnectionKey) -> str | None: ...


def shown_values(keys: tuple[ConnectionKey, ...], holder: _HoldsValues) -> str:
    """``itsm_type='servicenow', username='u'``: the given values that are not secrets, for a
    ``repr`` that can be logged."""
    return ", ".join(
        f"{key.attribute}={value!r}"
        for key in keys
        if not key.secret and (value := holder.value(key)) is not None
    )


class KeyValue:
    """``password = KeyValue(PASSWORD)`` in a class with ``value(key)``: reads that key's value
    as an attribute, for the keys code names often; any key can be read with ``value``."""

    def __init__(self, key: ConnectionKey) -> None:
        self.key = key

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> KeyValue: ...

    @overload
    def __get__(self, instance: _HoldsValues, owner: type[Any]) -> str | None: ...

    def __get__(self, instance: _HoldsValues | None, owner: type[Any]) -> KeyValue | str | None:
        return self if instance is None else instance.value(self.key)
