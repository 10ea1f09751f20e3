"""The connection vocabulary, declared once (``connectors.connection_keys``), and the values
built from it (``Credentials``, ``ConnectionDetails``)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from connectors.connection import Connection, Credentials
from connectors.connection_keys import (
    BY_NAME,
    CONNECTION_KEYS,
    CREDENTIAL_KEYS,
    PASSWORD,
    REQUIRED_CREDENTIALS,
    TABLE,
    AuthType,
    KeyRole,
    key_path,
)
from connectors.errors import BadInput
from resolvers.connections import ConnectionDetails, replace


def snake(name: str) -> str:
    return re.sub(r"[A-Z]", lambda upper: f"_{upper.group().lower()}", name)


def test_each_key_has_one_camel_and_one_snake_spelling() -> None:
    assert len({key.name for key in CONNECTION_KEYS}) == len(CONNECTION_KEYS)
    for key in CONNECTION_KEYS:
        assert key.attribute == snake(key.name), key.name
        assert key.description and key.max_length > 0


def test_only_credentials_are_needed_by_an_auth_type_and_every_type_needs_one() -> None:
    for key in CONNECTION_KEYS:
        assert bool(key.needed_by) == (key.role is KeyRole.CREDENTIAL), key.name
    assert all(REQUIRED_CREDENTIALS[auth_type] for auth_type in AuthType)


def test_which_auth_type_needs_which_key() -> None:
    # The contract (docs/contract.md#connectiondetails), written out once more on purpose: the
    # table must say this.
    assert REQUIRED_CREDENTIALS == {
        AuthType.BASIC: ("username", "password"),
        AuthType.OAUTH_PASSWORD: ("username", "password", "clientId", "clientSecret"),
        AuthType.OAUTH_CLIENT_CREDENTIALS: ("clientId", "clientSecret"),
        AuthType.API_KEY: ("apiKey",),
        AuthType.BEARER: ("token",),
    }
    assert [key.name for key in CONNECTION_KEYS if key.secret] == [
        "password",
        "clientSecret",
        "apiKey",
        "token",
    ]
    assert BY_NAME["instanceUrl"].max_length == 2048 and BY_NAME["token"].max_length == 8192


def test_a_door_names_a_key_within_its_object() -> None:
    assert key_path(PASSWORD) == "connectionDetails.password"
    assert key_path(PASSWORD, "connection") == "connection.password"


def all_credentials(auth_type: AuthType = AuthType.OAUTH_PASSWORD) -> Credentials:
    return Credentials(auth_type, values=tuple(f"{key.name}-Secret" for key in CREDENTIAL_KEYS))


def test_credentials_keep_secrets_out_of_repr_and_list_them_for_scrubbing() -> None:
    credentials = all_credentials()

    shown = repr(credentials)
    assert all(f"{key.name}-Secret" not in shown for key in CREDENTIAL_KEYS if key.secret)
    assert "username-Secret" in shown  # not a secret
    assert credentials.secrets() == (
        "password-Secret",
        "clientSecret-Secret",
        "apiKey-Secret",
        "token-Secret",
    )
    assert credentials.password == "password-Secret" and credentials.value(PASSWORD) == (
        "password-Secret"
    )


def test_credentials_compare_by_value() -> None:
    credentials = Credentials(AuthType.BASIC, username="u", password="p")

    assert credentials == Credentials(auth_type=AuthType.BASIC, username="u", password="p")
    assert hash(credentials) == hash(Credentials(AuthType.BASIC, username="u", password="p"))
    assert credentials != Credentials(AuthType.BASIC, username="u", password="q")


def test_an_unknown_key_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="pasword"):
        Credentials(AuthType.BASIC, pasword="p")
    with pytest.raises(TypeError, match="pasword"):
        ConnectionDetails(pasword="p")


@pytest.mark.parametrize("within", ["connectionDetails", "connection"])
def test_missing_credentials_are_named_as_the_door_names_them(within: str) -> None:
    with pytest.raises(BadInput) as refused:
        Credentials(AuthType.OAUTH_CLIENT_CREDENTIALS, client_id="c").check_complete(within)

    assert refused.value.message == (
        f"authType oauth_client_credentials needs {within}.clientSecret; add them and retry"
    )


def test_details_keep_secrets_out_of_repr_and_can_be_replaced() -> None:
    details = ConnectionDetails(itsm_type="servicenow", password="Secret-pw", table="incident")

    assert "Secret" not in repr(details)
    changed = replace(details, username="someone")
    assert (changed.value(BY_NAME["username"]), changed.value(PASSWORD)) == ("someone", "Secret-pw")
    assert changed.table == "incident" and changed.within == "connectionDetails"


def test_a_connection_names_its_keys_as_the_callers_door_does() -> None:
    credentials = Credentials(AuthType.BASIC, username="u", password="p")
    rest = Connection("servicenow", "https://a.example.com", credentials)
    graphql = dataclasses.replace(rest, within="connection")

    assert rest.path(TABLE) == "connectionDetails.table"
    assert graphql.path(TABLE) == "connection.table"
    assert rest == graphql  # how a door names it is not part of what the connection is
