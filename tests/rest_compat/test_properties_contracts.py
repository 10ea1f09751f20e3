"""Properties of the legacy REST contracts (docs/contract.md): any JSON value as a body parses to a
model or is refused with ``BadInput`` (a 400 whose message says what to fix), never anything else;
a parsed model survives being dumped and parsed again.

Bodies mix any JSON with near-valid contracts built from the real key names, misspellings of them
and random keys, so that a good share of them parse. Runs are derandomized so that CI sees the
same examples every time.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from connectors.errors import BadInput
from rest_compat.contracts import (
    ConnectionDetailsModel,
    CreateRequest,
    FetchRequest,
    UpdateRequest,
    parse_contract,
)

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

MODELS: list[type[BaseModel]] = [CreateRequest, UpdateRequest, FetchRequest]
_ALL_MODELS: list[type[BaseModel]] = [*MODELS, ConnectionDetailsModel]
REAL_KEYS = sorted({name for model in _ALL_MODELS for name in model.model_fields})


@st.composite
def misspelt(draw: st.DrawFn, names: list[str]) -> str:
    name = draw(st.sampled_from(names))
    change = draw(st.sampled_from(["lower", "upper", "drop", "double", "pad", "snake"]))
    if change == "lower":
        return name.lower()
    if change == "upper":
        return name[0].upper() + name[1:]
    if change == "drop":
        cut = draw(st.integers(0, len(name) - 1))
        return name[:cut] + name[cut + 1 :]
    if change == "double":
        cut = draw(st.integers(0, len(name) - 1))
        return name[:cut] + name[cut] + name[cut:]
    if change == "pad":
        return draw(st.sampled_from([" ", "\t", "\u200b"])) + name
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


keys = st.one_of(st.sampled_from(REAL_KEYS), misspelt(REAL_KEYS), st.text(max_size=10))
# JSON as a parser can hand it over: no NaN or infinity, string keys.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=6)
    ),
    max_leaves=10,
)


# Long values and long lists, around the lengths a contract may bound (1 KB, 100 names).
long_text = st.integers(0, 10_000).map(lambda n: "x" * n)
long_lists = st.integers(0, 300).map(lambda n: ["ticketNumber"] * n)


def _well_typed(name: str) -> st.SearchStrategy[Any]:
    if name == "connectionDetails":
        return well_typed(ConnectionDetailsModel)
    if name == "ticketJSON":
        return st.dictionaries(st.text(max_size=12), json_values, max_size=3)
    if name == "ticketFields":
        return st.one_of(
            st.none(),
            st.lists(st.one_of(st.text(max_size=16), long_text), max_size=3),
            long_lists,
        )
    return st.one_of(st.text(max_size=16), st.none(), long_text)


def well_typed(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """A body that should parse: every required key, some optional ones, each of its type."""
    fields = model.model_fields
    return st.fixed_dictionaries(
        {name: _well_typed(name) for name, info in fields.items() if info.is_required()},
        optional={
            name: _well_typed(name) for name, info in fields.items() if not info.is_required()
        },
    )


def near_valid(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """A well-typed body with one thing wrong: a key dropped, a value of another type, a
    misspelt or random key added, or the same mistakes one level down in connectionDetails."""
    names = list(model.model_fields)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        body = dict(draw(well_typed(model)))
        mistake = draw(st.sampled_from(["drop", "retype", "extra", "nested"]))
        name = draw(st.sampled_from(names))
        if mistake == "drop":
            body.pop(name, None)
        elif mistake == "retype":
            body[name] = draw(json_values)
        elif mistake == "extra":
            body[draw(st.one_of(misspelt(names), st.text(max_size=8)))] = draw(json_values)
        else:
            body["connectionDetails"] = draw(near_valid(ConnectionDetailsModel))
        return body

    return build()


def bodies(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    return st.one_of(json_values, well_typed(model), near_valid(model))


def _parse(model: type[BaseModel], body: Any) -> BaseModel | None:
    try:
        parsed = parse_contract(model, body)
    except BadInput as error:
        assert error.message.strip()
        assert error.status == 400
        event("refused")
        return None
    assert isinstance(parsed, model)
    event("parsed")
    return parsed


def _check_any_body(model: type[BaseModel], body: Any) -> None:
    parsed = _parse(model, body)
    if parsed is None:
        return
    # Only the contract's keys, each with its declared type; the rest was refused.
    assert set(body) <= set(model.model_fields)
    dumped = parsed.model_dump(exclude_none=False)
    again = parse_contract(model, dumped)
    assert again == parsed
    assert again.model_dump(exclude_none=False) == dumped


@PROPERTY
@given(bodies(CreateRequest))
@example({"connectionDetails": {}, "ticketJSON": {}})
@example({"connectionDetails": {"pasword": 1}, "ticketJson": {}, "": None})
@example([])
@example(None)
def test_create_body_is_a_model_or_bad_input(body: Any) -> None:
    _check_any_body(CreateRequest, body)


@PROPERTY
@given(bodies(UpdateRequest))
@example({"sysId": "", "connectionDetails": {}, "ticketJSON": {}})
@example({"sysId": 1, "connectionDetails": [], "ticketJSON": "x", "ticketFields": [1]})
def test_update_body_is_a_model_or_bad_input(body: Any) -> None:
    _check_any_body(UpdateRequest, body)


@PROPERTY
@given(bodies(FetchRequest))
@example({"ticketNumber": "INC1", "connectionDetails": {"connectionId": "prod"}})
@example({"ticketNumber": "INC1", "connectionDetails": {"connectionId": None}, "x": {"y": 1}})
def test_fetch_body_is_a_model_or_bad_input(body: Any) -> None:
    _check_any_body(FetchRequest, body)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@settings(PROPERTY, max_examples=150)
@given(data=st.data())
def test_an_unknown_top_level_key_is_refused_and_named(
    model: type[BaseModel], data: st.DataObject
) -> None:
    body = data.draw(well_typed(model))
    key = data.draw(
        st.one_of(misspelt(list(model.model_fields)), keys).filter(
            lambda name: name not in model.model_fields
        )
    )
    body[key] = data.draw(json_values)
    with pytest.raises(BadInput) as error:
        parse_contract(model, body)
    assert f"{key} is not a known key" in error.value.message
