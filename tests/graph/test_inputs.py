"""The inputs built by ``graph.inputs.built_directly`` are the values strawberry's own
conversion builds, for every input type of the schema, whatever the client sent or left out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.types.scalar import DEFAULT_SCALAR_REGISTRY
from strawberry.types.arguments import convert_argument
from strawberry.types.base import get_object_definition

from graph.enums import AuthType, ItsmType
from graph.search_types import SortField, TicketFilterInput, TicketOrder
from graph.types import ConnectionInput, TicketInput

# Values as graphql-core hands them over once coerced: enums as their Python members, times as
# datetimes, lists as lists; a key left out is absent, an explicit null is None.
CASES: list[tuple[type, dict[str, Any]]] = [
    (
        ConnectionInput,
        {
            "itsmType": ItsmType.servicenow,
            "instanceUrl": "https://acme.service-now.com",
            "authType": AuthType.basic,
            "username": "integration",
            "password": "s3cret",
        },
    ),
    (ConnectionInput, {"connectionId": "acme", "table": None}),
    (ConnectionInput, {}),
    (TicketInput, {"shortDescription": "Printer on fire", "comments": None, "urgency": "1"}),
    (
        TicketFilterInput,
        {
            "numbers": ["INC0010001", "INC0010002"],
            "statuses": None,
            "createdAfter": datetime(2026, 12, 1, tzinfo=UTC),
            "active": False,
            "text": "email",
        },
    ),
    (TicketOrder, {"field": next(iter(SortField)), "descending": True}),
    (TicketOrder, {"field": next(iter(SortField))}),
]


def _strawberry_default(
    cls: type, value: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> object:
    with monkeypatch.context() as patch:
        patch.setattr(get_object_definition(cls, strict=True), "from_input", None)
        return convert_argument(value, cls, DEFAULT_SCALAR_REGISTRY, StrawberryConfig())


@pytest.mark.parametrize(("cls", "value"), CASES, ids=lambda v: getattr(v, "__name__", None))
def test_built_as_strawberry_builds_it(
    cls: type, value: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    built = convert_argument(value, cls, DEFAULT_SCALAR_REGISTRY, StrawberryConfig())
    assert built == _strawberry_default(cls, value, monkeypatch)
    assert isinstance(built, cls)


def test_the_hook_is_the_builder() -> None:
    """The schema's inputs all take the direct path (a new input type should too)."""
    for cls in (ConnectionInput, TicketInput, TicketFilterInput, TicketOrder):
        assert get_object_definition(cls, strict=True).from_input is not None


def test_a_list_is_a_copy() -> None:
    """graphql-core gives every request that omits a value the same default object: a list
    handed through uncopied could leak one request's change into the next."""
    numbers = ["INC0010001"]
    built = convert_argument(
        {"numbers": numbers}, TicketFilterInput, DEFAULT_SCALAR_REGISTRY, StrawberryConfig()
    )
    assert isinstance(built, TicketFilterInput)
    assert built.numbers == numbers
    assert built.numbers is not numbers
