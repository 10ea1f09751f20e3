"""Settings: the one place the environment is read.

Every setting is an environment variable ``ITSM_GATEWAY_<NAME>``; an optional TOML file named by
``ITSM_GATEWAY_SETTINGS_FILE`` gives defaults under the same names in lower case (``port = 8080``),
and the environment overrides it. Errors name the variable and say what is wrong.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from resolvers.url_policy import DEFAULT_ALLOWED_URLS, UrlPolicy

PREFIX = "ITSM_GATEWAY_"


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[tuple[str, ...], BeforeValidator(_split_list)]


class SettingsError(Exception):
    """The settings are invalid; the message names each variable and the problem."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keycloak_issuer: str = Field(
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="The SmartOps realm's issuer, e.g. https://sso.example.com/realms/smartops",
    )
    keycloak_audience: str = Field(
        default="itsm-gateway", description="The audience every access token must carry"
    )
    keycloak_client_id: str | None = Field(
        default=None, description="The gateway's client, for exchanging offline tokens"
    )
    keycloak_client_secret: str | None = Field(
        default=None, repr=False, description="That client's secret (none for a public client)"
    )
    keycloak_clients: str = Field(
        default="",
        repr=False,
        pattern=r"^\s*([A-Za-z0-9_.:-]+(=[^,=\s]+)?\s*(,\s*|$))*$",
        description=(
            "more clients whose offline tokens the gateway exchanges: comma-separated "
            "client-id (public) or client-id=secret"
        ),
    )
    jwks_min_refresh_seconds: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="least time between two JWKS refetches caused by unknown key ids",
    )
    keycloak_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    read_roles: CommaList = Field(default=(), description="Roles that may fetch; empty: anyone")
    write_roles: CommaList = Field(
        default=(), description="Roles that may create and update; empty: anyone"
    )
    host: str = Field(default="127.0.0.1", description="Address to listen on")
    port: int = Field(default=8080, ge=1, le=65535)
    itsm_allowed_urls: str = Field(
        default=DEFAULT_ALLOWED_URLS, description="ITSM base URLs callers may name"
    )
    itsm_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    itsm_read_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    itsm_max_connections: int = Field(default=100, ge=1, le=10_000)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    graphiql: bool = Field(default=True, description="Serve GraphiQL at GET /graphql")
    graphql_get: bool = Field(default=True, description="Accept GraphQL queries by GET")
    graphql_introspection: bool = Field(default=True, description="Answer introspection queries")
    graphql_max_depth: int = Field(default=8, ge=2, le=50)
    graphql_max_tokens: int = Field(default=2000, ge=100, le=100_000)
    graphql_max_aliases: int = Field(default=15, ge=1, le=1000)
    max_tickets_per_request: int = Field(
        default=5, ge=1, le=100, description="tickets one GraphQL request may fetch or write"
    )
    max_ticket_json_bytes: int = Field(default=65_536, ge=1024, le=16 * 1_048_576)
    max_ticket_json_keys: int = Field(default=100, ge=1, le=10_000)
    max_string_length: int = Field(
        default=32_768, ge=256, le=1_048_576, description="longest string value a caller may send"
    )
    request_deadline_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="a request's whole time budget (504 past it)"
    )
    itsm_retries: int = Field(default=2, ge=0, le=10, description="retries of a failed read")
    itsm_retry_backoff_seconds: float = Field(default=0.2, ge=0, le=60)
    itsm_retry_after_cap_seconds: float = Field(
        default=10.0, ge=0, le=3600, description="longest Retry-After the gateway waits for"
    )
    itsm_breaker_failures: int = Field(
        default=5, ge=1, le=1000, description="failures in a row that open an instance's circuit"
    )
    itsm_breaker_reset_seconds: float = Field(default=30.0, gt=0, le=3600)
    itsm_max_concurrency_per_instance: int = Field(default=20, ge=1, le=10_000)
    redis_url: str | None = Field(
        default=None, repr=False, description="redis://host:port/db, shared idempotency keys"
    )
    idempotency_ttl_seconds: int = Field(default=86_400, ge=60, le=30 * 86_400)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0, le=3600)
    connections: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="server-side connection profiles, from the settings file's [connections.<id>]",
    )
    workers: int = Field(
        default=1, ge=1, le=64, description="processes serving the port (one per core is usual)"
    )
    event_loop: str = Field(
        default="uvloop", pattern="^(uvloop|asyncio)$", description="uvloop or asyncio"
    )
    log_level: str = Field(
        default="INFO",
        pattern="^(DEBUG|INFO|WARNING|ERROR)$",
        description="DEBUG, INFO, WARNING or ERROR",
    )
    log_format: str = Field(
        default="json", pattern="^(json|text)$", description="json (one object a line) or text"
    )

    def offline_clients(self) -> dict[str, str | None]:
        """Client id -> secret (``None``: public) of every client whose offline tokens the gateway
        exchanges, as each was issued to one client and must be exchanged as that client."""
        clients: dict[str, str | None] = {}
        if self.keycloak_client_id:
            clients[self.keycloak_client_id] = self.keycloak_client_secret or None
        for part in self.keycloak_clients.split(","):
            client_id, _, secret = part.strip().partition("=")
            if client_id:
                clients[client_id] = secret or None
        return clients

    def url_policy(self) -> UrlPolicy:
        return UrlPolicy.from_text(self.itsm_allowed_urls)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from the file, then the environment, then ``overrides`` (for the CLI)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        file_name = env.get(f"{PREFIX}SETTINGS_FILE")
        if file_name:
            values.update(_read_file(Path(file_name)))
        for name in cls.model_fields:
            variable = f"{PREFIX}{name.upper()}"
            if variable in env:
                values[name] = env[variable]
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            settings = cls.model_validate(values)
            settings.url_policy()
        except ValidationError as error:
            raise SettingsError(_describe(error)) from None
        except ValueError as error:
            raise SettingsError(f"{PREFIX}ITSM_ALLOWED_URLS: {error}") from None
        return settings


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise SettingsError(f"{PREFIX}SETTINGS_FILE {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{PREFIX}SETTINGS_FILE {path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(f"{path}: unknown settings {', '.join(unknown)}")
    return data


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors(include_url=False, include_input=False):
        name = str(item["loc"][0]) if item["loc"] else "?"
        field = Settings.model_fields.get(name)
        if item["type"] == "missing":
            problem = "is required"
        elif item["type"] == "string_pattern_mismatch" and field and field.description:
            problem = (
                f"is not valid: expected {field.description[0].lower()}{field.description[1:]}"
            )
        else:
            problem = f"is not valid: {item['msg']}"
        lines.append(f"{PREFIX}{name.upper()} {problem}")
    return "; ".join(lines)
