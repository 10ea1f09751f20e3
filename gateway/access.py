"""Who may do what: the read and write roles (docs/security.md#roles), and the per-request
call context.

A role is a realm role (``itsm-reader``) or a client role written ``client:role``. An empty list
means any valid token may perform the operation.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from connectors.errors import Forbidden
from gateway.auth.principal import Principal
from gateway.errors import Unauthenticated
from gateway.request_keys import PRINCIPAL, REQUEST_ID
from resolvers.tickets import CallContext

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


class AccessPolicy:
    def __init__(self, read_roles: Sequence[str], write_roles: Sequence[str]) -> None:
        self._roles = {"read": tuple(read_roles), "write": tuple(write_roles)}

    def check(self, principal: Principal, operation: str) -> None:
        needed = self._roles[operation]
        if not needed or not principal.roles().isdisjoint(needed):
            return
        raise Forbidden(
            f"{operation} needs one of the roles {', '.join(needed)}; "
            f"user {principal.username or principal.subject} has none of them"
        )

    async def context_of(self, request: web.Request, operation: str) -> CallContext:
        principal = request.get(PRINCIPAL)
        if principal is None:  # the authentication middleware runs first; this is a guard
            raise Unauthenticated("missing credentials")
        self.check(principal, operation)
        return CallContext(
            request_id=request.get(REQUEST_ID),
            roles=principal.roles(),
            idempotency_key=request.headers.get(IDEMPOTENCY_KEY_HEADER) or None,
            caller=caller_of(principal),
        )


def caller_of(principal: Principal) -> str:
    """Who the caller is, for what each caller gets its own share of: its user (the token's
    subject, else its user name) and the client it calls through."""
    user = principal.subject or principal.username or "-"
    return f"{user}|{principal.client_id or '-'}"
