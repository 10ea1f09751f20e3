"""What every GraphQL resolver can reach, built per request by the view."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import strawberry
from aiohttp import web

from resolvers.tickets import CallContext, TicketService

# Given by the app: checks the caller may perform the operation ("read" or "write") and returns
# what the use cases pass on to the ITSM.
ContextProvider = Callable[[web.Request, str], Awaitable[CallContext]]


@dataclass
class GraphContext:
    request: web.Request
    response: web.StreamResponse
    service: TicketService
    context_of: ContextProvider
    request_id: str | None

    async def call(self, operation: str) -> CallContext:
        return await self.context_of(self.request, operation)


Info = strawberry.Info[GraphContext, None]
