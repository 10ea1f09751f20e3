"""Encoded queries (``sysparm_query``): parsing and matching.

Grammar handled, as ServiceNow's "Encoded query strings" and "Operators available for filters
and queries" pages define it: conditions joined by ``^`` (AND) and ``^OR`` (OR with the
condition before it, binding tighter than AND, as on instances: ``a=1^ORb=2^c=3`` is
``(a=1 OR b=2) AND c=3``), ``^NQ`` (a new query OR-ed with the previous one),
``ORDERBY<col>`` / ``ORDERBYDESC<col>`` and a trailing ``^EQ``. Operators: ``=``, ``!=``,
``<``, ``<=``, ``>``, ``>=``, ``IN``, ``NOT IN`` (with its space; ``NOTIN`` is also read,
unconfirmed), ``STARTSWITH``, ``ENDSWITH``, ``LIKE`` and ``CONTAINS`` (contains),
``NOT LIKE`` and ``DOES NOT CONTAIN`` (does not contain), ``ISEMPTY``, ``ISNOTEMPTY`` and
``BETWEEN`` (``fieldBETWEENlow@high``, both ends included). ``CONTAINS`` and
``DOES NOT CONTAIN`` are the spellings of GlideRecord's ``addQuery`` (and PySNC's), which
encoded queries accept too.

Two kinds of condition the emulator cannot act on, treated differently:
- **An unknown column** is dropped, as the vendor documents for its default setting (the
  GlideRecord API pages: "the invalid part of the query condition is dropped"), so a misspelt
  column widens the answer, possibly to the whole table. ``EncodedQuery.restricted_to`` does
  the dropping; the gateway guards against it.
- **A known column with an operator the emulator does not know** (a documented operator it does
  not implement, such as ``SAMEAS`` or a relative date, a ``javascript:`` value, or garbage) is
  refused with ``InvalidQuery``, never dropped: a dropped condition widens the result silently.
  The vendor documents no error shape for this (its strict setting,
  ``glide.invalid_query.returns_no_rows``, answers no rows); the emulator is stricter still and
  refuses, so a client that relies on an operator the emulator lacks fails loudly in tests.

Values are compared with stored values. String comparisons ignore case (``=``, ``!=``, ``IN``,
``LIKE`` and the rest: ``user_name=ALEX.CHEN`` finds ``alex.chen``), as the vendor's GlideFilter
page says GlideRecord queries do ("GlideRecord queries are case-insensitive"; the Table API page
calls values case-sensitive, which instances on their usual collation are not). ``<`` and ``>``
compare numerically when both sides are numbers, otherwise as text (which orders stored UTC
datetimes correctly).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

# Longest first, so ISNOTEMPTY is not read as ISEMPTY or NOT IN as IN.
_OPERATORS = (
    "DOES NOT CONTAIN",
    "ISNOTEMPTY",
    "STARTSWITH",
    "CONTAINS",
    "ENDSWITH",
    "NOT LIKE",
    "ISEMPTY",
    "BETWEEN",
    "NOT IN",
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
# Documented operators the emulator does not evaluate: recognised first so that they are refused
# rather than misread (``INSTANCEOF`` would otherwise read as ``IN``).
_UNSUPPORTED = (
    "INSTANCEOF",
    "SAMEAS",
    "NSAMEAS",
    "ANYTHING",
    "EMPTYSTRING",
    "DATEPART",
    "RELATIVE",
    "MORETHAN",
    "LESSTHAN",
    "NOTON",
    "ON",
    "VALCHANGES",
    "CHANGESFROM",
    "CHANGESTO",
    "DYNAMIC",
    "GT_",
    "LT_",
)
# Column names are lower case (and may be dot-walked), which is what separates
# ``element`` from the ``IN`` that follows it in ``elementINcomments,work_notes``.
_COLUMN = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")


class InvalidQuery(ValueError):
    """A condition on a known column that the emulator cannot evaluate; ``str()`` says which."""


@dataclass(frozen=True)
class Condition:
    """One condition. ``operator`` is ``""`` when nothing after the column was understood
    (kept so that ``EncodedQuery.restricted_to`` can refuse it if the column is known)."""

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
            case "NOT IN" | "NOTIN":
                return left not in _split(right)
            case "LIKE" | "CONTAINS":
                return right in left
            case "NOT LIKE" | "DOES NOT CONTAIN":
                return right not in left
            case "BETWEEN":
                low, _, high = self.value.partition("@")
                return _compare(">=", stored, low) and _compare("<=", stored, high)
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
        ``InvalidQuery`` when a condition on a known column has no operator the emulator
        understands (see the module docstring: refused, never dropped).
        """
        for alternative in self.alternatives:
            for group in alternative:
                for condition in group:
                    if known(condition.column) and not condition.operator:
                        raise InvalidQuery(
                            f"Unsupported operator or value in condition: "
                            f"{condition.column}{condition.value}"
                        )
        alternatives = tuple(
            tuple(g for g in (tuple(c for c in group if known(c.column)) for group in alt) if g)
            for alt in self.alternatives
        )
        order = tuple(o for o in self.order_by if known(o.column))
        return replace(self, alternatives=alternatives, order_by=order)

    def and_equal(self, filters: Mapping[str, str]) -> EncodedQuery:
        """The query with ``column=value`` conditions ANDed into every alternative: the Table
        API's name-value filters (``?active=false``) beside ``sysparm_query``."""
        if not filters:
            return self
        extra = tuple((Condition(column, "=", value),) for column, value in filters.items())
        alternatives = tuple(alt + extra for alt in self.alternatives) or (extra,)
        return replace(self, alternatives=alternatives)

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
                continue  # no column at all: dropped, like an instance does
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
    if rest.startswith(_UNSUPPORTED):
        return Condition(column.group(), "", rest)
    for operator in _OPERATORS:
        if rest.startswith(operator):
            value = rest[len(operator) :]
            if not _readable(operator, value):
                break
            return Condition(column.group(), operator, value)
    # Kept without an operator: refused later if the column is known, dropped if not.
    return Condition(column.group(), "", rest)


def _readable(operator: str, value: str) -> bool:
    """Whether the emulator can evaluate a value: scripted values (``javascript:...``, as the
    condition builder writes for dates) are not evaluated, and BETWEEN needs ``low@high``."""
    if value.lstrip().lower().startswith("javascript:"):
        return False
    if operator == "BETWEEN":
        low, sep, high = value.partition("@")
        return bool(sep and low and high)
    if operator in {"ISEMPTY", "ISNOTEMPTY"}:
        return value == ""
    return True


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
