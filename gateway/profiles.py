"""Server-side connection profiles, read from the settings file's ``[connections.<name>]``
tables and checked once, at start-up, so that an operator learns of every mistake at once::

    [connections.acme]
    itsm_type = "servicenow"
    instance_url = "https://acme.service-now.com"
    auth_type = "basic"
    username = "svc.smartops"
    password_env = "ACME_SN_PASSWORD"          # or password_file = "/run/secrets/acme-sn"
    tables = ["incident", "sc_task"]           # what callers may use (resolvers.profiles);
                                               # default: the tool's ticket table only
    roles = ["itsm-acme", "smartops:acme"]     # optional: who may use the profile

Secrets are given only indirectly, by an environment variable (``*_env``) or a file (``*_file``,
an absolute path; one trailing newline is dropped), and read here, once. A secret written inline
is refused. No message carries a secret's value: only key names, variable names and paths.

The instance URL passes the same allow-list and address checks as a caller's, here with the
system resolver: an unknown host or an internal address stops the start; a DNS that does not
answer only warns, since the check runs again at each use.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from connectors.capabilities import Capabilities
from connectors.connection import AuthType, Credentials
from connectors.connection_keys import CONNECTION_KEYS, CREDENTIAL_KEYS, SECRET_KEYS, ConnectionKey
from connectors.errors import BadInput
from gateway.outbound.addresses import (
    BlockingResolver,
    HostNotFound,
    HostResolver,
    InternalAddress,
    RememberingResolver,
    ResolutionFailed,
    dns_failure,
    resolve_blocking_with_system,
    resolve_with_system,
)
from gateway.outbound.guard import AddressGuard, check_at_start
from gateway.outbound.url_policy import AllowedUrl, UrlPolicy
from gateway.settings import Settings, SettingsError
from resolvers.connections import ConnectionResolver
from resolvers.profiles import ConnectionProfile
from resolvers.tables import is_table_name

log = logging.getLogger("itsm_gateway")

# The profile keys, from the connection vocabulary (connectors.connection_keys): the plain keys
# by their snake_case name, each secret only as <name>_env or <name>_file, and the profile's own
# roles. A request's connectionId has no profile key: it names the profile.
PLAIN_KEYS = (
    *(key.attribute for key in CONNECTION_KEYS if key.in_profile and not key.secret),
    "tables",
    "roles",
)
_SECRET_FORMS = ("env", "file")
_KEYS = (*PLAIN_KEYS, *(f"{key.attribute}_{how}" for key in SECRET_KEYS for how in _SECRET_FORMS))
# A secret written inline, under either spelling -> its snake_case name.
_INLINE = {spelling: key.attribute for key in SECRET_KEYS for spelling in (key.attribute, key.name)}
# Plain credentials before secrets, so that messages list problems as an operator reads a table.
_CREDENTIALS_READ = sorted(CREDENTIAL_KEYS, key=lambda key: key.secret)


def _profile_key(key: ConnectionKey) -> str:
    """How a profile gives the credential: ``username``, ``password_env or password_file``."""
    if key.secret:
        return " or ".join(f"{key.attribute}_{how}" for how in _SECRET_FORMS)
    return key.attribute


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def connection_resolver(
    settings: Settings,
    tools: Sequence[Capabilities],
    *,
    environ: Mapping[str, str] | None = None,
    resolve_host: HostResolver = resolve_with_system,
    resolve_at_start: BlockingResolver | None = None,
) -> ConnectionResolver:
    """The gateway's ``ConnectionResolver``: the URL policy, the profiles, the system resolver.
    ``tools``: the capabilities of every connector served. Raises ``SettingsError`` naming every
    invalid profile key."""
    policy = settings.url_policy()
    profiles = load_profiles(
        settings.connections, policy, tools, environ=environ, resolve=resolve_at_start
    )
    guard = AddressGuard(policy, resolve_host=RememberingResolver(resolve_host))
    itsm_types = tuple(sorted(tool.itsm_type for tool in tools))
    return ConnectionResolver(guard, itsm_types, profiles=profiles)


def load_profiles(
    tables: Mapping[str, Any],
    policy: UrlPolicy,
    tools: Iterable[Capabilities],
    *,
    environ: Mapping[str, str] | None = None,
    resolve: BlockingResolver | None = None,
) -> dict[str, ConnectionProfile]:
    """Every profile, checked, with its secrets read; ``SettingsError`` lists all problems."""
    reader = _ProfileReader(
        policy,
        {tool.itsm_type: tool for tool in tools},
        os.environ if environ is None else environ,
        resolve or resolve_blocking_with_system,
    )
    profiles = {}
    for name, table in tables.items():
        profile = reader.read(name, table)
        if profile is not None:
            profiles[name] = profile
    if reader.problems:
        raise SettingsError("; ".join(reader.problems))
    if profiles:
        log.info("connection profiles: %s", ", ".join(sorted(profiles)))
    return profiles


class _ProfileReader:
    def __init__(
        self,
        policy: UrlPolicy,
        tools: Mapping[str, Capabilities],
        environ: Mapping[str, str],
        resolve: BlockingResolver,
    ) -> None:
        self._policy = policy
        self._tools = tools
        self._itsm_types = tuple(sorted(tools))
        self._environ = environ
        self._resolve = resolve
        self.problems: list[str] = []

    def read(self, name: str, table: Any) -> ConnectionProfile | None:
        before = len(self.problems)
        where = f"connections.{name}"
        if not _NAME.fullmatch(name):
            self.problems.append(
                f"{where}: a profile name is letters, digits, '_', '.' and '-' (64 at most)"
            )
            return None
        if not isinstance(table, Mapping):
            self.problems.append(f"{where} must be a table ([{where}])")
            return None
        for key in table:
            if key in _INLINE:
                self.problems.append(
                    f"{where}.{key}: secrets may not be written in the settings file; give "
                    f"{_INLINE[key]}_env (an environment variable) or {_INLINE[key]}_file instead"
                )
            elif key not in _KEYS:
                self.problems.append(
                    f"{where}.{key} is not a profile key; valid keys are {', '.join(_KEYS)}"
                )
        itsm_type = self._itsm_type(where, table)
        url = self._url(where, table)
        auth_type = self._auth_type(where, table)
        credentials = self._credentials(where, table, auth_type)
        tool = self._tools.get(itsm_type) if itsm_type else None
        opened = self._opened(where, table, tool) if tool else ()
        roles = self._roles(where, table)
        if len(self.problems) > before:
            return None
        assert itsm_type and url and credentials and tool  # a missing one added a problem
        return ConnectionProfile(
            name=name,
            itsm_type=itsm_type,
            url=url,
            credentials=credentials,
            tables=opened,
            scope=tool.profile_scope,
            roles=roles,
        )

    def _opened(self, where: str, table: Mapping[str, Any], tool: Capabilities) -> tuple[str, ...]:
        """What the profile opens to callers: ``tables``, or ``table`` (one), or the tool's
        default; a problem when a Jira profile names no project, or a name is not one."""
        scope = tool.profile_scope
        if "tables" in table and "table" in table:
            self.problems.append(f"{where}: give tables or table, not both")
            return ()
        given: Any = table.get("tables", [table["table"]] if "table" in table else None)
        if given is None:
            if not scope.default:
                self.problems.append(
                    f"{where}.tables is required for {tool.name}: list the {scope.noun}s callers "
                    f'may use through the profile, e.g. tables = ["DESK"]'
                )
            return scope.default
        if not isinstance(given, list) or not given or not all(isinstance(n, str) for n in given):
            self.problems.append(
                f"{where}.tables must be a non-empty list of {scope.noun} names, "
                f'e.g. tables = ["{scope.default[0] if scope.default else "DESK"}"]'
            )
            return ()
        names = tuple(dict.fromkeys(name.strip() for name in given))
        for name in names:
            if not self._is_scope_name(name, tool):
                self.problems.append(
                    f"{where}.tables: {name[:80]!r} is not a {tool.name} {scope.noun} name"
                )
        return names

    @staticmethod
    def _is_scope_name(name: str, tool: Capabilities) -> bool:
        scope = tool.profile_scope
        if not scope.in_table:
            return bool(scope.name_pattern.fullmatch(name))
        if not is_table_name(name):
            return False
        rule = tool.table_rule
        return rule is None or (rule.pattern is not None and bool(rule.pattern.fullmatch(name)))

    def _text(self, where: str, table: Mapping[str, Any], key: str) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{where}.{key} must be a non-empty string")
            return None
        return value.strip()

    def _required(self, where: str, table: Mapping[str, Any], key: str, hint: str) -> str | None:
        if key not in table:
            self.problems.append(f"{where}.{key} is required ({hint})")
            return None
        return self._text(where, table, key)

    def _itsm_type(self, where: str, table: Mapping[str, Any]) -> str | None:
        known = ", ".join(self._itsm_types)
        value = self._required(where, table, "itsm_type", f"one of: {known}")
        if value is not None and value.lower() not in self._itsm_types:
            self.problems.append(f"{where}.itsm_type {value!r} is not one of: {known}")
            return None
        return value.lower() if value else None

    def _auth_type(self, where: str, table: Mapping[str, Any]) -> AuthType | None:
        choices = ", ".join(t.value for t in AuthType)
        value = self._required(where, table, "auth_type", f"one of: {choices}")
        if value is None:
            return None
        try:
            return AuthType(value.lower())
        except ValueError:
            self.problems.append(f"{where}.auth_type {value!r} is not one of: {choices}")
            return None

    def _url(self, where: str, table: Mapping[str, Any]) -> AllowedUrl | None:
        value = self._required(where, table, "instance_url", "e.g. https://acme.service-now.com")
        if value is None:
            return None
        field = f"{where}.instance_url"
        try:
            url = self._policy.admit(value, field=field)
        except BadInput as error:
            self.problems.append(error.message)
            return None
        try:
            check_at_start(url, self._resolve)
        except OSError as error:
            failure = dns_failure(url.host, error)
            if isinstance(failure, ResolutionFailed):
                log.warning("%s: cannot resolve %s at start-up (%s)", field, url.host, failure)
                return url
            self.problems.append(f"{field}: cannot resolve host {url.host} ({failure})")
            return None
        except HostNotFound:
            self.problems.append(f"{field}: host {url.host} has no address")
            return None
        except InternalAddress as error:
            self.problems.append(
                f"{field}: host {url.host} resolves to a {error.kind} address; the gateway "
                "connects to internal addresses only when ITSM_GATEWAY_ITSM_ALLOWED_URLS names "
                "that host literally"
            )
            return None
        return url

    def _credentials(
        self, where: str, table: Mapping[str, Any], auth_type: AuthType | None
    ) -> Credentials | None:
        values = {
            key.attribute: (
                self._secret(where, table, key.attribute)
                if key.secret
                else self._text(where, table, key.attribute)
            )
            for key in _CREDENTIALS_READ
        }
        if auth_type is None:
            return None
        for key in _CREDENTIALS_READ:
            # Given means written in the table, valid or not: a variable that is not set has
            # its own message already.
            forms = [f"{key.attribute}_{how}" for how in _SECRET_FORMS] if key.secret else []
            present = any(name in table for name in forms or [key.attribute])
            if auth_type in key.needed_by and not present:
                self.problems.append(
                    f"{where}: auth_type {auth_type.value} needs {_profile_key(key)}"
                )
            elif auth_type not in key.needed_by and present:
                self.problems.append(
                    f"{where}: {_profile_key(key)} is not used by auth_type {auth_type.value}; "
                    "remove it"
                )
        return Credentials(
            auth_type, values=tuple(values[key.attribute] for key in CREDENTIAL_KEYS)
        )

    def _secret(self, where: str, table: Mapping[str, Any], secret: str) -> str | None:
        env_key, file_key = f"{secret}_env", f"{secret}_file"
        if env_key in table and file_key in table:
            self.problems.append(f"{where}: give {env_key} or {file_key}, not both")
            return None
        if env_key in table:
            return self._from_env(f"{where}.{env_key}", table[env_key])
        if file_key in table:
            return self._from_file(f"{where}.{file_key}", table[file_key])
        return None

    def _from_env(self, where: str, variable: Any) -> str | None:
        # The name is checked before it is quoted: a secret pasted here by mistake must not
        # reach a message.
        if not isinstance(variable, str) or not _ENV_NAME.fullmatch(variable):
            self.problems.append(
                f"{where} must name an environment variable (letters, digits and '_')"
            )
            return None
        value = self._environ.get(variable)
        if value is None:
            self.problems.append(f"{where}: environment variable {variable} is not set")
            return None
        return self._not_empty(where, f"environment variable {variable}", value)

    def _from_file(self, where: str, path: Any) -> str | None:
        if not isinstance(path, str) or not path.startswith("/"):
            self.problems.append(f"{where} must be an absolute path to a file holding the secret")
            return None
        try:
            value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            self.problems.append(f"{where}: cannot read {path} ({error.strerror})")
            return None
        except UnicodeDecodeError:
            self.problems.append(f"{where}: {path} is not UTF-8 text")
            return None
        return self._not_empty(where, path, value)

    def _not_empty(self, where: str, source: str, value: str) -> str | None:
        """The secret read from ``source``, or a problem when it holds only white space."""
        if not value.strip():
            self.problems.append(f"{where}: {source} is empty")
            return None
        return value

    def _roles(self, where: str, table: Mapping[str, Any]) -> tuple[str, ...]:
        roles = table.get("roles", [])
        if not isinstance(roles, list) or not all(
            isinstance(role, str) and role.strip() for role in roles
        ):
            self.problems.append(
                f'{where}.roles must be a list of role names, e.g. ["itsm-acme", "client:role"]'
            )
            return ()
        return tuple(role.strip() for role in roles)
