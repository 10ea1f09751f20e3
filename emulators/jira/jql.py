"""The part of Jira Query Language the emulated search reads, as Atlassian documents it
(https://support.atlassian.com/jira-software-cloud/docs/use-advanced-search-with-jira-query-language-jql/):
clauses joined by ``AND``, then an optional ``ORDER BY field [ASC|DESC], ...``.

A clause is ``field operator value``. Fields: ``project``, ``key`` (``issuekey``), ``status``,
``priority`` (name or id), ``assignee``, ``reporter`` (accountId), ``created``, ``updated``
(``"yyyy/MM/dd HH:mm"`` or ``"yyyy-MM-dd HH:mm"`` in the caller's profile zone),
``statusCategory`` (``Done``, ``"To Do"``, ``"In Progress"``), ``summary`` and custom fields by
their name in double quotes or as ``cf[<id>]`` (text search, ``~``). Operators: ``=``, ``!=``,
``in``, ``not in``, ``>``, ``>=``, ``<``, ``<=``, ``~``. Values: double-quoted strings (``\\``
escapes the next character), bare words, or parenthesised lists.

A key Jira does not know (``key in (...)``) refuses the whole search with one message per key,
as Jira Cloud's enhanced search does (it has no ``validateQuery`` to lower that to a warning).

Text search (``~``) is simplified: case-insensitive substring of the field's text after removing
the search syntax's backslash escapes; a phrase in escaped double quotes matches as one. Anything
else (``OR``, functions, an unknown field) is a 400, as JQL Jira cannot parse is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from emulators.jira.projects import PRIORITIES
from emulators.jira.state import Issue, JiraState
from emulators.jira.workflow import CATEGORIES

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<op>!=|>=|<=|[=<>~(),])|(?P<word>[^\s=!<>~(),"]+))'
)
ISSUE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[1-9][0-9]*")
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_CUSTOM_ID = re.compile(r"cf\[([0-9]+)\]")  # a custom field by its id: cf[10053]
_SORTS = {"key", "issuekey", "created", "updated", "priority"}


class JqlError(ValueError):
    """JQL the emulator cannot read or refuses: ``messages`` are Jira's 400 ``errorMessages``."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "op" or "word"
    text: str

    @property
    def value(self) -> str:
        if self.kind != "string":
            return self.text
        return re.sub(r"\\(.)", r"\1", self.text[1:-1])


def tokens(jql: str) -> list[Token]:
    found: list[Token] = []
    position = 0
    while position < len(jql):
        if not jql[position:].strip():
            break
        match = _TOKEN.match(jql, position)
        if match is None or match.end() == position:
            raise JqlError(f"Error in the JQL Query: unexpected character at {position}.")
        kind = match.lastgroup or "word"
        found.append(Token(kind, match.group(kind)))
        position = match.end()
    return found


Predicate = Callable[[Issue], bool]


@dataclass(frozen=True)
class Query:
    predicates: tuple[Predicate, ...]
    order: tuple[tuple[str, bool], ...]  # (field, descending)

    def matches(self, issue: Issue) -> bool:
        return all(p(issue) for p in self.predicates)

    def sorted(self, issues: Sequence[Issue]) -> list[Issue]:
        ordered = sorted(issues, key=lambda i: int(i.id), reverse=True)  # Jira's default
        for field, descending in reversed(self.order):  # least significant first: sorts are stable
            ordered.sort(key=functools.partial(_sort_key, field=field), reverse=descending)
        return ordered


def _sort_key(issue: Issue, field: str) -> Any:
    if field in ("key", "issuekey"):
        return (issue.project.key, int(issue.key.rsplit("-", 1)[1]))
    if field == "priority":
        return int(issue.values.get("priority") or 3)
    return issue.created if field == "created" else issue.updated


def parse(jql: str, state: JiraState, zone: tzinfo) -> Query:
    items = tokens(jql)
    order: list[tuple[str, bool]] = []
    lowered = [t.text.lower() if t.kind == "word" else "" for t in items]
    for index in range(len(items) - 1):
        if lowered[index] == "order" and lowered[index + 1] == "by":
            order = _order(items[index + 2 :])
            items = items[:index]
            break
    predicates: list[Predicate] = []
    clause: list[Token] = []
    for token in [*items, Token("word", "AND")]:
        if token.kind == "word" and token.text.upper() == "AND":
            if not clause:
                raise JqlError("Error in the JQL Query: Expecting a field name.")
            predicates.append(_clause(clause, state, zone))
            clause = []
        elif token.kind == "word" and token.text.upper() == "OR":
            raise JqlError("The emulator reads clauses joined by AND only.")
        else:
            clause.append(token)
    return Query(tuple(predicates), tuple(order))


def _order(items: list[Token]) -> list[tuple[str, bool]]:
    order: list[tuple[str, bool]] = []
    for part in " ".join(t.text for t in items).split(","):
        words = part.split()
        if not words or words[0].lower() not in _SORTS or len(words) > 2:
            raise JqlError(f"Not able to sort using field '{part.strip()}'.")
        descending = len(words) == 2 and words[1].upper() == "DESC"
        if len(words) == 2 and words[1].upper() not in ("ASC", "DESC"):
            raise JqlError(f"Error in the JQL Query: '{words[1]}' is no sort direction.")
        order.append((words[0].lower(), descending))
    return order


def _clause(clause: list[Token], state: JiraState, zone: tzinfo) -> Predicate:
    field = clause[0].value
    rest = clause[1:]
    if len(rest) >= 2 and rest[0].kind == "word" and rest[0].text.lower() == "not":
        operator, values = "not in", _list(rest[2:]) if rest[1].text.lower() == "in" else None
    elif rest and rest[0].kind == "word" and rest[0].text.lower() == "in":
        operator, values = "in", _list(rest[1:])
    elif len(rest) == 2 and rest[0].kind == "op":
        operator, values = rest[0].text, [rest[1].value]
    else:
        operator, values = "", None
    if values is None or not operator:
        raise JqlError(f"Error in the JQL Query: cannot read the clause on '{field}'.")
    read = _reader(field, state, zone)
    if field.lower() in ("key", "issuekey"):
        # Jira validates issue keys: one it does not know refuses the whole search.
        missing = [v for v in values if state.find(v) is None or not ISSUE_KEY.fullmatch(v)]
        if missing:
            raise JqlError(
                *(f"An issue with key '{v}' does not exist for field '{field}'." for v in missing)
            )
    if operator in ("=", "in"):
        wanted = {read.normal(v) for v in values}
        return lambda issue: read.get(issue) in wanted
    if operator in ("!=", "not in"):
        unwanted = {read.normal(v) for v in values}
        return lambda issue: read.get(issue) not in unwanted
    if operator == "~":
        needle = _text_term(values[0])
        return lambda issue: needle in str(read.get(issue) or "").casefold()
    bound = read.normal(values[0])
    compare: dict[str, Callable[[Any, Any], bool]] = {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return lambda issue: compare[operator](read.get(issue), bound)


def _list(items: list[Token]) -> list[str] | None:
    if len(items) < 3 or items[0].text != "(" or items[-1].text != ")":
        return None
    inner = items[1:-1]
    values = [t.value for t in inner[0::2]]
    if any(t.text != "," for t in inner[1::2]):
        return None
    return values


def _text_term(term: str) -> str:
    """The search syntax's backslash escapes removed, and a phrase's quotes."""
    plain = re.sub(r"\\(.)", r"\1", term).strip()
    if len(plain) >= 2 and plain.startswith('"') and plain.endswith('"'):
        plain = plain[1:-1]
    return plain.casefold()


@dataclass(frozen=True)
class _Reader:
    get: Callable[[Issue], Any]
    normal: Callable[[str], Any]


def _reader(field: str, state: JiraState, zone: tzinfo) -> _Reader:
    name = field.lower()
    folded: Callable[[str], Any] = str.casefold
    if name == "project":
        return _Reader(lambda i: i.project.key.casefold(), lambda v: _project_key(state, v))
    if name in ("key", "issuekey"):
        return _Reader(lambda i: i.key.casefold(), folded)
    if name == "status":
        return _Reader(
            lambda i: i.project.workflow.statuses[i.status].name.casefold(),
            lambda v: _status_name(state, v),
        )
    if name == "statuscategory":
        return _Reader(
            lambda i: CATEGORIES[i.project.workflow.statuses[i.status].category][1].casefold(),
            folded,
        )
    if name == "priority":
        return _Reader(
            lambda i: PRIORITIES[i.values.get("priority") or "3"].casefold(),
            lambda v: PRIORITIES.get(v, v).casefold(),
        )
    if name in ("assignee", "reporter"):
        return _Reader(lambda i: i.values.get(name), lambda v: v)
    if name in ("created", "updated"):
        return _Reader(lambda i: getattr(i, name), lambda v: _moment(v, zone, field))
    if name == "summary":
        return _Reader(lambda i: i.values.get("summary"), folded)
    by_id = _CUSTOM_ID.fullmatch(name)
    for project in state.projects.values():
        for custom in project.custom_fields.values():
            if (by_id and custom.id == f"customfield_{by_id[1]}") or custom.name.casefold() == name:
                return _Reader(functools.partial(_value_of, field_id=custom.id), folded)
    raise JqlError(f"Field '{field}' does not exist or you do not have permission to view it.")


def _value_of(issue: Issue, field_id: str) -> Any:
    return issue.values.get(field_id)


def _project_key(state: JiraState, value: str) -> str:
    project = state.project(value) or state.project(value.upper())
    if project is None:
        raise JqlError(f"The value '{value}' does not exist for the field 'project'.")
    return project.key.casefold()


def _status_name(state: JiraState, value: str) -> str:
    for project in state.projects.values():
        for status in project.workflow.statuses.values():
            if value in (status.id, status.name) or value.casefold() == status.name.casefold():
                return status.name.casefold()
    raise JqlError(f"The value '{value}' does not exist for the field 'status'.")


def _moment(value: str, zone: tzinfo, field: str) -> datetime:
    for layout in _DATE_FORMATS:
        try:
            return datetime.strptime(value, layout).replace(tzinfo=zone)
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{value}' for field '{field}' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'."
    )
