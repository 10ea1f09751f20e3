"""A write that did not take whole, or that failed after it reached a ticket, told in GraphQL:
the ticket is answered as data, and an error is added on the mutation field's path (its alias,
when the caller gave one) with
``extensions = {"code": "WRITE_NOT_TAKEN", "statusCode": 201|200, "untaken": [{"field", "sent",
"held", "reason"}], "ticket": {"ticketNumber", "sysId"}}`` (docs/contract.md#errors).

A write that failed after it reached a ticket (``GatewayError.written``) is told the same way:
the ticket's ids as data, the error (its own code, ``extensions.ticket`` set) on the field's path
(:func:`note_written`).

The resolver cannot raise it: strawberry nulls a field whose resolver raises, and the ticket
exists. So the mutation notes it on the request's ``GraphContext`` (:func:`note_write_not_taken`)
and :class:`WriteNotices`, a schema extension, appends the notes to the result's errors once the
execution is over. ``Schema.process_errors`` has run by then (strawberry calls it inside the
execution, before the extensions' ``on_execute`` resumes), so these errors, already in the door's
shape, are never translated again.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from connectors.errors import GatewayError
from graph.context import Info
from graph.errors import extensions, gateway_error
from resolvers.tickets import TicketAnswer
from resolvers.write_report import WRITE_NOT_TAKEN, ticket_ids, untaken_entries, untaken_message


def note_write_not_taken(info: Info, status: int, done: str, answer: TicketAnswer) -> None:
    """When ``answer``'s write did not take whole, note the error to add on this field's path;
    ``done`` is what was done ("Created incident INC0010009"), ``status`` 201 or 200."""
    if not answer.untaken:
        return
    info.context.notices.append(
        GraphQLError(
            untaken_message(done, answer.untaken),
            path=info.path.as_list(),
            extensions=extensions(
                WRITE_NOT_TAKEN,
                status,
                untaken=untaken_entries(answer.untaken),
                ticket=ticket_ids(answer.number, answer.sys_id),
            ),
        )
    )


def note_written(info: Info, error: GatewayError) -> None:
    """A write that reached a ticket and then failed (``error.written``: the read back, a comment
    posted after the ticket call): the mutation answers the ticket's ids as data, so a retry does
    not duplicate it, and this notes ``error`` to add on the field's path."""
    path = info.path.as_list()
    info.context.notices.append(
        gateway_error(error, GraphQLError(error.message, path=path), info.context)
    )


class WriteNotices(SchemaExtension):
    """Appends the request's noted ``WRITE_NOT_TAKEN`` errors to the execution's result."""

    def on_execute(self) -> Iterator[None]:
        yield
        context = self.execution_context
        notices = getattr(context.context, "notices", None)
        result = context.result
        if not notices or result is None:
            return
        result.errors = [*(result.errors or []), *notices]
