"""Errors named after their meaning. Each carries the HTTP status both doors answer with and the
GraphQL ``extensions.code``; the doors translate, nothing else inspects them.

Messages are written for the caller: they name the field and say how to fix it, and never carry
a secret (connectors scrub ITSM answers before quoting them).
"""

from __future__ import annotations


class GatewayError(Exception):
    status: int = 500
    code: str = "INTERNAL"
    # True when a write was sent and no definite answer came back (a timeout after sending, a
    # dropped connection, a 5xx): the ITSM may have applied it. Retrying such a write could
    # apply it twice, so retries and idempotency keys treat it apart.
    outcome_unknown: bool = False

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = headers or {}


class BadInput(GatewayError):
    """The request is wrong and can be fixed by the caller; nothing was written."""

    status = 400
    code = "BAD_USER_INPUT"


class PayloadTooLarge(GatewayError):
    status = 413
    code = "BAD_USER_INPUT"


class Unauthenticated(GatewayError):
    status = 401
    code = "UNAUTHENTICATED"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Forbidden(GatewayError):
    status = 403
    code = "FORBIDDEN"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})


class TicketNotFound(GatewayError):
    status = 404
    code = "NOT_FOUND"


class Conflict(GatewayError):
    """The number matches more than one record, or an idempotency key was reused."""

    status = 409
    code = "CONFLICT"


class RateLimited(GatewayError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(
            message, headers={"Retry-After": str(retry_after)} if retry_after is not None else None
        )
        self.retry_after = retry_after


class ItsmError(GatewayError):
    """The ITSM failed: refused the gateway's credentials, 5xx, non-JSON, a data policy."""

    status = 502
    code = "ITSM_ERROR"


class Unavailable(GatewayError):
    """Keycloak or the ITSM could not be reached and there is nothing to fall back on."""

    status = 503
    code = "UNAVAILABLE"


class ItsmTimeout(GatewayError):
    status = 504
    code = "ITSM_TIMEOUT"
