"""SmartOps Keycloak authentication: access tokens verified locally against the realm's JWKS.

- :mod:`gateway.auth.credentials`: the bearer token of a request;
- :mod:`gateway.auth.jwks`: the realm's signing keys, cached, refetched on an unknown ``kid``;
- :mod:`gateway.auth.access_tokens`: the checks, and the cache of verified tokens;
- :mod:`gateway.auth.principal`: who is calling, with which roles.
"""

from gateway.auth.access_tokens import DEFAULT_ALGORITHMS, AccessTokenVerifier
from gateway.auth.credentials import bearer_token
from gateway.auth.jwks import JwksCache
from gateway.auth.principal import Principal

__all__ = [
    "DEFAULT_ALGORITHMS",
    "AccessTokenVerifier",
    "JwksCache",
    "Principal",
    "bearer_token",
]
