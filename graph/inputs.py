"""Input objects built without strawberry's per-field type walk.

For every input object in the arguments, strawberry's ``convert_argument`` resolves each field's
annotation, asks whether it is generic, a ``Maybe``, an optional, a list, a scalar or an enum, and
only then copies the value: about a tenth of a GraphQL fetch's CPU went there for
``ConnectionInput``, whose eleven fields are all plain strings or enums. graphql-core has already
coerced and validated the values by then; for a leaf (a scalar or an enum, optional or not)
strawberry hands the coerced value through unchanged.

``built_directly`` sets the input's ``from_input`` (strawberry's documented hook for building an
input from its GraphQL value, ``StrawberryObjectDefinition.from_input``) to a builder that works
out once, on its first use, which fields are leaves: those are copied as they are; any other field
(a list, a nested input) still goes through strawberry (``InputContext.convert``), so its
semantics stay strawberry's. A field the client left out gets the class's default, as with
strawberry's own conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    get_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition

T = TypeVar("T")

_PLAIN_SCALARS = (str, int, float, bool)


@dataclass(frozen=True, slots=True)
class _FieldPlan:
    graphql_name: str
    python_name: str
    type_: Any  # strawberry's resolved type: what ``InputContext.convert`` takes
    leaf: bool  # the coerced value is the Python value (a plain scalar or an enum)


def built_directly(cls: T) -> T:
    """A class decorator, above ``@strawberry.input``: its values are built by ``_Builder``."""
    definition = get_object_definition(cls, strict=True)
    definition.from_input = _Builder(definition)
    return cls


class _Builder:
    """``from_input`` for one input type; its plan is worked out on the first call, once the
    schema (and so every lazy annotation) is complete."""

    def __init__(self, definition: StrawberryObjectDefinition) -> None:
        self._definition = definition
        self._plan: tuple[_FieldPlan, ...] | None = None

    def __call__(self, cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        plan = self._plan if self._plan is not None else self._make_plan(context)
        kwargs: dict[str, Any] = {}
        for field in plan:
            if field.graphql_name in value:
                given = value[field.graphql_name]
                kwargs[field.python_name] = (
                    given
                    if field.leaf or given is None
                    else context.convert(given, field.type_, field.graphql_name)
                )
        return cls(**kwargs)

    def _make_plan(self, context: InputContext) -> tuple[_FieldPlan, ...]:
        definition = self._definition
        plan = []
        for field in definition.fields:
            type_ = field.resolve_type(type_definition=definition)
            plan.append(
                _FieldPlan(
                    graphql_name=context.config.name_converter.from_field(field),
                    python_name=field.python_name,
                    type_=type_,
                    leaf=_is_leaf(type_),
                )
            )
        self._plan = tuple(plan)
        return self._plan


def _is_leaf(type_: object) -> bool:
    """A plain scalar or an enum, optional or not: strawberry passes its coerced value through.
    ``Maybe`` wraps values and a list is copied, so both are left to strawberry."""
    if isinstance(type_, StrawberryMaybe | StrawberryList):
        return False
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if isinstance(type_, StrawberryMaybe | StrawberryList | StrawberryOptional):
        return False
    return (
        type_ in _PLAIN_SCALARS
        or isinstance(type_, StrawberryEnumDefinition)
        or (isinstance(type_, type) and has_enum_definition(type_))
    )
