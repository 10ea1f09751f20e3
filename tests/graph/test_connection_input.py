"""GraphQL's ``ConnectionInput`` is written out (strawberry needs a class for its SDL); the
connection vocabulary (``connectors.connection_keys``) is the source. This test holds the one to
the other, so that a key added to the table fails here until the input has it too."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLNonNull, GraphQLScalarType

from connectors.connection_keys import (
    AUTH_TYPE,
    CONNECTION_KEYS,
    GRAPHQL_ARGUMENT,
    ITSM_TYPE,
    ConnectionKey,
)
from connectors.errors import BadInput
from graph.enums import AuthType, ItsmType
from graph.schema import build_schema
from graph.types import ConnectionInput


def connection_input() -> GraphQLInputObjectType:
    input_type = build_schema()._schema.type_map["ConnectionInput"]
    assert isinstance(input_type, GraphQLInputObjectType)
    return input_type


def test_the_input_has_every_key_in_the_tables_order_and_nothing_else() -> None:
    assert list(connection_input().fields) == [key.name for key in CONNECTION_KEYS]


# The keys whose values the gateway knows are GraphQL enums (graph/enums.py, held to the
# vocabulary by tests/graph/test_enums.py); every other key is a string.
ENUM_KEYS = {"itsmType": "ItsmType", "authType": "AuthType"}


def test_every_key_is_optional_and_a_string_or_its_enum_without_a_default_value() -> None:
    # Optional, as in REST's model: which keys are needed depends on authType and connectionId,
    # which the use case judges (with messages that name the keys), not the schema.
    for name, field in connection_input().fields.items():
        assert not isinstance(field.type, GraphQLNonNull), name
        if name in ENUM_KEYS:
            assert isinstance(field.type, GraphQLEnumType), name
            assert field.type.name == ENUM_KEYS[name], name
        else:
            assert isinstance(field.type, GraphQLScalarType) and field.type.name == "String", name
        assert field.default_value is None, name


def test_the_input_describes_keys_as_the_table_does() -> None:
    # The enums' keys say which enum; their values are described on the enum.
    by_name = {key.name: key for key in CONNECTION_KEYS}
    for name, field in connection_input().fields.items():
        if name in ENUM_KEYS:
            assert field.description and f"connectionDetails.{name}" in field.description
        else:
            assert field.description == by_name[name].description, name


def test_an_enum_key_reaches_the_details_as_the_rest_string() -> None:
    details = ConnectionInput(itsm_type=ItsmType.servicenow, auth_type=AuthType.oauth_password)

    read = details.to_details()

    assert read.value(ITSM_TYPE) == "servicenow" and type(read.value(ITSM_TYPE)) is str
    assert read.value(AUTH_TYPE) == "oauth_password" and type(read.value(AUTH_TYPE)) is str


def test_the_input_is_read_into_details_key_by_key() -> None:
    # Strings for every key, the enums' included: to_details passes on whatever it holds.
    given: dict[str, Any] = {key.attribute: f"value of {key.name}" for key in CONNECTION_KEYS}

    details = ConnectionInput(**given).to_details()

    assert {key.attribute: details.value(key) for key in CONNECTION_KEYS} == given
    assert details.within == GRAPHQL_ARGUMENT


@pytest.mark.parametrize("key", CONNECTION_KEYS, ids=[key.name for key in CONNECTION_KEYS])
def test_each_key_has_the_tables_maximum_length_named_as_this_door_names_it(
    key: ConnectionKey,
) -> None:
    longest: dict[str, Any] = {key.attribute: "x" * key.max_length}
    too_long: dict[str, Any] = {key.attribute: "x" * (key.max_length + 1)}
    ConnectionInput(**longest).to_details()

    with pytest.raises(BadInput) as refused:
        ConnectionInput(**too_long).to_details()

    assert refused.value.message == (
        f"connection.{key.name} is too long; at most {key.max_length} characters are accepted"
    )
