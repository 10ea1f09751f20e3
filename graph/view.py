"""The GraphQL view: strawberry's aiohttp view with a typed context and orjson encoding."""

from __future__ import annotations

from collections.abc import Callable

import orjson
from aiohttp import web
from cross_web import HTTPException
from strawberry.aiohttp.views import GraphQLView as StrawberryView

from graph.context import ContextProvider, GraphContext
from graph.schema import build_schema
from resolvers.tickets import TicketService


class GraphQLView(StrawberryView):
    def __init__(
        self,
        service: TicketService,
        context_of: ContextProvider,
        request_id_of: Callable[[web.Request], str | None],
        *,
        graphiql: bool = True,
    ) -> None:
        super().__init__(
            schema=build_schema(),
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,  # queries only: strawberry refuses GET mutations
        )
        self._service = service
        self._context_of = context_of
        self._request_id_of = request_id_of

    async def get_context(
        self, request: web.Request, response: web.Response | web.WebSocketResponse
    ) -> GraphContext:
        return GraphContext(
            request=request,
            response=response,
            service=self._service,
            context_of=self._context_of,
            request_id=self._request_id_of(request),
        )

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.run(request=request)
        except HTTPException as error:
            # Strawberry's own refusals (a mutation by GET, an unparsable body) in the same
            # shape as every other GraphQL error, instead of its plain-text default.
            payload = {
                "errors": [
                    {
                        "message": error.reason,
                        "extensions": {
                            "code": "BAD_USER_INPUT",
                            "statusCode": error.status_code,
                        },
                    }
                ]
            }
            return web.Response(
                status=error.status_code,
                body=orjson.dumps(payload),
                content_type="application/json",
            )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
