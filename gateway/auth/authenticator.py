"""One credential per request (docs/security.md#authentication): an access token, or an
offline token.

- ``Authorization: Bearer <token>``: an access token, verified locally; or an offline token,
  recognised by its ``typ`` ``Offline`` and exchanged;
- ``X-Offline-Token: <token>``: an offline token, exchanged. It is read only when there is no
  ``Authorization`` header, so a caller that sends both is judged by its access token.
"""

from __future__ import annotations

from gateway.auth.access_tokens import AccessTokenVerifier
from gateway.auth.credentials import bearer_token, unverified_claims
from gateway.auth.offline_tokens import OFFLINE, OfflineTokenExchanger
from gateway.auth.principal import Principal
from gateway.errors import Unauthenticated

OFFLINE_TOKEN_HEADER = "X-Offline-Token"  # noqa: S105 - a header name


class Authenticator:
    def __init__(self, verifier: AccessTokenVerifier, exchanger: OfflineTokenExchanger) -> None:
        self._verifier = verifier
        self._exchanger = exchanger

    async def authenticate(self, authorization: str | None, offline_token: str | None) -> Principal:
        if authorization is not None:
            token = bearer_token(authorization)
            known = self._verifier.cached(token)
            if known is not None:  # the common case: a token seen before, no parsing at all
                return known
            claims = unverified_claims(token)
            if claims is not None and claims.get("typ") == OFFLINE:
                return await self._exchanger.principal_for(token)
            return await self._verifier.verify(token)
        if offline_token is not None and offline_token.strip():
            return await self._exchanger.principal_for(offline_token.strip())
        raise Unauthenticated(
            "missing credentials: send 'Authorization: Bearer <access token>' or "
            f"'{OFFLINE_TOKEN_HEADER}: <offline token>'"
        )
