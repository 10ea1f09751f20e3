"""GraphQL errors with ``extensions.code`` and ``extensions.statusCode`` (SPEC section 6).

A ``GatewayError`` keeps its message (written for the caller, free of secrets); a GraphQL syntax
or validation error is the caller's too (400); anything else is a bug: it is logged once here, with
its traceback, and the caller sees only "Internal error" and the request id to quote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from connectors.errors import GatewayError, RateLimited

log = logging.getLogger("itsm_gateway.graphql")


class GatewayErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        result.errors = [self._translate(error) for error in result.errors]

    def _translate(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, GatewayError):
            extensions: dict[str, object] = {}
            if isinstance(original, RateLimited) and original.retry_after is not None:
                # REST sends Retry-After as a header; GraphQL says it in the error and, since
                # the answer is one HTTP response, in the same header too.
                extensions["retryAfter"] = original.retry_after
                response = getattr(self.execution_context.context, "response", None)
                if response is not None:
                    response.headers["Retry-After"] = str(original.retry_after)
            return _with_code(error, original.message, original.code, original.status, **extensions)
        if original is None:
            # Syntax, validation and variable-coercion errors: the document is the caller's.
            return _with_code(error, error.message, "BAD_USER_INPUT", 400)
        request_id = getattr(self.execution_context.context, "request_id", None) or "unknown"
        log.error(
            "unexpected error in GraphQL resolver (request %s)",
            request_id,
            exc_info=original,
        )
        return _with_code(
            error,
            f"Internal error; quote request id {request_id} to the operators",
            "INTERNAL",
            500,
        )


def _with_code(
    error: GraphQLError, message: str, code: str, status: int, **extra: object
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": code, "statusCode": status, **extra},
    )
