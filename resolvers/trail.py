"""What one request did, for its log line and metrics: which operation, on which ITSM host, which
tickets, how many ITSM calls, which writes did not take whole (and which fields, by name).

The transport starts a ``Trail`` for each request (``start_trail``) and reads it when the request
ends; the use cases and the ITSM call observer add to it through ``current_trail``. It lives in a
context variable so that the concurrent tasks of one request (the journal and SLA reads) add to
the same trail, and no request sees another's. Outside a request there is no trail and nothing
is recorded.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_MAX_TICKETS_NOTED = 10  # a GraphQL request holds a few; the log line stays short

_current: contextvars.ContextVar[Trail | None] = contextvars.ContextVar(
    "itsm_gateway_trail", default=None
)


@dataclass
class Trail:
    door: str
    operation: str = "-"  # fetch, create, update; "mixed" when one GraphQL request does several
    itsm_type: str | None = None
    itsm_host: str | None = None
    tickets: list[str] = field(default_factory=list)
    itsm_calls: int = 0
    # One entry per write that did not take whole: its operation and the fields (names only:
    # the values may be anything, a secret included) that did not take.
    untaken: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def note_operation(self, operation: str) -> None:
        if self.operation in ("-", operation):
            self.operation = operation
        else:
            self.operation = "mixed"

    def note_ticket(self, number: str) -> None:
        if number and number not in self.tickets and len(self.tickets) < _MAX_TICKETS_NOTED:
            self.tickets.append(number)

    def note_untaken(self, operation: str, fields: tuple[str, ...]) -> None:
        self.untaken.append((operation, fields))

    def note_itsm(self, itsm_type: str, host: str) -> None:
        self.itsm_type, self.itsm_host = itsm_type, host


def current_trail() -> Trail | None:
    return _current.get()


@contextmanager
def start_trail(door: str) -> Iterator[Trail]:
    trail = Trail(door=door)
    token = _current.set(trail)
    try:
        yield trail
    finally:
        _current.reset(token)
