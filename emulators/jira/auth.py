"""Authentication of API calls: Basic ``email:api_token`` and OAuth 2.0 ``Bearer`` tokens.

Jira Cloud refuses a credential it cannot verify with 401, and serves a request without any
credential as the anonymous user, who sees no issue of these projects (so reading one answers 404
"does not exist or you do not have permission to see it").
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from enum import Enum

from emulators.jira.config import JiraConfig, User


class Anonymous(Enum):
    ANONYMOUS = "anonymous"


ANONYMOUS = Anonymous.ANONYMOUS


def authenticate(headers: Mapping[str, str], config: JiraConfig) -> User | Anonymous | None:
    """The user the headers authenticate, ``ANONYMOUS`` without credentials, ``None`` when the
    credential is refused."""
    authorization = headers.get("Authorization", "").strip()
    if not authorization:
        return ANONYMOUS
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    match scheme.lower():
        case "basic":
            return _basic(credential, config)
        case "bearer":
            return next(
                (u for u in config.users if any(_same(credential, t) for t in u.oauth_tokens)),
                None,
            )
        case _:
            return None


def _basic(credential: str, config: JiraConfig) -> User | None:
    try:
        decoded = base64.b64decode(credential, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    email, _, token = decoded.partition(":")
    for user in config.users:
        if user.email.casefold() == email.casefold() and any(
            _same(token, t) for t in user.api_tokens
        ):
            return user
    return None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
