"""Reading the credential a request carries."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from gateway.errors import Unauthenticated

_WHITESPACE = re.compile(r"\s")


def bearer_token(authorization_header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive, RFC 7235).

    Messages never quote the header: a caller who forgot the scheme sent the token as its first
    word.
    """
    if authorization_header is None or not authorization_header.strip():
        raise Unauthenticated(
            "missing Authorization header: send 'Authorization: Bearer <access token>'"
        )
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthenticated("Authorization header must use the Bearer scheme")
    token = token.strip()
    if not token:
        raise Unauthenticated(
            "Authorization header has no token after 'Bearer': "
            "send 'Authorization: Bearer <access token>'"
        )
    if _WHITESPACE.search(token):
        raise Unauthenticated("Authorization header must hold exactly one token after 'Bearer'")
    return token


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT, read WITHOUT checking its signature, or ``None`` if it is not one.

    Only for routing: telling an offline token (``typ`` ``Offline``, which the gateway cannot
    verify and must exchange) from an access token. Nothing read here is trusted.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


def unverified_header(token: str) -> dict[str, Any] | None:
    """The JOSE header of a JWT, read WITHOUT checking anything, or ``None`` if there is none."""
    head = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, TypeError):
        return None
    return header if isinstance(header, dict) else None
