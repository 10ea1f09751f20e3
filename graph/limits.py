"""How much one GraphQL document may ask for, judged before anything runs.

Every limit is a graphql-core validation rule (the token limit is the parser's), so a refusal is a
validation error: ``BAD_USER_INPUT``, status 400, and no resolver, no ITSM call. The rules are
built once per schema and added to every request as the same classes, because the
validation cache (``graph.documents``) keys its entries by the rule classes: a class made per
request would never hit.

The verdicts depend on the document alone, not on variables, so they are cached with it. That makes
the ticket count an upper bound: a root field under ``@skip(if: $x)`` counts whatever ``$x`` is.
Each operation in a document is judged on its own, as any of them may be the one executed.

The ITSM work one document may cause has two bounds, because a fetch or write and a search cost
differently:

- ``ticket``, ``createTicket`` and ``updateTicket`` fields: each one ticket fetched or written, at
  most ``max_tickets`` (``ITSM_GATEWAY_MAX_TICKETS_PER_REQUEST``) in all;
- ``tickets`` fields: each one search page, a bounded number of ITSM calls for at most
  ``ITSM_GATEWAY_MAX_PAGE_SIZE`` tickets (``first``, checked with the variables resolved by the
  search use case before any call), at most ``max_searches``
  (``ITSM_GATEWAY_GRAPHQL_MAX_SEARCHES``) in all.

So one document reads at most ``max_tickets + max_searches * max_page_size`` tickets. Counting a
page as its ``first`` against the ticket limit was the other way; it was not taken because the
two defaults (5 tickets, pages of 20) would have refused a plain ``tickets`` query, and raising the
ticket limit to fit a page would have let one document write 20 tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    visit,
)
from graphql.language import Visitor
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import max_aliases, query_depth_limiter


@dataclass(frozen=True, slots=True)
class GraphQLLimits:
    """The defaults are the settings' defaults (``ITSM_GATEWAY_GRAPHQL_MAX_*``,
    ``ITSM_GATEWAY_MAX_TICKETS_PER_REQUEST``). ``max_document_bytes`` is enforced before the
    parse (``graph.documents``), the others by the parser and these rules."""

    max_depth: int = 8
    max_tokens: int = 2000
    max_document_bytes: int = 32_768
    max_aliases: int = 15
    max_tickets: int = 5
    max_searches: int = 2
    max_page_size: int = 100  # named in the refusal; the search use case enforces it


DEFAULT_LIMITS = GraphQLLimits()


def limit_rules(
    limits: GraphQLLimits, *, introspection: bool
) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules that enforce ``limits`` (and refuse introspection if off). The token
    limit is not a rule: ``graph.documents`` gives it to the parser."""
    rules: list[type[ASTValidationRule]] = [
        _depth_rule(limits.max_depth),
        max_aliases.create_validator(limits.max_aliases),
        _tickets_rule(limits.max_tickets),
        _searches_rule(limits.max_searches, limits.max_page_size),
    ]
    if not introspection:
        # Refuses __schema and __type, names the field; __typename stays allowed.
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


def _depth_rule(max_depth: int) -> type[ASTValidationRule]:
    depth = query_depth_limiter.create_validator(max_depth, should_ignore=None)

    class DepthLimit(ValidationRule):
        """strawberry's depth rule ("'name' exceeds maximum operation depth of N"; introspection
        fields not counted), run only on documents whose fragment spreads all exist: its crawler
        raises KeyError on an unknown one, which ``KnownFragmentNamesRule`` reports properly."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            if _spreads_all_defined(context.document):
                depth(context)

    return DepthLimit


def _spreads_all_defined(document: DocumentNode) -> bool:
    defined = {
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    spread: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            spread.add(node.name.value)

    visit(document, Spreads())
    return spread <= defined


# The root fields that fetch or write one ticket each, and the one that searches.
TICKET_FIELDS = frozenset({"ticket", "createTicket", "updateTicket"})
SEARCH_FIELD = "tickets"


def _tickets_rule(max_tickets: int) -> type[ASTValidationRule]:
    class TicketsPerRequest(ValidationRule):
        """Every ``ticket``, ``createTicket`` and ``updateTicket`` field is one ticket fetched or
        written; aliases make more of them. Fields with the same response key are merged into
        one call by GraphQL, so they count once."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fields = _root_fields(node.selection_set, self.context, frozenset())
            count = sum(1 for name in fields.values() if name in TICKET_FIELDS)
            if count > max_tickets:
                self.report_error(
                    GraphQLError(
                        f"{_operation(node)} asks for {count} tickets; one request may fetch or "
                        f"write at most {max_tickets} (ticket, createTicket and updateTicket "
                        "fields, aliases included; ITSM_GATEWAY_MAX_TICKETS_PER_REQUEST): use "
                        "fewer aliases, or split it into several requests",
                        node,
                    )
                )

    return TicketsPerRequest


def _searches_rule(max_searches: int, max_page_size: int) -> type[ASTValidationRule]:
    class SearchesPerRequest(ValidationRule):
        """Every ``tickets`` field is one search page (its size bounded by the search use case,
        with the variables resolved); aliases make more of them."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fields = _root_fields(node.selection_set, self.context, frozenset())
            count = sum(1 for name in fields.values() if name == SEARCH_FIELD)
            if count > max_searches:
                self.report_error(
                    GraphQLError(
                        f"{_operation(node)} asks for {count} searches (tickets fields); one "
                        f"request may run at most {max_searches} "
                        "(ITSM_GATEWAY_GRAPHQL_MAX_SEARCHES), each a page of at most "
                        f"{max_page_size} tickets (first; ITSM_GATEWAY_MAX_PAGE_SIZE): use fewer "
                        "aliased tickets fields, put the conditions in one filter, or split it "
                        "into several requests",
                        node,
                    )
                )

    return SearchesPerRequest


def _operation(node: OperationDefinitionNode) -> str:
    return f"operation {node.name.value!r}" if node.name else "the operation"


def _root_fields(
    selection_set: SelectionSetNode, context: ValidationContext, seen: frozenset[str]
) -> dict[str, str]:
    """The operation's root fields, through fragments: response key -> field name (one entry
    per key, as GraphQL merges fields with the same key)."""
    fields: dict[str, str] = {}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if not selection.name.value.startswith("__"):
                fields[(selection.alias or selection.name).value] = selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            fields |= _root_fields(selection.selection_set, context, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = context.get_fragment(name)
            if fragment is not None and name not in seen:  # unknown or cyclic: other rules say
                fields |= _root_fields(fragment.selection_set, context, seen | {name})
    return fields
