"""GraphQL's ``ItsmType`` and ``AuthType`` are written out (graph/enums.py); the vocabulary is the
source. These tests hold the enums to it, so that a connector or an auth type added there fails
here until the enum has it too."""

from __future__ import annotations

from graphql import GraphQLEnumType

from connectors import connection_keys
from connectors.catalog import capabilities, itsm_types
from graph.enums import AuthType, ItsmType, values_of
from graph.schema import build_schema
from graph.types import ConnectorInfo


def enum_type(name: str) -> GraphQLEnumType:
    found = build_schema()._schema.type_map[name]
    assert isinstance(found, GraphQLEnumType)
    return found


def test_itsm_type_names_every_shipped_connector_as_rest_spells_it() -> None:
    assert sorted(enum_type("ItsmType").values) == sorted(itsm_types())
    assert sorted(values_of(ItsmType)) == sorted(itsm_types())


def test_auth_type_names_every_auth_type_as_rest_spells_it() -> None:
    assert list(enum_type("AuthType").values) == [t.value for t in connection_keys.AuthType]
    assert values_of(AuthType) == [t.value for t in connection_keys.AuthType]


def test_every_value_is_described() -> None:
    for name in ("ItsmType", "AuthType"):
        for value_name, value in enum_type(name).values.items():
            assert value.description, f"{name}.{value_name}"


def test_connector_info_answers_each_connectors_enum_value() -> None:
    assert [ConnectorInfo.of(c).itsm_type for c in capabilities()] == [
        ItsmType(t) for t in itsm_types()
    ]
