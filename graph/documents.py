"""Parsing and validating a GraphQL document once, for every request that sends it again.

Parsing and validating cost milliseconds; the same document (with its values in variables) is then
served from two LRU caches. It is one strawberry extension rather than strawberry's four
(``MaxTokensLimiter``, ``AddValidationRules``, ``ParserCache``, ``ValidationCache``): strawberry
creates every extension per request and enters each of its hooks, and with four that bookkeeping
was about 10% of a cached query's CPU (profile in the issue 5 closing note).

The caches belong to the schema (``DocumentCaches``), not to the module, so that every schema, and
every test, starts empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

CACHED_DOCUMENTS = 256


class DocumentCaches:
    """The parse and validation caches of one schema."""

    def __init__(self, maxsize: int = CACHED_DOCUMENTS) -> None:
        self.parse: Callable[..., DocumentNode] = lru_cache(maxsize=maxsize)(parse)
        self.validate: Callable[
            [GraphQLSchema, DocumentNode, tuple[type[ASTValidationRule], ...]], list[GraphQLError]
        ] = lru_cache(maxsize=maxsize)(validate_document)


class CheckedDocuments(SchemaExtension):
    """Parses with the token limit and validates with the limit rules, through the caches.

    A document over the token limit is refused by the parser before it builds a tree; the parse
    options are part of the cache key, so a limit never hides behind a cached parse.
    """

    def __init__(
        self, caches: DocumentCaches, rules: tuple[type[ASTValidationRule], ...], max_tokens: int
    ) -> None:
        self._caches = caches
        self._rules = rules
        self._max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self._max_tokens
        context.validation_rules = context.validation_rules + self._rules
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = self._caches.parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None  # on_parse set it, or raised
        context.pre_execution_errors = self._caches.validate(
            context.schema._schema, document, context.validation_rules
        )
        yield


def checked_documents(
    rules: tuple[type[ASTValidationRule], ...], max_tokens: int
) -> Callable[[], Any]:
    """The extension factory for one schema (strawberry makes an extension per request)."""
    caches = DocumentCaches()
    return lambda: CheckedDocuments(caches, rules, max_tokens)
