"""Who is calling: the identity and roles read from a verified Keycloak access token."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Principal:
    """The caller behind a verified access token.

    Holds only claims, never the token itself, so it can be logged and cached safely.
    ``subject`` and ``username`` may be absent: Keycloak 25+ puts ``sub`` in the ``basic`` client
    scope, and ``preferred_username`` in ``profile``; a client without them gets tokens without.
    """

    subject: str | None
    username: str | None
    client_id: str | None
    realm_roles: frozenset[str]
    client_roles: Mapping[str, frozenset[str]] = field(hash=False)
    expires_at: datetime

    def roles(self) -> frozenset[str]:
        """Every role held, realm roles as they are and client roles as ``client:role``."""
        client = {f"{c}:{r}" for c, roles in self.client_roles.items() for r in roles}
        return self.realm_roles | client

    def has_realm_role(self, role: str) -> bool:
        return role in self.realm_roles

    def has_client_role(self, client: str, role: str) -> bool:
        return role in self.client_roles.get(client, frozenset())

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        """Build from the claims of a token already verified (signature, issuer, audience, time).

        Role claims are read leniently (non-string entries are skipped): the signature already
        vouches that Keycloak wrote them.
        """
        realm_access = claims.get("realm_access")
        realm_roles = _roles(
            realm_access.get("roles") if isinstance(realm_access, Mapping) else None
        )
        resource_access = claims.get("resource_access")
        client_roles: dict[str, frozenset[str]] = {}
        if isinstance(resource_access, Mapping):
            for client, access in resource_access.items():
                if isinstance(client, str) and isinstance(access, Mapping):
                    client_roles[client] = _roles(access.get("roles"))
        return cls(
            subject=_string(claims.get("sub")),
            username=_string(claims.get("preferred_username")),
            client_id=_string(claims.get("azp")),
            realm_roles=realm_roles,
            client_roles=MappingProxyType(client_roles),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _roles(value: object) -> frozenset[str]:
    if not isinstance(value, list):
        return frozenset()
    return frozenset(role for role in value if isinstance(role, str))
