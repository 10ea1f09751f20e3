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
class UntakenValue:
    """One value a write asked the ITSM to set that the ITSM does not hold afterwards.

    ``field`` names it as the caller did: a ``TicketInput`` field (``ticketStatus``) or a native
    one (``ticketJSON.state``, ``ticketJSON.CustomFields.Urgency``). ``sent`` is what the gateway
    sent and ``held`` what the ITSM holds instead, both as text for a message (``held`` is ``""``
    when the ITSM holds nothing); ``reason`` is the rest of the sentence when there is more to say
    ("not a choice of incident.state", "no such column on incident").
    """

    field: str
    sent: str
    held: str
    reason: str = ""

    def describe(self) -> str:
        """``ticketJSON.state 'In Progress' did not take (ServiceNow holds '')``-like text,
        without the ITSM's name: ``state 'In Progress' (holds ''; not a choice of ...)``."""
        why = f"; {self.reason}" if self.reason else ""
        return f"{self.field} {self.sent!r} (it holds {self.held!r}{why})"


@dataclass(frozen=True, slots=True)
class Ticket:
    """``refused``: the asked fields an optional read was refused for (ServiceNow's ``task_sla``
    or a journal with no fallback, Jira's SLA), each with a message naming the table and what the
    account lacks. Such a field's value is empty; every other field is answered as usual.

    ``untaken``: after a create or update, the values the write asked for that the ITSM does not
    hold (empty after a fetch, and after a write that took whole). The ticket exists either way;
    the doors answer it and name each of these."""

    values: Mapping[TicketField, FieldValue] = field(default_factory=dict)
    refused: Mapping[TicketField, str] = field(default_factory=dict)
    untaken: tuple[UntakenValue, ...] = ()

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


@dataclass(frozen=True, slots=True)
class WrittenTicket:
    """The ticket a write created or changed, by its two ids: what a caller needs to find it
    again when the rest of the answer failed (``GatewayError.written``)."""

    number: str
    sys_id: str
