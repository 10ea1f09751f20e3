"""``itsm-gateway check-connection <profile or URL>``: can the gateway use this ITSM connection?

For an operator, before going live. The connection is a profile of the settings file
(``[connections.<id>]``, secrets read as the gateway reads them) or an instance URL with
credentials given by option, their secrets only by environment variable or file (``--password-env
VAR``, ``--password-file PATH``, ...) or typed at a prompt: never on the command line, where
``ps`` and shell histories would show them.

The URL goes through the gateway's own checks (``ITSM_GATEWAY_ITSM_ALLOWED_URLS``, then the
resolved addresses, by ``ConnectionResolver``), and the ITSM calls through the gateway's guarded
transport, which checks the addresses again when it connects. A URL the policy refuses is one
line of the report, and nothing is contacted. The ITSM side is each connector's own probe
(``connectors.probe``, ``connectors.port.ProbingFactory``), which the registry finds for the
connection's ``itsm_type``: this command names no vendor.

Exit codes: 0 the gateway can use the connection (perhaps degraded: the report's warnings say
how), 1 it cannot, 2 bad usage or settings (nothing was checked). No output carries a secret:
messages come from the connector's scrubbed errors, and the whole report is scrubbed once more.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from connectors.catalog import connector_factories, itsm_types
from connectors.connection import AuthType
from connectors.connection_keys import CREDENTIAL_KEYS, SECRET_KEYS, ConnectionKey
from connectors.errors import BadInput, Unavailable
from connectors.http import Scrubber
from connectors.probe import Check, CheckVerdict, skipped
from connectors.registry import ConnectorRegistry
from gateway.outbound.addresses import resolve_with_system
from gateway.outbound.guard import AddressGuard
from gateway.outbound.transport import guarded_transport
from gateway.outbound.url_policy import AllowedUrl, UrlPolicy
from gateway.profiles import load_profiles
from gateway.settings import Settings, SettingsError
from resolvers.connections import ConnectionDetails, ConnectionResolver
from resolvers.tables import GENERIC_RULE, is_table_name

USABLE, UNUSABLE, BAD_USAGE = 0, 1, 2
URL_CHECK = "instance URL"
ITSM_TYPES = itsm_types()
DEFAULT_ITSM_TYPE = "servicenow"
# The check never calls Keycloak, so its issuer, required to serve, is not required here.
_UNUSED_ISSUER = "https://keycloak.not-used-by-check-connection.invalid"

# The credential options, from the connection vocabulary: --username, --client-id, then the
# secrets, each only as --<x>-env or --<x>-file (a secret on the command line is refused).
_CREDENTIALS = sorted(CREDENTIAL_KEYS, key=lambda key: key.secret)


class UsageError(Exception):
    """The command line or settings are wrong; nothing was checked (exit 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Check that the gateway can use an ITSM connection (ServiceNow, Jira or Request "
        "Tracker): the URL against the gateway's policy, then authentication, the account's "
        "time zone, what it may read (records, their fields, notes and SLAs) and what it may "
        "write, found without writing anything. Secrets only by environment variable, file or "
        "prompt."
    )
    parser.epilog = (
        "Exit codes: 0 the gateway can use the connection (warnings say what is degraded), "
        "1 it cannot, 2 bad usage or settings."
    )
    parser.add_argument(
        "target",
        metavar="PROFILE_OR_URL",
        help="a connection profile id ([connections.<id>] in ITSM_GATEWAY_SETTINGS_FILE) or an "
        "instance URL such as https://acme.service-now.com",
    )
    parser.add_argument(
        "--itsm-type",
        choices=ITSM_TYPES,
        help=f"with a URL: which tool answers there (default {DEFAULT_ITSM_TYPE})",
    )
    parser.add_argument(
        "--auth-type",
        choices=[t.value for t in AuthType],
        help="with a URL: how to authenticate (default basic)",
    )
    for key in _CREDENTIALS:
        option = key.option
        if not key.secret:
            parser.add_argument(option, help=f"with a URL: {key.description}")
            continue
        what = option.removeprefix("--").replace("-", " ")
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            f"{option}-env", metavar="VAR", help=f"the environment variable holding the {what}"
        )
        group.add_argument(
            f"{option}-file", metavar="PATH", type=Path, help=f"a file holding the {what}"
        )
        parser.add_argument(option, nargs="?", action=_RefuseSecret, help=argparse.SUPPRESS)
    parser.add_argument(
        "--table",
        help="the table to check (ServiceNow, default incident) or the project (Jira: its key, "
        "such as DESK); Request Tracker has queues, not tables",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


class _RefuseSecret(argparse.Action):
    """``--password`` and the like: refused without quoting the value (argparse would otherwise
    echo it as an ambiguous ``--password-env``/``--password-file`` or an unknown argument)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        parser.error(
            f"{option_string} is not accepted: a secret on the command line is seen by other "
            f"users' ps and kept in shell histories; use {option_string}-env VAR or "
            f"{option_string}-file PATH"
        )


@dataclass(frozen=True)
class _Plan:
    """What to check, from the command line and settings; nothing contacted yet."""

    settings: Settings
    resolver: ConnectionResolver
    details: ConnectionDetails
    itsm_type: str
    roles: frozenset[str]
    url: str  # as given, or the profile's base URL
    auth_type: str
    secrets: tuple[str, ...]


def run(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    try:
        plan = _plan(args, env)
    except (UsageError, SettingsError) as error:
        print(f"itsm-gateway check-connection: {error}", file=sys.stderr)
        return BAD_USAGE
    scrub = Scrubber(plan.secrets)
    try:
        report = asyncio.run(_check(plan))
    except Exception as error:  # the outermost edge: said once, masked, scrubbed
        print(
            f"itsm-gateway check-connection: internal error ({type(error).__name__}: "
            f"{scrub(str(error))[:300]})",
            file=sys.stderr,
        )
        return UNUSABLE
    print(scrub(report.json() if args.json else report.text()))
    return report.exit_code


def _plan(args: argparse.Namespace, env: Mapping[str, str]) -> _Plan:
    settings = Settings.load(env, keycloak_issuer=_UNUSED_ISSUER)
    policy = settings.url_policy()
    if args.table is not None and not is_table_name(args.table):
        raise UsageError(f"--table must be a table name ({GENERIC_RULE})")
    if "://" in args.target:
        return _url_plan(args, env, settings, policy)
    return _profile_plan(args, env, settings, policy)


def _profile_plan(
    args: argparse.Namespace, env: Mapping[str, str], settings: Settings, policy: UrlPolicy
) -> _Plan:
    name = args.target
    given = _given_options(args)
    if given:
        raise UsageError(
            f"connection profile {name!r} holds its own instance URL and credentials; "
            f"leave out {', '.join(given)} (they are for checking an instance by URL)"
        )
    if name not in settings.connections:
        known = ", ".join(sorted(settings.connections))
        where = (
            f"the profiles are: {known}"
            if known
            else "none is configured ([connections.<id>] tables of the file named by "
            "ITSM_GATEWAY_SETTINGS_FILE)"
        )
        raise UsageError(
            f"no connection profile named {name!r}; {where}. To check an instance by URL, give "
            "its URL (https://...)"
        )
    profiles = load_profiles({name: settings.connections[name]}, policy, ITSM_TYPES, environ=env)
    profile = profiles[name]
    return _Plan(
        settings=settings,
        resolver=ConnectionResolver(
            AddressGuard(policy, resolve_host=resolve_with_system), ITSM_TYPES, profiles=profiles
        ),
        details=ConnectionDetails(connection_id=name, table=args.table),
        itsm_type=profile.itsm_type,
        roles=frozenset(profile.roles),  # the operator stands for every caller of the profile
        url=profile.url.base,
        auth_type=profile.credentials.auth_type.value,
        secrets=profile.credentials.secrets(),
    )


def _url_plan(
    args: argparse.Namespace, env: Mapping[str, str], settings: Settings, policy: UrlPolicy
) -> _Plan:
    if "@" in args.target:  # not quoted: what precedes the @ may be a password
        raise UsageError(
            "the instance URL must not carry credentials; give --username and --password-env "
            "or --password-file instead"
        )
    auth_type = AuthType(args.auth_type or AuthType.BASIC.value)
    itsm_type = args.itsm_type or DEFAULT_ITSM_TYPE
    values: dict[str, str | None] = {}
    for key in _CREDENTIALS:
        value = _secret(args, key, env) if key.secret else getattr(args, key.attribute)
        needed = auth_type in key.needed_by
        if value is not None and not needed:
            raise UsageError(f"--auth-type {auth_type.value} does not use {_shown(key)}")
        if value is None and needed:
            value = _prompt(key, auth_type)
        values[key.attribute] = value
    details = ConnectionDetails.of(
        {
            "itsm_type": itsm_type,
            "instance_url": args.target,
            "auth_type": auth_type.value,
            "table": args.table,
            **values,
        }
    )
    secrets = tuple(value for key in SECRET_KEYS if (value := values[key.attribute]))
    return _Plan(
        settings=settings,
        resolver=ConnectionResolver(
            AddressGuard(policy, resolve_host=resolve_with_system), ITSM_TYPES
        ),
        details=details,
        itsm_type=itsm_type,
        roles=frozenset(),
        url=args.target,
        auth_type=auth_type.value,
        secrets=secrets,
    )


def _given_options(args: argparse.Namespace) -> list[str]:
    given = [o for o in ("--itsm-type", "--auth-type") if getattr(args, o[2:].replace("-", "_"))]
    for key in _CREDENTIALS:
        names = (
            (f"{key.attribute}_env", f"{key.attribute}_file") if key.secret else (key.attribute,)
        )
        if any(getattr(args, name) is not None for name in names):
            given.append(_shown(key))
    return given


def _shown(key: ConnectionKey) -> str:
    return f"{key.option}-env/{key.option}-file" if key.secret else key.option


def _secret(args: argparse.Namespace, key: ConnectionKey, env: Mapping[str, str]) -> str | None:
    """The secret named by ``--<x>-env`` or ``--<x>-file``. Neither the variable's name nor the
    value is quoted in messages: a secret typed there by mistake must not be echoed."""
    option = key.option
    variable: str | None = getattr(args, f"{key.attribute}_env")
    path: Path | None = getattr(args, f"{key.attribute}_file")
    if variable is not None:
        value = env.get(variable)
        if not value:
            raise UsageError(f"{option}-env: that environment variable is not set, or empty")
        return value
    if path is not None:
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            raise UsageError(f"{option}-file {path}: cannot read it ({error.strerror})") from None
        except UnicodeDecodeError:
            raise UsageError(f"{option}-file {path} is not UTF-8 text") from None
        if not value.strip():
            raise UsageError(f"{option}-file {path} is empty")
        return value
    return None


def _prompt(key: ConnectionKey, auth_type: AuthType) -> str:
    """A missing secret is asked for on a terminal; anything else missing is a usage error."""
    what = key.option.removeprefix("--").replace("-", " ")
    if key.secret and sys.stdin.isatty():
        value = getpass.getpass(f"{what}: ")
        if value:
            return value
    raise UsageError(f"--auth-type {auth_type.value} needs {_shown(key)}")


async def _check(plan: _Plan) -> Report:
    settings = plan.settings
    transport = guarded_transport(
        settings.url_policy(),
        max_connections=4,
        max_answer_bytes=settings.itsm_max_answer_bytes,
    )
    # The factories' own client is never used by a probe (each makes its own, on the same
    # guarded transport); it is closed with the transport.
    async with httpx.AsyncClient(transport=transport) as http:
        registry = ConnectorRegistry(
            connector_factories(http, jira_api_url=settings.jira_cloud_api_url)
        )
        prober = registry.prober(plan.itsm_type)
        report = functools.partial(
            Report,
            plan.url,
            plan.details.connection_id,
            plan.auth_type,
            itsm_type=plan.itsm_type,
        )
        try:
            url = _admitted(plan)
            connection = await plan.resolver.resolve(plan.details, plan.roles)
        except (BadInput, Unavailable) as error:
            table = plan.details.table or prober.default_table
            verdict = CheckVerdict.REFUSED if isinstance(error, BadInput) else CheckVerdict.FAILED
            refused = Check(URL_CHECK, verdict, error.message, blocking=True)
            names = prober.check_names(plan.details.table)
            return report(table, (refused, *skipped(names, f"{URL_CHECK} {verdict}")))
        timeouts = httpx.Timeout(
            settings.itsm_read_timeout_seconds, connect=settings.itsm_connect_timeout_seconds
        )
        try:
            checks = await prober.probe(connection, transport, timeouts=timeouts)
        except BadInput as error:  # the connector refuses the connection (a table RT lacks)
            refused = Check("connection", CheckVerdict.REFUSED, error.message, blocking=True)
            rest = skipped(prober.check_names(connection.table), "connection refused")
            return report(registry.record_noun(connection), (_url_ok(url), refused, *rest))
        return report(registry.record_noun(connection), (_url_ok(url), *checks))


def _admitted(plan: _Plan) -> AllowedUrl:
    """The URL as the policy reads it (the resolver checks it again, naming it as a caller's)."""
    return plan.settings.url_policy().admit(plan.url, field=URL_CHECK)


def _url_ok(url: AllowedUrl) -> Check:
    how = (
        "named literally by ITSM_GATEWAY_ITSM_ALLOWED_URLS, so its addresses are trusted"
        if url.vouched
        else "allowed by ITSM_GATEWAY_ITSM_ALLOWED_URLS, and resolves to public addresses"
    )
    return Check(URL_CHECK, CheckVerdict.OK, f"{url.base} is {how}", blocking=True)


@dataclass(frozen=True)
class Report:
    url: str
    connection_id: str | None
    auth_type: str
    table: str
    checks: Sequence[Check]
    itsm_type: str = DEFAULT_ITSM_TYPE

    @property
    def usable(self) -> bool:
        return all(check.usable for check in self.checks)

    @property
    def warnings(self) -> list[str]:
        return [c.name for c in self.checks if c.warning]

    @property
    def exit_code(self) -> int:
        return USABLE if self.usable else UNUSABLE

    def text(self) -> str:
        via = f"profile {self.connection_id}, " if self.connection_id else ""
        lines = [f"Checking {self.url} ({self.itsm_type}, {via}{self.auth_type} auth)"]
        width = max(len(check.name) for check in self.checks) + 1
        for check in self.checks:
            name = f"{check.name + ':':<{width}}"
            if check.verdict is CheckVerdict.SKIPPED:
                lines.append(f"{name} skipped ({check.message})")
                continue
            verdict = check.verdict.value + (f" ({check.status})" if check.status else "")
            lines.append(f"{name} {verdict}: {check.message}")
            if (
                check.verdict is not CheckVerdict.OK
                and check.detail
                and check.detail != check.message
            ):
                lines.append(f"{'':<{width}} ({check.detail})")
        lines.append(self._result())
        return "\n".join(lines)

    def _result(self) -> str:
        if not self.usable:
            stopped = next(c for c in self.checks if not c.usable)
            return (
                f"Result: the gateway cannot use this connection ({stopped.name} "
                f"{stopped.verdict.value}); exit code {self.exit_code}"
            )
        warnings = self.warnings
        if not warnings:
            return f"Result: the gateway can use this connection; exit code {self.exit_code}"
        return (
            f"Result: the gateway can use this connection, with {len(warnings)} "
            f"warning{'s' if len(warnings) > 1 else ''} ({', '.join(warnings)}); "
            f"exit code {self.exit_code}"
        )

    def json(self) -> str:
        return orjson.dumps(
            {
                "itsmType": self.itsm_type,
                "instanceUrl": self.url,
                "connectionId": self.connection_id,
                "authType": self.auth_type,
                "table": self.table,
                "usable": self.usable,
                "exitCode": self.exit_code,
                "warnings": self.warnings,
                "checks": [
                    {
                        "name": c.name,
                        "verdict": c.verdict.value,
                        "status": c.status,
                        "message": c.message,
                        "detail": c.detail,
                        "blocking": c.blocking,
                    }
                    for c in self.checks
                ],
            },
            option=orjson.OPT_INDENT_2,
        ).decode()
