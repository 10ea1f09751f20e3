"""How much one GraphQL document may ask for, judged before anything runs.

Every limit is a graphql-core validation rule (the token limit is the parser's), so a refusal is a
validation error: ``BAD_USER_INPUT``, status 400, and no resolver, no ITSM call. The rules are
built once per schema and added to every request as the same classes, because the
validation cache (``graph.documents``) keys its entries by the rule classes: a class made per
request would never hit.

The verdicts depend on the document alone, not on variables, so they are cached with it. That makes
the ticket count an upper bound: a root field under ``@skip(if: $x)`` counts whatever ``$x`` is.
Each operation in a document is judged on its own, as any of them may be the one executed.
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


def _tickets_rule(max_tickets: int) -> type[ASTValidationRule]:
    class TicketsPerRequest(ValidationRule):
        """Every root field (``ticket``, ``createTicket``, ``updateTicket``) is one ticket fetched
        or written; aliases make more of them. Fields with the same response key are merged into
        one call by GraphQL, so they count once."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            keys = _root_keys(node.selection_set, self.context, frozenset())
            if len(keys) > max_tickets:
                name = f"operation {node.name.value!r}" if node.name else "the operation"
                self.report_error(
                    GraphQLError(
                        f"{name} asks for {len(keys)} tickets; one request may fetch or write "
                        f"at most {max_tickets} (ticket, createTicket and updateTicket fields, "
                        "aliases included); split it into several requests",
                        node,
                    )
                )

    return TicketsPerRequest


def _root_keys(
    selection_set: SelectionSetNode, context: ValidationContext, seen: frozenset[str]
) -> set[str]:
    keys: set[str] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if not selection.name.value.startswith("__"):
                keys.add((selection.alias or selection.name).value)
        elif isinstance(selection, InlineFragmentNode):
            keys |= _root_keys(selection.selection_set, context, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = context.get_fragment(name)
            if fragment is not None and name not in seen:  # unknown or cyclic: other rules say
                keys |= _root_keys(fragment.selection_set, context, seen | {name})
    return keys
