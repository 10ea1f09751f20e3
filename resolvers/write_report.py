"""How a write that did not take whole, and an error after a write, are told: the pieces both
doors answer with, spelled once (docs/contract.md#writes-that-did-not-take).

- :func:`untaken_message`: the sentence REST's ``statusMessage`` and GraphQL's
  ``WRITE_NOT_TAKEN`` error both say ("Created incident INC0010009, but 2 values did not take:
  ...; correct them with an update").
- :func:`untaken_entries`: each value that did not take as ``{"field", "sent", "held",
  "reason"}`` (GraphQL's ``extensions.untaken``; the idempotency store keeps the same).
- :func:`ticket_ids`: ``{"ticketNumber", "sysId"}``, the ticket a write reached, in REST's
  ``ticketDetails`` of an error and GraphQL's ``extensions.ticket``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from connectors.model import UntakenValue, WrittenTicket

# The GraphQL ``extensions.code`` of a write that did not take whole.
WRITE_NOT_TAKEN = "WRITE_NOT_TAKEN"


def untaken_message(done: str, untaken: Sequence[UntakenValue]) -> str:
    """``done`` ("Created incident INC0010009"), and, when some values did not take, each of
    them with what the ITSM holds instead, and what to do."""
    if not untaken:
        return done
    count = "1 value" if len(untaken) == 1 else f"{len(untaken)} values"
    named = ", ".join(value.describe() for value in untaken)
    fix = "correct it with an update" if len(untaken) == 1 else "correct them with an update"
    return f"{done}, but {count} did not take: {named}; {fix}"


def untaken_entries(untaken: Iterable[UntakenValue]) -> list[dict[str, str]]:
    return [
        {"field": value.field, "sent": value.sent, "held": value.held, "reason": value.reason}
        for value in untaken
    ]


def untaken_from_entries(entries: Iterable[Mapping[str, object]]) -> tuple[UntakenValue, ...]:
    """The inverse of :func:`untaken_entries` (for what the idempotency store kept)."""
    return tuple(
        UntakenValue(
            field=str(entry.get("field", "")),
            sent=str(entry.get("sent", "")),
            held=str(entry.get("held", "")),
            reason=str(entry.get("reason", "")),
        )
        for entry in entries
    )


def ticket_ids(number: str, sys_id: str) -> dict[str, str]:
    return {"ticketNumber": number, "sysId": sys_id}


def written_ids(written: WrittenTicket | None) -> dict[str, str] | None:
    """The ticket an error's write reached (``GatewayError.written``), or ``None``."""
    return None if written is None else ticket_ids(written.number, written.sys_id)
