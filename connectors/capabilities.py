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

from connectors.errors import BadInput
from connectors.fields import TicketField, WritableField


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
        asked = set(fields)
        missing = [f.value for f in TicketField if f in asked and f not in self.readable]
        if missing:
            provided = ", ".join(field.value for field in TicketField if field in self.readable)
            raise BadInput(
                f"ticketFields: {self.name} (itsmType {self.itsm_type}) cannot provide "
                f"{', '.join(missing)}; it provides {provided}"
            )

    def check_writable(self, fields: Iterable[WritableField]) -> None:
        asked = set(fields)
        missing = [f.value for f in WritableField if f in asked and f not in self.writable]
        if missing:
            writable = ", ".join(field.value for field in WritableField if field in self.writable)
            raise BadInput(
                f"ticketInput: {self.name} (itsmType {self.itsm_type}) cannot write "
                f"{', '.join(missing)}; it can write {writable}"
            )
