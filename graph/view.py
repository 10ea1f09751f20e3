"""The GraphQL view: strawberry's aiohttp view with a typed context, orjson encoding, and the
media types and statuses of GraphQL over HTTP (:mod:`graph.over_http`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeGuard

import orjson
from aiohttp import web
from cross_web import HTTPException
from opentelemetry import trace
from strawberry.aiohttp.views import GraphQLView as StrawberryView
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from connectors.errors import refusal_code
from graph.context import GraphContext
from graph.errors import error_response
from graph.ide import GraphiQLFiles
from graph.limits import DEFAULT_LIMITS, GraphQLLimits
from graph.over_http import (
    GRAPHQL_RESPONSE,
    answer_media_type,
    is_request_error,
    request_error_status,
)
from graph.schema import build_schema
from resolvers.tickets import ContextProvider, TicketService

# The media type a request is answered in, kept on its (sub-)response from the start.
_MEDIA_TYPE = web.ResponseKey("graphql_media_type", str)


class GraphQLView(StrawberryView[GraphContext, None]):
    """``POST /graphql``; by GET, queries (when ``allow_get``) and GraphiQL (when ``graphiql``).

    GraphiQL is strawberry's page with its files served by the gateway (:mod:`graph.ide`), so it
    needs no internet access. Mount the view with :meth:`routes`, which adds those files.

    Production switches: ``graphiql=False`` serves nothing at a bare ``GET /graphql`` nor under
    ``/graphql/assets/`` (404),
    ``allow_get=False`` refuses every GraphQL request by GET (405, ``Allow: POST``),
    ``introspection=False`` refuses ``__schema`` and ``__type`` (GraphiQL needs them).
    """

    def __init__(
        self,
        service: TicketService,
        context_of: ContextProvider[web.Request],
        request_id_of: Callable[[web.Request], str | None],
        *,
        graphiql: bool = True,
        allow_get: bool = True,
        introspection: bool = True,
        limits: GraphQLLimits = DEFAULT_LIMITS,
        tracer: trace.Tracer | None = None,
    ) -> None:
        super().__init__(
            schema=build_schema(limits, introspection=introspection, tracer=tracer),
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=allow_get,  # queries only: strawberry refuses GET mutations
            # No WebSocket transport: the gateway has no subscriptions, and a WebSocket would
            # reach the schema past the HTTP door's authentication (``_refuse_websocket``).
            subscription_protocols=(),
        )
        self._service = service
        self._context_of = context_of
        self._request_id_of = request_id_of
        self._graphiql = GraphiQLFiles.load() if graphiql else None
        self._allow_get = allow_get

    def routes(self) -> list[web.RouteDef]:
        """``/graphql``, and GraphiQL's files when GraphiQL is on (else no route: 404)."""
        graphiql = self._graphiql.routes() if self._graphiql is not None else []
        return [web.route("*", "/graphql", self), *graphiql]

    async def render_graphql_ide(self, request: web.Request) -> web.Response:
        # Strawberry's own page would load React and GraphiQL from a CDN.
        assert self._graphiql is not None  # strawberry asks only when graphql_ide is set
        return self._graphiql.page_response()

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

    async def get_sub_response(self, request: web.Request) -> web.Response:
        response = web.Response()
        response[_MEDIA_TYPE] = answer_media_type(request.headers.get("Accept"))
        return response

    async def process_result(
        self, request: web.Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        answer = await super().process_result(request, result)
        if is_request_error(result):
            # GraphQL over HTTP: ``data`` is there only when execution started.
            answer.pop("data", None)
        return answer

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        media_type = sub_response.get(_MEDIA_TYPE)
        if media_type != GRAPHQL_RESPONSE or isinstance(response_data, list):
            return super().create_response(response_data, sub_response)
        if "data" not in response_data:
            sub_response.set_status(request_error_status(response_data))
        elif sub_response.status in (401, 403):
            # The whole operation refused for the caller's credentials (every root field of an
            # operation needs the same role): a request refused, so no data, as the spec wants
            # for a 4xx.
            response_data = response_data.copy()
            response_data.pop("data", None)
        response = super().create_response(response_data, sub_response)
        response.content_type = GRAPHQL_RESPONSE
        return response

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        media_type = answer_media_type(request.headers.get("Accept"))
        if request.headers.get("Upgrade", "").strip().lower() == "websocket":
            return _refuse_websocket(media_type)
        if request.method == "GET":
            refusal = self._refuse_get(request, media_type)
            if refusal is not None:
                return refusal
        try:
            return await self.run(request=request)
        except HTTPException as error:
            # Strawberry's own refusals (a mutation by GET, an unparsable body) in the same
            # shape as every other GraphQL error, instead of its plain-text default.
            return _refusal(error.status_code, error.reason, media_type)

    def is_websocket_request(self, request: web.Request) -> TypeGuard[web.Request]:
        """Never by the time strawberry asks: ``__call__`` refuses every handshake before
        ``run``. (Strawberry's own answer builds a ``WebSocketResponse`` to ask aiohttp, twice
        per request: about 1.5% of a fetch's CPU.)"""
        return False

    def _refuse_get(self, request: web.Request, media_type: str) -> web.Response | None:
        """What is switched off is refused before strawberry sees the request, so the caller
        learns it is switched off rather than that its request was malformed."""
        if "query" not in request.query:
            if self._graphiql is not None:
                return None
            return _refusal(
                404,
                "GraphiQL is switched off on this gateway; send queries by POST to /graphql",
                media_type,
            )
        if self._allow_get:
            return None
        return _refusal(
            405,
            "GraphQL over GET is switched off on this gateway; send the query by POST "
            "with a JSON body",
            media_type,
            {"Allow": "POST"},
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        # orjson, as the REST door reads; its errors are json.JSONDecodeError, which strawberry
        # answers as a 400.
        return orjson.loads(data)


def _refuse_websocket(media_type: str) -> web.Response:
    """Any WebSocket handshake (graphql-transport-ws, graphql-ws, or none), refused before it is
    accepted: nothing of the schema is reachable but through POST (or GET) with a token."""
    return _refusal(
        400,
        "GraphQL is served over HTTP only (POST, or GET for queries); this gateway offers no "
        "WebSocket transport",
        media_type,
    )


def _refusal(
    status: int, message: str, media_type: str, headers: dict[str, str] | None = None
) -> web.Response:
    return error_response(status, refusal_code(status), message, headers, media_type=media_type)
