"""A document is parsed and validated once per schema, whatever number of requests send it; the
limits still apply to every new document."""

from __future__ import annotations

from typing import Any

import pytest

import graph.documents
from graph.limits import GraphQLLimits
from graph.schema import build_schema


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"parse": 0, "validate": 0}
    parse, validate = graph.documents.parse, graph.documents.validate_document

    def counting_parse(*args: Any, **kwargs: Any) -> Any:
        calls["parse"] += 1
        return parse(*args, **kwargs)

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        calls["validate"] += 1
        return validate(*args, **kwargs)

    monkeypatch.setattr(graph.documents, "parse", counting_parse)
    monkeypatch.setattr(graph.documents, "validate_document", counting_validate)
    return calls


async def test_the_same_document_is_parsed_and_validated_once(counted: dict[str, int]) -> None:
    schema = build_schema()
    for _ in range(3):
        result = await schema.execute("query Q { __typename }")
        assert result.errors is None and result.data == {"__typename": "Query"}
    assert counted == {"parse": 1, "validate": 1}
    await schema.execute("query Other { __typename }")
    assert counted == {"parse": 2, "validate": 2}


async def test_each_schema_has_its_own_caches(counted: dict[str, int]) -> None:
    await build_schema().execute("{ __typename }")
    await build_schema().execute("{ __typename }")
    assert counted == {"parse": 2, "validate": 2}


async def test_a_cached_document_does_not_hide_the_limits() -> None:
    schema = build_schema(GraphQLLimits(max_tokens=100, max_aliases=2))
    assert (await schema.execute("{ a: __typename b: __typename }")).errors is None
    too_many = await schema.execute("{ a: __typename b: __typename c: __typename }")
    assert too_many.errors and "aliases" in too_many.errors[0].message
    long = "{ " + " ".join(f"a{i}: __typename" for i in range(60)) + " }"
    refused = await schema.execute(long)
    assert refused.errors and "tokens" in refused.errors[0].message


async def test_a_document_over_the_byte_limit_is_refused_unparsed(counted: dict[str, int]) -> None:
    schema = build_schema(GraphQLLimits(max_document_bytes=2048))
    padded = "query Q { __typename # " + "é" * 1100 + "\n }"  # 2,200+ bytes, 1,100 characters
    result = await schema.execute(padded)
    assert result.errors and "at most 2,048" in result.errors[0].message
    assert "ITSM_GATEWAY_GRAPHQL_MAX_DOCUMENT_BYTES" in result.errors[0].message
    assert counted == {"parse": 0, "validate": 0}


def test_the_cache_holds_at_most_its_bytes_dropping_the_least_recently_used() -> None:
    cache = graph.documents.DocumentCache(max_entries=100, max_bytes=10_000)
    documents = [f"query Q{i} {{ __typename }} # " + "z" * 3000 for i in range(5)]
    for text in documents:
        cache.parsed(text, len(text), {})
    assert cache.bytes <= 10_000 and len(cache) == 3
    # The oldest went first: parsing it again makes a new entry, pushing out the next oldest.
    first = cache.parsed(documents[4], len(documents[4]), {})
    assert cache.parsed(documents[4], len(documents[4]), {}) is first
    assert len(cache) == 3


def test_a_document_larger_than_the_whole_budget_is_parsed_but_not_kept() -> None:
    cache = graph.documents.DocumentCache(max_bytes=1000)
    text = "{ __typename } # " + "w" * 2000
    assert cache.parsed(text, len(text), {}).document is not None
    assert len(cache) == 0 and cache.bytes == 0
