"""GraphiQL's documentation explorer documents everything: this walks the schema and finds every
type, field, argument, input field and enum value without a description (graph/descriptions.py
fills in the canonical fields')."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
)

from graph.descriptions import READ, WRITTEN
from graph.schema import build_schema

# graphql-core's own types, described by the spec.
BUILT_IN = {"String", "Boolean", "Int", "Float", "ID"}


def own_types(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    return [
        named
        for name, named in schema.type_map.items()
        if not name.startswith("__") and name not in BUILT_IN
    ]


def undescribed(schema: GraphQLSchema) -> list[str]:
    missing: list[str] = []
    for named in own_types(schema):
        if not named.description:
            missing.append(named.name)
        if isinstance(named, GraphQLObjectType):
            for field_name, field in named.fields.items():
                if not field.description:
                    missing.append(f"{named.name}.{field_name}")
                missing.extend(
                    f"{named.name}.{field_name}({argument_name})"
                    for argument_name, argument in field.args.items()
                    if not argument.description
                )
        if isinstance(named, GraphQLInputObjectType):
            missing.extend(
                f"{named.name}.{field_name}"
                for field_name, field in named.fields.items()
                if not field.description
            )
        if isinstance(named, GraphQLEnumType):
            missing.extend(
                f"{named.name}.{value_name}"
                for value_name, value in named.values.items()
                if not value.description
            )
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    assert undescribed(build_schema()._schema) == []


def test_the_tables_name_only_fields_the_schema_has() -> None:
    # A stale entry would describe nothing: a renamed field must be renamed here too.
    schema = build_schema()._schema
    ticket, ticket_input = schema.type_map["Ticket"], schema.type_map["TicketInput"]
    assert isinstance(ticket, GraphQLObjectType)
    assert isinstance(ticket_input, GraphQLInputObjectType)
    assert set(READ) <= set(ticket.fields)
    assert set(WRITTEN) <= set(ticket_input.fields)
