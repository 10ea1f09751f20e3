"""Settings: the one place the environment is read.

Every setting is an environment variable ``ITSM_GATEWAY_<NAME>``; an optional TOML file named by
``ITSM_GATEWAY_SETTINGS_FILE`` gives defaults under the same names in lower case (``port = 8080``),
and the environment overrides it. Errors name the variable and say what is wrong.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from redis.connection import parse_url

from gateway.outbound.url_policy import DEFAULT_ALLOWED_URLS, UrlPolicy

PREFIX = "ITSM_GATEWAY_"


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[tuple[str, ...], BeforeValidator(_split_list)]


class SettingsError(Exception):
    """The settings are invalid; the message names each variable and the problem.

    ``problems`` holds the problems one by one (the message joins them with "; ")."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems: tuple[str, ...] = problems


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
    keycloak_offline_recheck_seconds: float | None = Field(
        default=None,
        ge=1,
        le=86_400,
        description=(
            "longest an access token exchanged for an offline token is reused before exchanging "
            "again: how long a revoked offline token keeps working (default: the access token's "
            "lifetime less 30 s)"
        ),
    )
    keycloak_offline_refusals_per_minute: int = Field(
        default=60,
        ge=1,
        le=100_000,
        description=(
            "offline tokens Keycloak may refuse a minute before the gateway stops sending it "
            "tokens it has not exchanged before (429 until the pace falls)"
        ),
    )
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
    jira_cloud_api_url: str = Field(
        default="https://api.atlassian.com",
        pattern=r"^https?://[^\s/]+/?$",
        description=(
            "Atlassian's API gateway, where Jira calls with an OAuth 2.0 (bearer) token go; "
            "ITSM_GATEWAY_ITSM_ALLOWED_URLS must allow it"
        ),
    )
    itsm_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    itsm_read_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    itsm_max_connections: int = Field(default=100, ge=1, le=10_000)
    itsm_max_answer_bytes: int = Field(
        default=10 * 1_048_576,
        ge=65_536,
        le=1024 * 1_048_576,
        description="the most the gateway reads of one ITSM answer, on the wire and decompressed",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    graphiql: bool = Field(default=True, description="Serve GraphiQL at GET /graphql")
    graphql_get: bool = Field(default=True, description="Accept GraphQL queries by GET")
    graphql_introspection: bool = Field(default=True, description="Answer introspection queries")
    graphql_max_depth: int = Field(default=8, ge=2, le=50)
    graphql_max_tokens: int = Field(default=2000, ge=100, le=100_000)
    graphql_max_document_bytes: int = Field(
        default=32_768,
        ge=1024,
        le=1_048_576,
        description="longest GraphQL document, comments and strings included (400 past it)",
    )
    graphql_max_aliases: int = Field(default=15, ge=1, le=1000)
    max_tickets_per_request: int = Field(
        default=5, ge=1, le=100, description="tickets one GraphQL request may fetch or write"
    )
    graphql_max_searches: int = Field(
        default=2,
        ge=1,
        le=100,
        description="tickets (search) fields one GraphQL request may hold, each one page",
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
    idempotency_max_bytes_per_caller: int = Field(
        default=8 * 1_048_576,
        ge=65_536,
        le=1024 * 1_048_576,
        description=(
            "idempotency records one caller may keep within the TTL; past it its keyed creates "
            "are 429 (replays still answer)"
        ),
    )
    max_page_size: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="tickets one search page may answer (GraphQL first, REST first)",
    )
    shutdown_grace_seconds: float = Field(default=30.0, ge=0, le=3600)
    caller_requests_per_minute: int = Field(
        default=6000,
        ge=0,
        le=1_000_000,
        description=(
            "requests one caller (a user through a client) may make a minute on average, "
            "shared by every process through Redis when configured; 0: no limit (429 past it)"
        ),
    )
    caller_burst: int = Field(
        default=500, ge=1, le=100_000, description="requests one caller may make at once"
    )
    http_max_header_bytes: int = Field(
        default=32_768,
        ge=8190,
        le=1_048_576,
        description=(
            "longest request header line (an Authorization header with a large access token)"
        ),
    )
    http_idle_timeout_seconds: float = Field(
        default=75.0,
        gt=0,
        le=3600,
        description=(
            "closes a client connection idle this long between requests, or one that has not "
            "sent a whole request head this long after it opened (slow clients)"
        ),
    )
    http_body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="longest a client may take to send a request's body (408 past it)",
    )
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
    metrics: bool = Field(default=True, description="Serve Prometheus metrics at GET /metrics")
    metrics_token: str | None = Field(
        default=None,
        repr=False,
        min_length=16,
        description="a token /metrics then requires (Authorization: Bearer <token>)",
    )
    tracing: str = Field(
        default="none",
        pattern="^(none|otlp|console)$",
        description="none, otlp (to OTEL_EXPORTER_OTLP_ENDPOINT) or console",
    )
    log_level: str = Field(
        default="INFO",
        pattern="^(DEBUG|INFO|WARNING|ERROR)$",
        description="DEBUG, INFO, WARNING or ERROR",
    )
    log_format: str = Field(
        default="json", pattern="^(json|text)$", description="json (one object a line) or text"
    )

    @field_validator("itsm_allowed_urls")
    @classmethod
    def _allowed_urls_parse(cls, value: str) -> str:
        # Here rather than after validation, so that this error is reported with all the others.
        UrlPolicy.from_text(value)
        return value

    @field_validator("jira_cloud_api_url")
    @classmethod
    def _jira_cloud_api_url_allowed(cls, value: str, info: ValidationInfo) -> str:
        # Checked when set (a default is not validated): the transport refuses any origin the
        # allow-list does not match, so an API URL it misses would fail every bearer call.
        allowed = info.data.get("itsm_allowed_urls")
        if allowed is not None:
            url = httpx.URL(value)
            port = url.port or (443 if url.scheme == "https" else 80)
            if not UrlPolicy.from_text(allowed).allows_origin(url.scheme, url.host, port):
                raise ValueError(
                    "expected a URL that ITSM_GATEWAY_ITSM_ALLOWED_URLS allows: add it there"
                )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_parses(cls, value: str | None) -> str | None:
        # With redis's own parser, so that a URL create_app could not use stops the start here.
        # The library's message is not passed on: it may quote part of the URL, and so of the
        # password.
        if value:
            try:
                parse_url(value)
            except ValueError:
                raise ValueError(
                    "expected redis://[user:password@]host:port/db, rediss://... (TLS) or "
                    "unix:///path/to/socket, with valid query parameters and the password "
                    "percent-encoded"
                ) from None
        return value

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
        return cls.from_sources(SettingsSources.read(environ, **overrides))

    @classmethod
    def from_sources(cls, sources: SettingsSources) -> Settings:
        try:
            return cls.model_validate(sources.values)
        except ValidationError as error:
            raise SettingsError(*_describe(error, sources)) from None


FILE, ENVIRONMENT, COMMAND_LINE, DEFAULT = "file", "environment", "command line", "default"

# The settings that hold secrets (kept out of repr): each may also be read from a file,
# ITSM_GATEWAY_<NAME>_FILE, as Kubernetes and Docker mount secrets.
SECRET_SETTINGS = tuple(name for name, field in Settings.model_fields.items() if not field.repr)


@dataclass(frozen=True)
class SettingsSources:
    """The values given for the settings, not yet validated, and where each came from."""

    file: Path | None
    values: Mapping[str, Any]
    origins: Mapping[str, str]  # name -> FILE, ENVIRONMENT or COMMAND_LINE
    unknown_variables: tuple[str, ...]  # ITSM_GATEWAY_* variables that are no setting (ignored)

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SettingsSources:
        """The file, then the environment, then ``overrides`` (for the CLI), each overriding the
        one before. ``SettingsError`` when the file cannot be read."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        origins: dict[str, str] = {}
        file_name = env.get(f"{PREFIX}SETTINGS_FILE")
        if file_name:
            values.update(_read_file(Path(file_name)))
            origins.update(dict.fromkeys(values, FILE))
        for name in Settings.model_fields:
            variable = f"{PREFIX}{name.upper()}"
            if variable in env:
                values[name] = env[variable]
                origins[name] = ENVIRONMENT
        for name in SECRET_SETTINGS:
            from_file = _secret_from_file(name, env, values)
            if from_file is not None:
                values[name], origins[name] = from_file
            values.pop(f"{name}_file", None)
        for name, value in overrides.items():
            if value is not None:
                values[name] = value
                origins[name] = COMMAND_LINE
        known = {f"{PREFIX}{name.upper()}" for name in Settings.model_fields}
        known |= {f"{PREFIX}{name.upper()}_FILE" for name in SECRET_SETTINGS}
        unknown = sorted(
            name
            for name in env
            if name.startswith(PREFIX) and name not in known and name != f"{PREFIX}SETTINGS_FILE"
        )
        return cls(Path(file_name) if file_name else None, values, origins, tuple(unknown))

    def origin(self, name: str) -> str:
        return self.origins.get(name, DEFAULT)


def _secret_from_file(
    name: str, env: Mapping[str, str], values: Mapping[str, Any]
) -> tuple[str, str] | None:
    """A secret setting read from the file ``ITSM_GATEWAY_<NAME>_FILE`` (or the settings file's
    ``<name>_file``) names, with its origin; one trailing line break dropped, as Kubernetes and
    Docker secrets mounted as files end. ``SettingsError`` (never quoting a value) when the
    setting is also given directly, or the file cannot be read or is empty."""
    variable = f"{PREFIX}{name.upper()}"
    path = env.get(f"{variable}_FILE")
    origin = ENVIRONMENT
    if path is None and f"{name}_file" in values:
        path, origin = values[f"{name}_file"], FILE
    if path is None:
        return None
    if variable in env or (origin == ENVIRONMENT and name in values) or not isinstance(path, str):
        raise SettingsError(
            f"give {variable} or {variable}_FILE (a file holding it), not both"
            if isinstance(path, str)
            else f"{name}_file must be the path of a file holding the secret"
        )
    try:
        secret = Path(path).read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
    except OSError as error:
        raise SettingsError(f"{variable}_FILE: cannot read {path} ({error.strerror})") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{variable}_FILE: {path} is not UTF-8 text") from None
    if not secret.strip():
        raise SettingsError(f"{variable}_FILE: {path} is empty")
    return secret, origin


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise SettingsError(
            f"{PREFIX}SETTINGS_FILE names {path}, which cannot be read: {error.strerror}"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{PREFIX}SETTINGS_FILE {path} is not valid TOML: {error}") from None


def closest_setting(name: str) -> str | None:
    """The setting ``name`` was probably meant to be (``prot``, ``ITSM_GATEWAY_PORT``: ``port``)."""
    candidate = name.lower().removeprefix(PREFIX.lower())
    if candidate in Settings.model_fields:
        return candidate
    found = difflib.get_close_matches(candidate, list(Settings.model_fields), n=1, cutoff=0.75)
    return found[0] if found else None


def _describe(error: ValidationError, sources: SettingsSources) -> list[str]:
    """One sentence per problem, naming the variable and the settings-file key and saying which
    of them gave the value. Never the value itself: it may be a secret."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        loc = [str(part) for part in item["loc"]] or ["?"]
        name, key = loc[0], ".".join(loc)
        variable = f"{PREFIX}{name.upper()}"
        field = Settings.model_fields.get(name)
        description = _lower_first(field.description) if field and field.description else ""
        if item["type"] == "extra_forbidden":  # only the file can name an unknown setting
            guess = closest_setting(name)
            hint = f"did you mean {guess}? " if guess else ""
            problems.append(
                f"{key} in {sources.file} is not a setting; {hint}"
                "(`itsm-gateway config show` lists them all)"
            )
            continue
        if item["type"] == "missing":
            expected = f", to {description}" if description else ""
            problems.append(
                f"{variable} is required: set it, or {key} in the settings file{expected}"
            )
            continue
        if item["type"] == "string_pattern_mismatch" and description:
            problem = f"expected {description}"
        else:
            problem = str(item["msg"]).removeprefix("Value error, ")
        origin = sources.origin(name)
        if name == "connections":  # tables in the file only, checked in full by gateway.profiles
            problems.append(f"{key} in {sources.file} is not valid: {problem}")
        elif origin == FILE:
            problems.append(
                f"{key} in {sources.file} is not valid: {problem} "
                f"(the variable {variable} would override it)"
            )
        elif origin == COMMAND_LINE:
            problems.append(f"--{name} is not valid: {problem}")
        else:
            problems.append(
                f"{variable} is not valid: {problem} "
                f"(set in the environment; in the settings file the key is {key})"
            )
    return problems


def _lower_first(text: str) -> str:
    """ "The realm's issuer" -> "the realm's issuer"; "DEBUG, INFO, ..." stays as it is."""
    return text[0].lower() + text[1:] if text[1:2].islower() else text
