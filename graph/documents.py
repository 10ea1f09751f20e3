"""Parsing and validating a GraphQL document once, for every request that sends it again.

Parsing and validating cost milliseconds; the same document (with its values in variables) is then
served from a cache. It is one strawberry extension rather than strawberry's four
(``MaxTokensLimiter``, ``AddValidationRules``, ``ParserCache``, ``ValidationCache``): strawberry
creates every extension per request and enters each of its hooks, and with four that bookkeeping
was about 10% of a cached query's CPU (profile in the issue 5 closing note).

Any caller can send any document, so what the cache holds is bounded by size, not only by count:
a document longer than ``max_document_bytes`` is refused before it is parsed (the token limit
counts neither comments nor the length of a string, so it alone bounds neither the parse nor the
tree), and the cache keeps at most ``max_cached_bytes`` of document text, dropping the least
recently used. A parsed tree takes some tens of times its text, so the byte budget is what
bounds the memory a stream of distinct documents can pin.

The cache belongs to the schema (``DocumentCache``), not to the module, so that every schema, and
every test, starts empty.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

CACHED_DOCUMENTS = 256
CACHED_BYTES = 1_048_576  # of document text; the trees take some tens of times more
_SETTING = "ITSM_GATEWAY_GRAPHQL_MAX_DOCUMENT_BYTES"


@dataclass(slots=True)
class _Entry:
    document: DocumentNode
    size: int  # bytes of its text
    errors: list[GraphQLError] | None = None  # None until validated


class DocumentCache:
    """The parsed (and, once validated, judged) documents of one schema, least recently used
    first out, bounded by count and by the bytes of their text. Keyed by the text and the parse
    options, so a limit never hides behind a cached parse."""

    def __init__(self, max_entries: int = CACHED_DOCUMENTS, max_bytes: int = CACHED_BYTES) -> None:
        self._entries: OrderedDict[tuple[str, tuple[tuple[str, Any], ...]], _Entry] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self.bytes = 0  # held now

    def parsed(self, query: str, size: int, options: Mapping[str, Any]) -> _Entry:
        key = (query, tuple(sorted(options.items())))
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry
        entry = _Entry(parse(query, **options), size)  # a GraphQLError is not cached
        if size <= self._max_bytes:
            self._entries[key] = entry
            self.bytes += size
            while len(self._entries) > self._max_entries or self.bytes > self._max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.bytes -= dropped.size
        return entry

    def __len__(self) -> int:
        return len(self._entries)


class CheckedDocuments(SchemaExtension):
    """Refuses a document over the size limit, parses with the token limit and validates with
    the limit rules, through the cache.

    A document over the token limit is refused by the parser before it builds a tree.
    """

    def __init__(
        self,
        cache: DocumentCache,
        rules: tuple[type[ASTValidationRule], ...],
        max_tokens: int,
        max_document_bytes: int,
    ) -> None:
        self._cache = cache
        self._rules = rules
        self._max_tokens = max_tokens
        self._max_bytes = max_document_bytes
        self._entry: _Entry | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self._max_tokens
        context.validation_rules = context.validation_rules + self._rules
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        size = len(query) if query.isascii() else len(query.encode("utf-8", "surrogatepass"))
        if size > self._max_bytes:
            raise GraphQLError(
                f"The GraphQL document is {size:,} bytes; at most {self._max_bytes:,} are "
                f"accepted ({_SETTING}): send values as variables, and drop comments"
            )
        self._entry = self._cache.parsed(query, size, context.parse_options)
        context.graphql_document = self._entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = self._entry
        assert entry is not None and context.graphql_document is entry.document  # on_parse ran
        if entry.errors is None:
            # The rules are the schema's, the same for every request: judged once per document.
            entry.errors = validate_document(
                context.schema._schema, entry.document, context.validation_rules
            )
        context.pre_execution_errors = entry.errors
        yield


def checked_documents(
    rules: tuple[type[ASTValidationRule], ...],
    max_tokens: int,
    max_document_bytes: int,
) -> Callable[[], Any]:
    """The extension factory for one schema (strawberry makes an extension per request)."""
    cache = DocumentCache()
    return lambda: CheckedDocuments(cache, rules, max_tokens, max_document_bytes)
