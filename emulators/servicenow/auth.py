"""Authentication of Table API calls: Basic, OAuth bearer tokens and ``x-sn-apikey``.

Every way of authenticating resolves to the ``user_name`` of an ``Account``; that is the user
writes are attributed to (``sys_created_by``, journal authors, ``resolved_by``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from emulators.servicenow.config import EmulatorConfig

# Instances default the refresh token lifespan to 100 days.
REFRESH_TOKEN_LIFETIME = timedelta(days=100)


@dataclass(frozen=True)
class Grant:
    user_name: str
    client_id: str
    expires_at: datetime


@dataclass(frozen=True)
class IssuedTokens:
    user_name: str
    access_token: str
    refresh_token: str
    expires_in: int


class TokenStore:
    """Issued access and refresh tokens. Tokens are opaque random strings, like an instance's."""

    def __init__(self) -> None:
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}

    def issue(self, user_name: str, client_id: str, now: datetime, lifetime_s: int) -> IssuedTokens:
        refresh = secrets.token_urlsafe(64)
        self._refresh[refresh] = Grant(user_name, client_id, now + REFRESH_TOKEN_LIFETIME)
        return self._issue_access(user_name, client_id, refresh, now, lifetime_s)

    def refresh(
        self, refresh_token: str, client_id: str, now: datetime, lifetime_s: int
    ) -> IssuedTokens | None:
        """A new access token for a live refresh token of that client; the refresh token
        itself is returned unchanged (an instance keeps it until its own expiry)."""
        grant = self._refresh.get(refresh_token)
        if grant is None or grant.client_id != client_id or grant.expires_at <= now:
            return None
        return self._issue_access(grant.user_name, client_id, refresh_token, now, lifetime_s)

    def user_for(self, access_token: str, now: datetime) -> str | None:
        grant = self._access.get(access_token)
        if grant is None or grant.expires_at <= now:
            return None
        return grant.user_name

    def _issue_access(
        self, user_name: str, client_id: str, refresh: str, now: datetime, lifetime_s: int
    ) -> IssuedTokens:
        access = secrets.token_urlsafe(64)
        self._access[access] = Grant(user_name, client_id, now + timedelta(seconds=lifetime_s))
        return IssuedTokens(user_name, access, refresh, lifetime_s)


def authenticate(
    headers: Mapping[str, str], config: EmulatorConfig, tokens: TokenStore, now: datetime
) -> str | None:
    """The ``user_name`` these request headers authenticate, or ``None``.

    An ``Authorization`` header wins; the API key is only looked at without one.
    """
    authorization = headers.get("Authorization", "").strip()
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        match scheme.lower():
            case "basic":
                return _basic_user(credentials.strip(), config)
            case "bearer":
                return tokens.user_for(credentials.strip(), now)
            case _:
                return None
    api_key = headers.get("x-sn-apikey", "")
    if api_key:
        for account in config.accounts:
            if any(hmac.compare_digest(api_key.encode(), k.encode()) for k in account.api_keys):
                return account.user_name
    return None


def check_password(config: EmulatorConfig, user_name: str, password: str) -> bool:
    account = config.account(user_name)
    return (
        account is not None
        and account.password is not None
        and hmac.compare_digest(account.password.encode(), password.encode())
    )


def _basic_user(credentials: str, config: EmulatorConfig) -> str | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user_name, _, password = decoded.partition(":")
    return user_name if check_password(config, user_name, password) else None
