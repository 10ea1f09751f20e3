"""GraphiQL opens with a working example (graph/graphiql/page.js): its query is valid against the
schema and its variables are the shape the query takes (a ConnectionInput with the enums'
values). tests/e2e/test_e2e_graphql_results.py runs it against the stack."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, parse, validate
from graphql.execution.values import get_variable_values

from graph.schema import build_schema

PAGE_SCRIPT = Path(__file__).resolve().parents[2] / "graph" / "graphiql" / "page.js"


def template(name: str) -> str:
    """The text of the page script's ``const NAME = `...`;``."""
    found = re.search(rf"const {name} = `(.*?)`;", PAGE_SCRIPT.read_text(), re.S)
    assert found, name
    return found.group(1)


def example_query() -> str:
    return template("EXAMPLE_QUERY")


def example_variables() -> dict[str, Any]:
    variables: dict[str, Any] = json.loads(template("EXAMPLE_VARIABLES"))
    return variables


def test_the_example_query_is_valid_against_the_schema() -> None:
    schema = build_schema()._schema
    assert validate(schema, parse(example_query())) == []


def test_the_example_variables_are_what_the_query_takes() -> None:
    schema = build_schema()._schema
    [operation] = parse(example_query()).definitions
    assert isinstance(operation, OperationDefinitionNode)

    values = get_variable_values(schema, operation.variable_definitions or (), example_variables())

    assert not isinstance(values, list), values  # a list of errors when they do not coerce
    connection = values.coerced["connection"]
    assert connection["itsmType"].value == "servicenow"
    assert connection["authType"].value == "basic"


def test_the_search_tab_is_valid_against_the_schema_and_its_variables() -> None:
    schema = build_schema()._schema
    document = parse(template("SEARCH_QUERY"))
    assert validate(schema, document) == []
    [operation] = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    variables = json.loads(template("SEARCH_VARIABLES"))
    values = get_variable_values(schema, operation.variable_definitions or (), variables)
    assert not isinstance(values, list), values
