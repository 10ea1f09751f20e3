"""The GraphQL door's one error shape: ``extensions.code`` and ``extensions.statusCode``
(docs/contract.md#errors), spelled once in :func:`extensions`; and ``extensions.ticket``
(``{"ticketNumber", "sysId"}``) on an error after a write reached a ticket.

Two ways an error reaches a caller, both in that shape: inside a GraphQL result (translated by
:func:`translate_errors`), or as a whole answer when GraphQL never ran (:func:`error_response`:
the middleware's refusals, the authentication's, the view's own).

A ``GatewayError`` keeps its message (written for the caller, free of secrets); a GraphQL syntax
or validation error is the caller's too (400); anything else is a bug: it is logged once here, with
its traceback, and the caller sees only "Internal error" and the request id to quote.

This runs from ``Schema.process_errors``, the one hook strawberry calls on every path an error can
take: resolver errors, validation errors, and parse errors raised inside the parser cache's hook,
which escape the extensions' ``on_operation``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

import orjson
from aiohttp import web
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from connectors.errors import GatewayError, RateLimited
from connectors.model import WrittenTicket
from graph.enums import AuthType, ItsmType, values_of
from resolvers.trail import current_trail
from resolvers.write_report import written_ids

log = logging.getLogger("itsm_gateway.graphql")


class OptionalReadRefused(GatewayError, status=502, code="OPTIONAL_READ_REFUSED"):
    """One field of an answered ticket that the ITSM refused the gateway's account (ServiceNow's
    ``task_sla``, Jira's SLA read). Raised only on that field's path: the field is null, the rest
    of the ticket is answered (docs/contract.md#errors)."""


def extensions(code: str, status: int, **extra: object) -> dict[str, object]:
    """What every GraphQL error carries besides its message."""
    return {"code": code, "statusCode": status, **extra}


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    written: WrittenTicket | None = None,
    media_type: str = "application/json",
) -> web.Response:
    """A whole answer holding one error, for a request GraphQL did not execute: no ``data``
    key, as GraphQL over HTTP wants; ``media_type`` is the one the request accepts
    (``graph.over_http.answer_media_type``)."""
    payload = {
        "errors": [{"message": message, "extensions": extensions(code, status, **_ticket(written))}]
    }
    return web.Response(
        status=status,
        body=orjson.dumps(payload),
        content_type=media_type,
        headers=headers,
    )


def translate_errors(
    errors: list[GraphQLError], execution_context: ExecutionContext | None
) -> None:
    """Replace each error, in place (the list is the result's), by one the caller may see.

    Bounded, whatever the request: at most ``MAX_ERRORS`` (then one saying how many more) and
    each message cut to ``MAX_MESSAGE``, so that variables full of unknown keys cannot make the
    answer many times the size of the request."""
    context = execution_context.context if execution_context else None
    shown = [_bounded(_translate(error, context)) for error in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        first = shown[-1].extensions or {}
        shown.append(
            GraphQLError(
                f"and {more} more errors like these",
                extensions=extensions(
                    str(first.get("code", "BAD_USER_INPUT")), int(first.get("statusCode", 400))
                ),
            )
        )
    errors[:] = shown


MAX_ERRORS = 20
MAX_MESSAGE = 1000


def _bounded(error: GraphQLError) -> GraphQLError:
    if len(error.message) <= MAX_MESSAGE:
        return error
    error.message = error.message[: MAX_MESSAGE - 3] + "..."
    return error


def _translate(error: GraphQLError, context: object) -> GraphQLError:
    if error.extensions and "code" in error.extensions:
        return error  # already translated
    original = error.original_error
    if isinstance(original, GatewayError):
        return gateway_error(original, error, context)
    if original is None or isinstance(original, GraphQLError):
        # Syntax, validation and variable-coercion errors (graphql-core wraps the coercion's
        # own GraphQLError): the document or its variables are the caller's.
        return _with_code(
            error, _with_enum_values(_without_values(error.message)), "BAD_USER_INPUT", 400
        )
    request_id = getattr(context, "request_id", None) or "unknown"
    log.error("unexpected error in GraphQL resolver (request %s)", request_id, exc_info=original)
    return _with_code(
        error, f"Internal error; quote request id {request_id} to the operators", "INTERNAL", 500
    )


def gateway_error(original: GatewayError, error: GraphQLError, context: object) -> GraphQLError:
    """``original`` in the door's shape, where ``error`` (its nodes and path) stands.

    Also used for an error that is not raised (``graph.write_notices.note_written``): a write
    that reached a ticket and then failed answers the ticket as data and this error beside it."""
    response = getattr(context, "response", None)
    if response is not None:
        # The answer is one HTTP response: it carries the error's headers (Retry-After,
        # WWW-Authenticate), and an authentication or authorisation refusal is its status,
        # as it is when the middleware refuses before GraphQL runs.
        response.headers.update(original.headers)
        if original.status in (401, 403):
            response.set_status(original.status)
    extra: dict[str, object] = _ticket(original.written)
    if isinstance(original, RateLimited) and original.retry_after is not None:
        extra["retryAfter"] = original.retry_after
    return _with_code(error, original.message, original.code, original.status, **extra)


def _ticket(written: WrittenTicket | None) -> dict[str, object]:
    """``{"ticket": {"ticketNumber", "sysId"}}`` when a write reached a ticket before the error
    (``GatewayError.written``), so the caller can fetch it rather than write again; the
    request's log line names that ticket too."""
    ids = written_ids(written)
    if ids is None:
        return {}
    trail = current_trail()
    if trail is not None:
        trail.note_ticket(ids["ticketNumber"])
    return {"ticket": ids}


# graphql-core quotes the offending variable value in coercion errors ("..., found: {...}",
# "String cannot represent a non string value: ..."). A connection input holds passwords, so the
# value is cut: the message still names the variable, the path and the reason.
_QUOTED_VALUE = (
    re.compile(r",? found: .*\Z", re.S),
    re.compile(r"(cannot represent[^:]*): .*\Z", re.S),
)


def _without_values(message: str) -> str:
    for pattern in _QUOTED_VALUE:
        message = pattern.sub(lambda match: match.group(1) if match.groups() else "", message)
    return message


# graphql-core's refusal of an enum value names the enum but not its values.
_NOT_IN_ENUM = re.compile(r"does not exist in '(\w+)' enum\.")
_ENUM_VALUES: dict[str, Sequence[str]] = {
    "ItsmType": values_of(ItsmType),
    "AuthType": values_of(AuthType),
}


def _with_enum_values(message: str) -> str:
    """``... does not exist in 'ItsmType' enum; use one of: jira, rt, servicenow.``"""
    found = _NOT_IN_ENUM.search(message)
    if found is None or found.group(1) not in _ENUM_VALUES:
        return message
    values = ", ".join(_ENUM_VALUES[found.group(1)])
    return message.replace(found.group(0), found.group(0)[:-1] + f"; use one of: {values}.")


def _with_code(
    error: GraphQLError, message: str, code: str, status: int, **extra: object
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions(code, status, **extra),
    )
