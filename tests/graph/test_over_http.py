"""Which media type answers which ``Accept`` header, and which answers are request errors
(graph/over_http.py)."""

from __future__ import annotations

import pytest
from graphql import GraphQLError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from graph.over_http import (
    GRAPHQL_RESPONSE,
    JSON,
    answer_media_type,
    is_request_error,
    request_error_status,
)


@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}; charset=utf-8, application/json; q=0.9", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}; q=0.5, application/json", JSON),
        (f"{GRAPHQL_RESPONSE}; q=0", JSON),
        (f"{GRAPHQL_RESPONSE}; q=nonsense", JSON),
    ],
)
def test_the_answer_is_in_the_media_type_the_caller_prefers(
    accept: str | None, answered: str
) -> None:
    assert answer_media_type(accept) == answered


def test_a_refusal_before_execution_is_a_request_error() -> None:
    assert is_request_error(PreExecutionError(data=None, errors=[GraphQLError("Syntax Error")]))


def test_variables_that_do_not_coerce_are_a_request_error() -> None:
    assert is_request_error(ExecutionResult(data=None, errors=[GraphQLError("Variable '$c'")]))


def test_an_error_on_a_fields_path_is_not() -> None:
    field_error = GraphQLError("not found", path=["ticket"])
    assert not is_request_error(ExecutionResult(data={"ticket": None}, errors=[field_error]))
    assert not is_request_error(ExecutionResult(data=None, errors=[field_error]))


def test_a_request_errors_status_is_its_first_errors() -> None:
    too_deep = {"message": "too deep", "extensions": {"code": "X", "statusCode": 413}}
    assert request_error_status({"errors": [too_deep]}) == 413
    assert request_error_status({"errors": [{"message": "?", "extensions": {}}]}) == 400
    assert request_error_status({"errors": []}) == 400
