"""The per-request ``ticket`` loader: the ``ticket(number:)`` fields of one GraphQL document on
one connection become one batch (strawberry's ``DataLoader``), which ``TicketService.fetch_many``
answers with one search where the tool can search (one row call, one journal call, one SLA
call), else with one fetch each (issue 14, item 7).

Made per request in ``GraphContext`` (never at module level): a batch never mixes callers, and
nothing is cached past the request (``cache=False``: a number asked twice in one document is
still one batch entry per field, searched once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace

from strawberry.dataloader import DataLoader

from connectors.errors import GatewayError
from resolvers.connections import ConnectionDetails
from resolvers.field_sets import parse_ticket_fields
from resolvers.tickets import CallContext, TicketAnswer, TicketService


@dataclass(frozen=True, slots=True)
class TicketKey:
    """One ``ticket`` field: its number and selection, and what it shares with the others of
    its batch (connection, zone, the caller's call context)."""

    number: str
    fields: tuple[str, ...]
    connection: ConnectionDetails
    zone: str | None
    call: CallContext


class TicketLoader:
    def __init__(self, service: TicketService) -> None:
        self._service = service
        self._loader: DataLoader[TicketKey, TicketAnswer] = DataLoader(self._load, cache=False)

    async def load(self, key: TicketKey) -> TicketAnswer:
        """The ticket, or its own error raised (only this field fails)."""
        return await self._loader.load(key)

    async def _load(self, keys: list[TicketKey]) -> Sequence[TicketAnswer | BaseException]:
        groups: dict[tuple[ConnectionDetails, str | None, CallContext], list[int]] = {}
        for index, key in enumerate(keys):
            groups.setdefault((key.connection, key.zone, key.call), []).append(index)
        answers: dict[int, TicketAnswer | BaseException] = {}

        async def fetch(indexes: list[int]) -> None:
            first = keys[indexes[0]]
            # Each field's selection, read together: the union for the batch.
            union = sorted({name for i in indexes for name in keys[i].fields})
            found = await self._service.fetch_many(
                numbers=[keys[i].number for i in indexes],
                connection=first.connection,
                fields=union,
                zone=first.zone,
                context=first.call,
            )
            for index, answer in zip(indexes, found, strict=True):
                answers[index] = (
                    answer
                    if isinstance(answer, GatewayError)
                    else replace(answer, fields=parse_ticket_fields(keys[index].fields))
                )

        results = await asyncio.gather(
            *(fetch(indexes) for indexes in groups.values()), return_exceptions=True
        )
        for indexes, result in zip(groups.values(), results, strict=True):
            if isinstance(result, BaseException):
                for index in indexes:
                    answers[index] = result
        return [answers[index] for index in range(len(keys))]
