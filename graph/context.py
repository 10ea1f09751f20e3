"""What every GraphQL resolver can reach, built per request by the view."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry
from aiohttp import web
from graphql import GraphQLError

from graph.loaders import TicketLoader
from resolvers.tickets import CallContext, ContextProvider, TicketService


@dataclass
class GraphContext:
    request: web.Request
    response: web.StreamResponse
    service: TicketService
    context_of: ContextProvider[web.Request]
    request_id: str | None
    # Errors to add to the result once it is executed: the writes that did not take whole
    # (graph.write_notices), whose tickets are answered as data.
    notices: list[GraphQLError] = field(default_factory=list)
    # The document's ``ticket`` fields, batched (graph.loaders): made here, per request.
    tickets: TicketLoader = field(init=False)

    def __post_init__(self) -> None:
        self.tickets = TicketLoader(self.service)

    async def call(self, operation: str) -> CallContext:
        return await self.context_of(self.request, operation)


Info = strawberry.Info[GraphContext, None]
