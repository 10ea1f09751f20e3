"""What a connector can do, declared as data: its operations, the canonical fields it can read
(and how each maps to the tool), and the canonical fields it can write through ``TicketInput``.

The use cases judge a request against it before any call (a field the tool cannot provide is a
400 naming it), GraphQL answers it (``Query.connectors``), and the connector contract suite runs
each behaviour only where the declaration says it applies.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from connectors.connection import Connection
from connectors.connection_keys import AUTH_TYPE, TABLE, AuthType, key_path
from connectors.errors import BadInput
from connectors.fields import ORDERED_FIELDS, ORDERED_WRITABLE, TicketField, WritableField

_Field = TypeVar("_Field", TicketField, WritableField)


class Operation(enum.StrEnum):
    FETCH = "fetch"
    CREATE = "create"
    UPDATE = "update"
    SEARCH = "search"  # a connector declaring it implements ``connectors.search``


@dataclass(frozen=True)
class TableRule:
    """A vendor's refinement of the generic table-name rule (``resolvers.tables``): which names
    the tool accepts as ``connectionDetails.table`` (``pattern``; ``None``: the tool has no
    tables, so none), and the refusal, a template with ``{path}`` (the key as the caller's door
    names it) and ``{table}`` (the name, quoted and cut to 80 characters)."""

    pattern: re.Pattern[str] | None
    refusal: str

    def check(self, table: str, path: str = key_path(TABLE)) -> None:
        if self.pattern is None or not self.pattern.fullmatch(table):
            raise BadInput(self.refusal.format(path=path, table=repr(table[:80])))


@dataclass(frozen=True)
class AuthRule:
    """The auth types a tool works with (``allowed``), and the refusal of any other, a template
    with ``{path}`` (``connectionDetails.authType`` as the caller's door names it) and
    ``{auth_type}``."""

    allowed: frozenset[AuthType]
    refusal: str

    def check(self, auth_type: AuthType, path: str = key_path(AUTH_TYPE)) -> None:
        if auth_type not in self.allowed:
            raise BadInput(self.refusal.format(path=path, auth_type=auth_type.value))


@dataclass(frozen=True)
class IdRule:
    """What a ticket number or record id looks like in this tool (an allow-list: anything else
    is refused before any call, on both doors alike), and the refusal, a template with
    ``{name}`` (``ticketNumber``, ``sysId``) and ``{value}`` (quoted, cut to 80 characters)."""

    pattern: re.Pattern[str]
    refusal: str

    def check(self, name: str, value: str) -> None:
        if not self.pattern.fullmatch(value):
            raise BadInput(self.refusal.format(name=name, value=repr(value[:80])))


@dataclass(frozen=True)
class ProfileScope:
    """What a connection profile opens to callers, in this tool's terms: the tables (ServiceNow),
    projects (Jira) or queues (RT) listed in its ``tables``; ``default``: what a profile that
    lists none opens (the tool's ticket table), ``()`` when a profile must list them.
    ``in_table``: the scope is the connection's table, so the use case enforces it by the table
    it opens; otherwise (RT's queues, which live in the record) the connector enforces it."""

    noun: str  # "table", "project", "queue"
    default: tuple[str, ...] = ()
    in_table: bool = True
    # A name in ``tables``: the tool's own rule for the table when in_table, else this one.
    name_pattern: re.Pattern[str] = re.compile(r"\S(?:.{0,198}\S)?")


@dataclass(frozen=True)
class Capabilities:
    itsm_type: str  # as callers name it in connectionDetails.itsmType
    name: str  # as people name the tool ("ServiceNow")
    operations: frozenset[Operation]
    readable: Mapping[TicketField, str]  # field -> how it maps ("incident.short_description")
    writable: Mapping[WritableField, str]  # TicketInput field -> how it is written
    # What messages call a ticket when the connection's table does not name it: Jira's "table"
    # is a project key, so its records are "issue"s whatever the project. None: the table.
    record_noun: str | None = None
    # What the tool accepts as a table, beyond the generic rule; None: the generic rule only.
    table_rule: TableRule | None = None
    # The auth types the tool works with; None: every one.
    auth_rule: AuthRule | None = None
    # What a connection profile's ``tables`` names for this tool, and its default.
    profile_scope: ProfileScope = ProfileScope("table")
    # What its ticket numbers (fetch) and record ids (update) look like; None: any text.
    number_rule: IdRule | None = None
    id_rule: IdRule | None = None
    # Readable fields its search cannot list, and why (``resolvers.search.listed_fields``):
    # named in a search, a 400 naming them; not named (REST's "every field"), left empty.
    unlisted: Mapping[TicketField, str] = field(default_factory=dict)

    def check_operation(self, operation: Operation) -> None:
        if operation not in self.operations:
            raise BadInput(
                f"{self.name} connections cannot {operation.value} tickets through this gateway"
            )

    def check_readable(self, fields: Iterable[TicketField]) -> None:
        """``BadInput`` naming the fields this tool cannot provide, and those it can."""
        self._check(fields, ORDERED_FIELDS, self.readable, "ticketFields", "provide", "it provides")

    def check_writable(self, fields: Iterable[WritableField]) -> None:
        """``BadInput`` naming the fields this tool cannot write, and those it can."""
        self._check(fields, ORDERED_WRITABLE, self.writable, "ticketInput", "write", "it can write")

    def _check(
        self,
        fields: Iterable[_Field],
        vocabulary: Iterable[_Field],
        supported: Mapping[_Field, str],
        where: str,
        verb: str,
        offers: str,
    ) -> None:
        asked = set(fields)
        missing = [f.value for f in vocabulary if f in asked and f not in supported]
        if missing:
            offered = ", ".join(f.value for f in vocabulary if f in supported)
            raise BadInput(
                f"{where}: {self.name} (itsmType {self.itsm_type}) cannot {verb} "
                f"{', '.join(missing)}; {offers} {offered}"
            )

    def check_connection(self, connection: Connection) -> None:
        """``BadInput`` when the tool cannot work with this connection's table or auth type,
        naming the key as the caller's door does. The use case checks it before opening the
        connector, the connector again when it opens: one declaration, so the two layers
        cannot disagree."""
        if self.auth_rule is not None:
            self.auth_rule.check(connection.credentials.auth_type, connection.path(AUTH_TYPE))
        if connection.table is not None and self.table_rule is not None:
            self.table_rule.check(connection.table, connection.path(TABLE))
