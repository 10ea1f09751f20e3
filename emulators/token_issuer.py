"""A development token issuer standing in for a SmartOps Keycloak realm.

It serves what the gateway reads from Keycloak (the discovery document and the JWKS, with an
encryption key beside the signing keys, as Keycloak publishes) and mints Keycloak-shaped access
tokens, so the demo and the tests exercise the real verification path. The token endpoint accepts
any client and any username: it is for the demo, never for production.

Product code never imports this module, except the demo command.

    issuer = TokenIssuer()
    runner = await serve(issuer)            # binds issuer.issuer to the port it listens on
    token = issuer.mint("alice", roles=["itsm-read"])
    ...
    await runner.cleanup()
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import Key, OctKey, RSAKey

SIGNING_ALGORITHM = "RS256"
DEFAULT_SCOPE = "openid profile email"
# Keycloak's default client for tokens requested without one, and for the demo's callers.
DEFAULT_CLIENT_ID = "smartops"


@dataclass
class OfflineSession:
    """One user's offline session with one client, as Keycloak keeps it server-side."""

    username: str
    client_id: str
    roles: tuple[str, ...]
    client_roles: Mapping[str, Sequence[str]]
    revoked: bool = False
    used: set[str] = field(default_factory=set)  # tokens already exchanged once


class TokenIssuer:
    """Signing keys and token minting for one realm; ``issuer`` is known once served.

    Offline tokens behave as Keycloak's do at the token endpoint (``grant_type=refresh_token``):
    exchanged only by the client they were issued to (with its secret when ``clients`` names
    one), rotated on every exchange, refused once revoked, and, with ``revoke_refresh_token``
    on, each usable once.
    """

    def __init__(
        self,
        realm: str = "smartops",
        audience: str = "itsm-gateway",
        *,
        endpoint_realm_roles: Sequence[str] = (),
        endpoint_client_roles: Sequence[str] = (),
    ) -> None:
        self.realm = realm
        self.audience = audience
        # Roles given to tokens from the token endpoint (realm roles, and client roles of the
        # audience), so the demo's callers pass the gateway's role checks.
        self.endpoint_realm_roles = tuple(endpoint_realm_roles)
        self.endpoint_client_roles = tuple(endpoint_client_roles)
        self._issuer: str | None = None  # bind() sets it
        self.clock: Callable[[], float] = time.time  # epoch seconds; tests may move it
        # Confidential clients' secrets; a client not named here is public.
        self.clients: dict[str, str] = {}
        self.revoke_refresh_token = False
        self.access_token_lifetime = 300
        self.refresh_exchanges = 0
        # When set, exchanges wait for it: lets a test pile up concurrent requests.
        self.hold_exchanges: asyncio.Event | None = None
        self._offline: dict[str, OfflineSession] = {}
        # Keycloak signs offline tokens HS512 with a realm secret it never publishes.
        self._offline_key = OctKey.generate_key(512)
        self.jwks_fetches = 0
        self.discovery_fetches = 0
        self._signing_key = _new_signing_key()
        self._published: list[Key] = [self._signing_key]
        # Keycloak's JWKS lists an RSA-OAEP key for encryption; verifiers must skip it.
        self._encryption_key = RSAKey.generate_key(
            2048, parameters={"use": "enc", "alg": "RSA-OAEP"}, auto_kid=True
        )

    def bind(self, base_url: str) -> str:
        """Fix the issuer to ``<base_url>/realms/<realm>``, as Keycloak derives it from its URL."""
        self._issuer = f"{base_url.rstrip('/')}/realms/{self.realm}"
        return self._issuer

    @property
    def issuer(self) -> str:
        """``<base_url>/realms/<realm>``; reading it before ``bind()`` is a mistake, and raises."""
        if self._issuer is None:
            raise RuntimeError("bind() the issuer to its URL (serve() does) before using it")
        return self._issuer

    @property
    def signing_key(self) -> Key:
        """The current signing key (private): tokens minted without ``key`` use it."""
        return self._signing_key

    @property
    def published_kids(self) -> list[str]:
        return [key.kid for key in self._published if key.kid is not None]

    def rotate_key(self, keep_old: bool = True) -> Key:
        """Make a new signing key current; the old one stays published unless ``keep_old`` is
        False (Keycloak keeps a rotated key "passive" until its tokens have expired)."""
        self._signing_key = _new_signing_key()
        if keep_old:
            self._published.append(self._signing_key)
        else:
            self._published = [self._signing_key]
        return self._signing_key

    def jwks(self) -> dict[str, Any]:
        """The public keys, as ``/protocol/openid-connect/certs`` answers."""
        keys = [key.as_dict(private=False) for key in self._published]
        keys.append(self._encryption_key.as_dict(private=False))
        return {"keys": keys}

    def mint(
        self,
        username: str = "smartops.operator",
        *,
        roles: Sequence[str] = (),
        client_roles: Mapping[str, Sequence[str]] | None = None,
        audience: str | Sequence[str] | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        lifetime: float = 300,
        issued_at: float | None = None,
        typ: str = "Bearer",
        not_before: float | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        key: Key | None = None,
    ) -> str:
        """A signed access token shaped like Keycloak's.

        - ``audience``: by default this issuer's audience; a sequence gives a list (Keycloak's
          shape when several clients are audiences).
        - ``lifetime`` counts from ``issued_at`` (default now); a negative one gives an expired
          token.
        - ``extra_claims`` are merged last; a value of None removes that claim (``exp``, ``aud``).
        - ``headers`` are merged into the JWS header (``{"kid": "unknown"}``); None removes one.
        - ``key`` signs instead of the current key (e.g. a key never published); its ``kid``
          goes in the header.
        """
        if self._issuer is None:
            raise RuntimeError("bind() the issuer to its URL (serve() does) before minting")
        signing_key = key if key is not None else self._signing_key
        now = self.clock() if issued_at is None else issued_at
        claims: dict[str, Any] = {
            "exp": int(now + lifetime),
            "iat": int(now),
            "jti": str(uuid.uuid4()),
            "iss": self.issuer,
            "sub": _subject(self.realm, username),
            "typ": typ,
            "azp": client_id,
            "sid": str(uuid.uuid4()),
            "realm_access": {"roles": list(roles)},
            "resource_access": {
                client: {"roles": list(client_roles_)}
                for client, client_roles_ in (client_roles or {}).items()
            },
            "scope": DEFAULT_SCOPE,
            "email_verified": True,
            "preferred_username": username,
        }
        if audience is None:
            claims["aud"] = self.audience
        elif isinstance(audience, str):
            claims["aud"] = audience
        else:
            claims["aud"] = list(audience)
        if not_before is not None:
            claims["nbf"] = int(not_before)
        for name, value in (extra_claims or {}).items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        header: dict[str, Any] = {"alg": SIGNING_ALGORITHM, "typ": "JWT"}
        if signing_key.kid is not None:
            header["kid"] = signing_key.kid
        for name, value in (headers or {}).items():
            if value is None:
                header.pop(name, None)
            else:
                header[name] = value
        return jwt.encode(header, claims, signing_key, algorithms=[header["alg"]])

    def mint_offline(
        self,
        username: str = "smartops.operator",
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        roles: Sequence[str] = (),
        client_roles: Mapping[str, Sequence[str]] | None = None,
    ) -> str:
        """An offline token shaped like Keycloak's: typ Offline, no exp, aud the issuer.

        Signed HS512 with a secret never published, as Keycloak's are: nobody but this issuer
        can verify one.
        """
        session = OfflineSession(username, client_id, tuple(roles), dict(client_roles or {}))
        return self._offline_token(session)

    def revoke_offline(self, token: str) -> None:
        """What ``/protocol/openid-connect/revoke`` does: the whole offline session ends."""
        self._offline[token].revoked = True

    def _offline_token(self, session: OfflineSession) -> str:
        token = self.mint(
            session.username,
            client_id=session.client_id,
            typ="Offline",
            audience=self.issuer,
            extra_claims={"exp": None, "scope": "openid offline_access"},
            headers={"alg": "HS512"},
            key=self._offline_key,
        )
        self._offline[token] = session
        return token

    def exchange_offline(
        self, token: str, client_id: str, secret: str | None
    ) -> tuple[int, dict[str, Any]]:
        """The token endpoint's answer to ``grant_type=refresh_token``: (status, body)."""
        session = self._offline.get(token)
        if session is None or session.revoked:
            return 400, _error_body("invalid_grant", "Offline user session not found")
        if client_id != session.client_id:
            return 400, _error_body(
                "invalid_grant", "Token client and authorized client don't match"
            )
        expected = self.clients.get(client_id)
        if expected is not None and secret != expected:
            return 401, _error_body(
                "unauthorized_client", "Invalid client or Invalid client credentials"
            )
        if self.revoke_refresh_token and token in session.used:
            return 400, _error_body("invalid_grant", "Maximum allowed refresh token reuse exceeded")
        session.used.add(token)
        access = self.mint(
            session.username,
            roles=session.roles,
            client_roles=session.client_roles,
            client_id=session.client_id,
            lifetime=self.access_token_lifetime,
        )
        return 200, {
            "access_token": access,
            "expires_in": self.access_token_lifetime,
            "refresh_expires_in": 0,
            "refresh_token": self._offline_token(session),
            "token_type": "Bearer",
            "scope": "openid offline_access",
        }

    def discovery_document(self) -> dict[str, Any]:
        endpoints = f"{self.issuer}/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{endpoints}/certs",
            "token_endpoint": f"{endpoints}/token",
            "grant_types_supported": ["client_credentials", "password", "refresh_token"],
            "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
        }


ISSUER = web.AppKey("token_issuer", TokenIssuer)


def create_app(issuer: TokenIssuer) -> web.Application:
    """The realm's endpoints: discovery, JWKS (``certs``) and the token endpoint."""
    app = web.Application()
    app[ISSUER] = issuer
    realm = f"/realms/{issuer.realm}"
    app.router.add_get(f"{realm}/.well-known/openid-configuration", _discovery)
    app.router.add_get(f"{realm}/protocol/openid-connect/certs", _certs)
    app.router.add_post(f"{realm}/protocol/openid-connect/token", _token)
    return app


async def serve(issuer: TokenIssuer, host: str = "127.0.0.1", port: int = 0) -> web.AppRunner:
    """Start the issuer's app and bind ``issuer`` to the address it listens on.

    Port 0 picks a free port. Stop it with ``await runner.cleanup()``.
    """
    runner = web.AppRunner(create_app(issuer))
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    issuer.bind(f"http://{bound_host}:{bound_port}")
    return runner


async def _discovery(request: web.Request) -> web.Response:
    issuer = request.app[ISSUER]
    issuer.discovery_fetches += 1
    return web.json_response(issuer.discovery_document())


async def _certs(request: web.Request) -> web.Response:
    issuer = request.app[ISSUER]
    issuer.jwks_fetches += 1
    return web.json_response(issuer.jwks())


async def _token(request: web.Request) -> web.Response:
    issuer = request.app[ISSUER]
    form = await request.post()
    grant_type = form.get("grant_type")
    client_id = form.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        client_id = DEFAULT_CLIENT_ID
    if grant_type == "client_credentials":
        # Keycloak names a client's service account this way.
        username = f"service-account-{client_id}"
    elif grant_type == "refresh_token":
        issuer.refresh_exchanges += 1
        if issuer.hold_exchanges is not None:
            await issuer.hold_exchanges.wait()
        refresh_token, secret = form.get("refresh_token"), form.get("client_secret")
        status, body = issuer.exchange_offline(
            refresh_token if isinstance(refresh_token, str) else "",
            client_id,
            secret if isinstance(secret, str) else None,
        )
        return web.json_response(body, status=status)
    elif grant_type == "password":
        given = form.get("username")
        if not isinstance(given, str) or not given:
            return _oauth_error("invalid_request", "Missing parameter: username")
        username = given
    else:
        return _oauth_error("unsupported_grant_type", "Unsupported grant_type")
    lifetime = 300
    token = issuer.mint(
        username,
        roles=issuer.endpoint_realm_roles,
        client_roles={issuer.audience: issuer.endpoint_client_roles},
        client_id=client_id,
        lifetime=lifetime,
    )
    return web.json_response(
        {
            "access_token": token,
            "expires_in": lifetime,
            "token_type": "Bearer",
            "scope": DEFAULT_SCOPE,
        }
    )


def _error_body(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


def _oauth_error(error: str, description: str) -> web.Response:
    return web.json_response(_error_body(error, description), status=400)


def _new_signing_key() -> Key:
    return RSAKey.generate_key(
        2048, parameters={"use": "sig", "alg": SIGNING_ALGORITHM}, auto_kid=True
    )


def _subject(realm: str, username: str) -> str:
    """A stable user id per realm and username, like Keycloak's user UUIDs."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"keycloak:{realm}:{username}"))
