"""Encoded queries (``sysparm_query``): parsing and matching.

Grammar handled: conditions joined by ``^`` (AND) and ``^OR`` (OR with the condition before
it, binding tighter than AND, as on instances: ``a=1^ORb=2^c=3`` is ``(a=1 OR b=2) AND c=3``),
``^NQ`` (a new query OR-ed with the previous one), ``ORDERBY<col>`` / ``ORDERBYDESC<col>`` and
a trailing ``^EQ``. Operators: ``=``, ``!=``, ``IN``, ``NOTIN``, ``LIKE``, ``NOT LIKE``,
``STARTSWITH``, ``ENDSWITH``, ``ISEMPTY``, ``ISNOTEMPTY``, ``<``, ``<=``, ``>``, ``>=``.

The vendor quirk this module exists for: **a condition that cannot be understood (unknown
column, unknown operator, garbage) is dropped, not refused**, so a misspelt filter widens the
answer, possibly to the whole table. ``EncodedQuery.restricted_to`` does the dropping.

Values are compared with stored values. String comparisons ignore case, as instances on their
usual case-insensitive database collation do (plausible; not confirmed by the notes). ``<``
and ``>`` compare numerically when both sides are numbers, otherwise as text (which orders
stored UTC datetimes correctly).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

# Longest first, so ISNOTEMPTY is not read as ISEMPTY or NOTIN as IN.
_OPERATORS = (
    "ISNOTEMPTY",
    "ISEMPTY",
    "STARTSWITH",
    "ENDSWITH",
    "NOT LIKE",
    "NOTIN",
    "LIKE",
    "IN",
    "!=",
    "<=",
    ">=",
    "=",
    "<",
    ">",
)
# Column names are lower case (and may be dot-walked), which is what separates
# ``element`` from the ``IN`` that follows it in ``elementINcomments,work_notes``.
_COLUMN = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")


@dataclass(frozen=True)
class Condition:
    column: str
    operator: str
    value: str

    def test(self, stored: str) -> bool:
        left, right = stored.casefold(), self.value.casefold()
        match self.operator:
            case "=":
                return left == right
            case "!=":
                return left != right
            case "IN":
                return left in _split(right)
            case "NOTIN":
                return left not in _split(right)
            case "LIKE":
                return right in left
            case "NOT LIKE":
                return right not in left
            case "STARTSWITH":
                return left.startswith(right)
            case "ENDSWITH":
                return left.endswith(right)
            case "ISEMPTY":
                return stored == ""
            case "ISNOTEMPTY":
                return stored != ""
            case _:
                return _compare(self.operator, stored, self.value)


@dataclass(frozen=True)
class OrderBy:
    column: str
    descending: bool = False


@dataclass(frozen=True)
class EncodedQuery:
    """``alternatives`` (``^NQ``) of conjunctions of OR-groups of conditions, plus ordering."""

    alternatives: tuple[tuple[tuple[Condition, ...], ...], ...] = ()
    order_by: tuple[OrderBy, ...] = ()

    def restricted_to(self, known: Callable[[str], bool]) -> EncodedQuery:
        """The query without conditions and orderings on columns ``known`` rejects.

        An OR group left empty disappears; an alternative left empty matches everything.
        """
        alternatives = tuple(
            tuple(g for g in (tuple(c for c in group if known(c.column)) for group in alt) if g)
            for alt in self.alternatives
        )
        order = tuple(o for o in self.order_by if known(o.column))
        return replace(self, alternatives=alternatives, order_by=order)

    def matches(self, value_of: Callable[[str], str]) -> bool:
        """Whether a record matches, ``value_of(column)`` giving its stored value."""
        if not self.alternatives:
            return True
        return any(
            all(any(c.test(value_of(c.column)) for c in group) for group in alternative)
            for alternative in self.alternatives
        )


def parse(text: str) -> EncodedQuery:
    alternatives: list[tuple[tuple[Condition, ...], ...]] = []
    order_by: list[OrderBy] = []
    for chunk in text.split("^NQ"):
        groups: list[list[Condition]] = []
        for term in chunk.split("^"):
            term = term.strip()
            if not term or term == "EQ":
                continue
            if term.startswith("ORDERBYDESC"):
                order_by.append(OrderBy(term.removeprefix("ORDERBYDESC"), descending=True))
                continue
            if term.startswith("ORDERBY"):
                order_by.append(OrderBy(term.removeprefix("ORDERBY")))
                continue
            is_or = term.startswith("OR") and groups
            condition = _condition(term[2:] if is_or else term)
            if condition is None:
                continue  # not understood: dropped, like an instance does
            if is_or:
                groups[-1].append(condition)
            else:
                groups.append([condition])
        alternatives.append(tuple(tuple(g) for g in groups))
    return EncodedQuery(tuple(alternatives), tuple(order_by))


def _condition(term: str) -> Condition | None:
    column = _COLUMN.match(term)
    if column is None:
        return None
    rest = term[column.end() :]
    for operator in _OPERATORS:
        if rest.startswith(operator):
            return Condition(column.group(), operator, rest[len(operator) :])
    return None


def _split(values: str) -> set[str]:
    return {v.strip() for v in values.split(",")}


def _compare(operator: str, left: str, right: str) -> bool:
    if left == "":
        return False  # an empty value is neither before nor after anything
    try:
        a, b = float(left), float(right)
        order = (a > b) - (a < b)
    except ValueError:
        order = (left > right) - (left < right)
    return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[operator]
