"""What a connector can do, declared as data: its operations, the canonical fields it can read
(and how each maps to the tool), and the canonical fields it can write through ``TicketInput``.

The use cases judge a request against it before any call (a field the tool cannot provide is a
400 naming it), GraphQL answers it (``Query.connectors``), and the connector contract suite runs
each behaviour only where the declaration says it applies.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from connectors.errors import BadInput
from connectors.fields import TicketField, WritableField

_Field = TypeVar("_Field", TicketField, WritableField)


class Operation(enum.StrEnum):
    FETCH = "fetch"
    CREATE = "create"
    UPDATE = "update"


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

    def check_operation(self, operation: Operation) -> None:
        if operation not in self.operations:
            raise BadInput(
                f"{self.name} connections cannot {operation.value} tickets through this gateway"
            )

    def check_readable(self, fields: Iterable[TicketField]) -> None:
        """``BadInput`` naming the fields this tool cannot provide, and those it can."""
        self._check(fields, TicketField, self.readable, "ticketFields", "provide", "it provides")

    def check_writable(self, fields: Iterable[WritableField]) -> None:
        """``BadInput`` naming the fields this tool cannot write, and those it can."""
        self._check(fields, WritableField, self.writable, "ticketInput", "write", "it can write")

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
