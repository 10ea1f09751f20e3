"""``POST /oauth_token.do``: the instance's OAuth 2.0 token endpoint.

Form-encoded bodies only: a JSON body fails like bad credentials do, which is how instances
answer it (their endpoint never reads JSON). Grants: ``password`` (client_id, client_secret,
username, password), ``client_credentials`` (acts as the client's configured user) and
``refresh_token``. Every grant answers with a refresh token (the notes show one in the
answer; whether ``client_credentials`` gets one on instances is unconfirmed).
Failures are 401 ``{"error_description": "access_denied", "error": "server_error"}``, the
body instances send for any refused token request.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from emulators.servicenow import responses
from emulators.servicenow.auth import IssuedTokens, check_password
from emulators.servicenow.config import OAuthClient
from emulators.servicenow.keys import RECORD_KEY, STATE_KEY
from emulators.servicenow.state import EmulatorState

SCOPE = "useraccount"


async def token(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    if request.content_type != "application/x-www-form-urlencoded":
        return _denied()
    form = await request.post()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    tokens = _grant(state, values)
    if tokens is None:
        return _denied()
    request[RECORD_KEY].account = tokens.user_name
    return responses.json_response(
        {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "scope": SCOPE,
            "token_type": "Bearer",
            "expires_in": tokens.expires_in,
        }
    )


def _grant(state: EmulatorState, form: dict[str, str]) -> IssuedTokens | None:
    client = _client(state, form.get("client_id", ""), form.get("client_secret", ""))
    if client is None:
        return None
    now, lifetime = state.now(), state.config.token_lifetime_s
    match form.get("grant_type"):
        case "password":
            user_name = form.get("username", "")
            if not check_password(state.config, user_name, form.get("password", "")):
                return None
            return state.tokens.issue(user_name, client.client_id, now, lifetime)
        case "client_credentials":
            return state.tokens.issue(client.user_name, client.client_id, now, lifetime)
        case "refresh_token":
            refresh = form.get("refresh_token", "")
            return state.tokens.refresh(refresh, client.client_id, now, lifetime)
        case _:
            return None


def _client(state: EmulatorState, client_id: str, secret: str) -> OAuthClient | None:
    for client in state.config.oauth_clients:
        if client.client_id == client_id and hmac.compare_digest(
            client.client_secret.encode(), secret.encode()
        ):
            return client
    return None


def _denied() -> web.Response:
    return responses.json_response(
        {"error_description": "access_denied", "error": "server_error"}, status=401
    )
