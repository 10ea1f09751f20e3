"""Errors named after their meaning: the ones the port raises (connectors, and the use cases in
``resolvers/`` that call them). Each carries the HTTP status both doors answer with and the
GraphQL ``extensions.code``; the doors translate, nothing else inspects them.

    GatewayError          500 INTERNAL          base; never raised as such
     ├── BadInput          400 BAD_USER_INPUT    the caller can fix the request; nothing written
     ├── Forbidden         403 FORBIDDEN         the caller lacks a role (a connection profile's,
     │                                           or the door's read/write roles); WWW-Authenticate:
     │                                           Bearer error="insufficient_scope"
     ├── TicketNotFound    404 NOT_FOUND         no record with that number or id
     ├── Conflict          409 CONFLICT          the number matches several records, or an
     │                                           idempotency key was reused for another request
     ├── RateLimited       429 RATE_LIMITED      the ITSM's rate limit; Retry-After when it said
     ├── ItsmError         502 ITSM_ERROR        the ITSM refused the gateway's credentials,
     │                                           answered 5xx or non-JSON, applied a data policy
     ├── Unavailable       503 UNAVAILABLE       Keycloak, the ITSM or the idempotency store
     │                                           cannot be reached (or the breaker is open)
     └── ItsmTimeout       504 ITSM_TIMEOUT      no answer within the timeout or the deadline

The gateway adds its own (``gateway.errors``: ``Unauthenticated`` 401, ``PayloadTooLarge`` 413).
Subclasses elsewhere refine a meaning and keep its status and code (a vendor's
``connectors.servicenow.answers.AccessDenied`` is an ``ItsmError``). Any other exception is a bug:
logged once, and answered 500 ``INTERNAL`` with the request id to quote.

How each door renders any of them:

- REST (``rest_compat.errors``): HTTP ``status``, body ``{"statusCode": "<status>",
  "statusMessage": <message>, "ticketDetails": {}}``, the error's ``headers``.
- GraphQL (``graph.errors``): an entry of ``errors`` with ``message`` and ``extensions``
  ``{"code": <code>, "statusCode": <status>}`` (``retryAfter`` too for ``RateLimited``); a 401
  or 403 is also the answer's HTTP status; the ``headers`` go with the answer.

``outcome_unknown`` (any error, usually ``ItsmError``, ``Unavailable`` or ``ItsmTimeout``) marks
a write that may have been applied although no answer said so.

Messages are written for the caller: they name the field and say how to fix it, and never carry
a secret (connectors scrub ITSM answers before quoting them).
"""

from __future__ import annotations

from typing import ClassVar

from connectors.model import WrittenTicket


class GatewayError(Exception):
    """An error a caller may see. Each subclass names its ``status`` and ``code`` in its bases:
    ``class TicketNotFound(GatewayError, status=404, code="NOT_FOUND")``."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL"
    # True when a write was sent and no definite answer came back (a timeout after sending, a
    # dropped connection, a 5xx): the ITSM may have applied it. Retrying such a write could
    # apply it twice, so retries and idempotency keys treat it apart.
    outcome_unknown: bool = False
    # The ticket a write created or changed before this error, when known: both doors answer its
    # number and sysId in machine-readable form (REST ``ticketDetails``, GraphQL
    # ``extensions.ticket``), so the caller can fetch it instead of writing again.
    written: WrittenTicket | None = None

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None) -> None:
        super().__init_subclass__()
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = headers or {}


class BadInput(GatewayError, status=400, code="BAD_USER_INPUT"):
    """The request is wrong and can be fixed by the caller; nothing was written."""


class Forbidden(GatewayError, status=403, code="FORBIDDEN"):
    """The caller lacks a role. Here, not in ``gateway.errors``: a use case refuses a connection
    profile kept for other roles, and use cases may not import the gateway."""

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})


class TicketNotFound(GatewayError, status=404, code="NOT_FOUND"):
    """No record with that number or id in the ITSM (in the table or project asked)."""


class Conflict(GatewayError, status=409, code="CONFLICT"):
    """The number matches more than one record, or an idempotency key was reused."""


class RateLimited(GatewayError, status=429, code="RATE_LIMITED"):
    """The ITSM's rate limit; ``retry_after`` seconds when the ITSM said."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(
            message, headers={"Retry-After": str(retry_after)} if retry_after is not None else None
        )
        self.retry_after = retry_after


class ItsmError(GatewayError, status=502, code="ITSM_ERROR"):
    """The ITSM failed: refused the gateway's credentials, 5xx, non-JSON, a data policy."""


class Unavailable(GatewayError, status=503, code="UNAVAILABLE"):
    """Keycloak or the ITSM could not be reached and there is nothing to fall back on."""


class ItsmTimeout(GatewayError, status=504, code="ITSM_TIMEOUT"):
    """No answer within the read timeout, or the request's deadline passed."""


def refusal_code(status: int) -> str:
    """The code of a refusal that is no ``GatewayError``: the web server's or GraphQL server's
    own (no such path, wrong method, unreadable request)."""
    return "NOT_FOUND" if status == 404 else "BAD_USER_INPUT"
