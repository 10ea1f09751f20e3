"""The canonical ticket: what a connector returns, whatever the ITSM behind it.

Datetimes are aware and in UTC; they are formatted only at the doors. A field the caller did not
ask for is simply absent from ``Ticket.values``; a field the ITSM has no value for is ``None``
(text, datetime) or an empty tuple (notes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from connectors.fields import TicketField


@dataclass(frozen=True, slots=True)
class Note:
    """One journal entry or closure note: who wrote it, when (aware UTC), and its text."""

    author: str | None
    time: datetime | None
    text: str


FieldValue = str | datetime | tuple[Note, ...] | None


@dataclass(frozen=True, slots=True)
class RefusedRead:
    """What a connector's optional read gives back when the account was refused it (instead of
    raising): the message for ``Ticket.refused``, naming the table and what the account lacks."""

    message: str


@dataclass(frozen=True, slots=True)
class Ticket:
    """``refused``: the asked fields an optional read was refused for (ServiceNow's ``task_sla``
    or a journal with no fallback, Jira's SLA), each with a message naming the table and what the
    account lacks. Such a field's value is empty; every other field is answered as usual."""

    values: Mapping[TicketField, FieldValue] = field(default_factory=dict)
    refused: Mapping[TicketField, str] = field(default_factory=dict)

    def get(self, name: TicketField) -> FieldValue:
        return self.values.get(name)


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """What a caller wants written, before the connector translates it.

    ``native`` is the ITSM's own field names and values, sent as given (REST ``ticketJSON``);
    ``canonical`` holds typed canonical values (GraphQL ``TicketInput``), keyed by the
    ``WritableField`` value. A connector refuses a native and a canonical value for the same column.
    """

    native: Mapping[str, object] = field(default_factory=dict)
    canonical: Mapping[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.native and not self.canonical
