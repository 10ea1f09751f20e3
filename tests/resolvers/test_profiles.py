"""Server-side connection profiles (issue 4, item 2): read and checked at start-up with errors
naming the profile and key, secrets only from the environment or files and never shown; then
named by ``connectionId`` under the rules of ``resolvers.profiles``."""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from connectors.capabilities import Capabilities
from connectors.errors import BadInput, Forbidden, Unavailable
from connectors.jira.capabilities import JIRA
from connectors.rt.capabilities import REQUEST_TRACKER
from connectors.servicenow.capabilities import SERVICENOW
from gateway.outbound.guard import AddressGuard
from gateway.outbound.url_policy import UrlPolicy
from gateway.profiles import connection_resolver, load_profiles
from gateway.settings import Settings, SettingsError
from resolvers.connections import ConnectionDetails, ConnectionResolver
from resolvers.profiles import ConnectionProfile
from tests.resolvers.test_ssrf import FakeDns

SECRET = "s3cr3t-Sentinel-\u00e9-9f1c"  # never in a message, a repr or a log
FILE_SECRET = "f1le-Sentinel-77aa"
POLICY = UrlPolicy.from_text("https://*.service-now.com,http://127.0.0.1:*")
TYPES = ("servicenow",)
TOOLS = (SERVICENOW,)
ALL_TOOLS = (SERVICENOW, JIRA, REQUEST_TRACKER)
ENV = {"ACME_SN_PASSWORD": SECRET}


def acme(**changes: Any) -> dict[str, Any]:
    table: dict[str, Any] = {
        "itsm_type": "servicenow",
        "instance_url": "https://acme.service-now.com",
        "auth_type": "basic",
        "username": "svc.smartops",
        "password_env": "ACME_SN_PASSWORD",
    }
    table.update(changes)
    return {k: v for k, v in table.items() if v is not None}


def public_dns(host: str, port: int) -> Sequence[str]:
    return ["149.96.5.10"]


def load(
    tables: dict[str, Any],
    environ: dict[str, str] | None = None,
    resolve: Any = public_dns,
    tools: tuple[Capabilities, ...] = TOOLS,
) -> dict[str, ConnectionProfile]:
    return load_profiles(
        tables, POLICY, tools, environ=ENV if environ is None else environ, resolve=resolve
    )


def problems_of(tables: dict[str, Any], **kwargs: Any) -> str:
    with pytest.raises(SettingsError) as error:
        load(tables, **kwargs)
    message = str(error.value)
    assert SECRET not in message and FILE_SECRET not in message
    return message


# -- loading ------------------------------------------------------------------------------------


def test_a_profile_with_secrets_from_the_environment_and_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "beta-client-secret"
    secret_file.write_text(FILE_SECRET + "\n")
    profiles = load(
        {
            "acme": acme(table="incident", roles=["itsm-acme", "smartops:acme"]),
            "beta": {
                "itsm_type": "ServiceNow",
                "instance_url": "https://beta.service-now.com/",
                "auth_type": "oauth_client_credentials",
                "client_id": "beta-client",
                "client_secret_file": str(secret_file),
            },
        }
    )
    assert profiles["acme"].credentials.password == SECRET
    assert profiles["acme"].url.base == "https://acme.service-now.com"
    assert profiles["acme"].tables == ("incident",)
    assert profiles["acme"].roles == ("itsm-acme", "smartops:acme")
    beta = profiles["beta"]
    assert (beta.itsm_type, beta.url.base, beta.tables) == (
        "servicenow",
        "https://beta.service-now.com",
        ("incident",),  # a profile that lists none opens the ticket table only
    )
    assert beta.credentials.client_secret == FILE_SECRET  # the trailing newline dropped
    for profile in profiles.values():
        assert SECRET not in repr(profile) and FILE_SECRET not in repr(profile)


def test_the_named_message_for_a_variable_that_is_not_set() -> None:
    message = problems_of({"acme": acme()}, environ={})
    assert message == (
        "connections.acme.password_env: environment variable ACME_SN_PASSWORD is not set"
    )


@pytest.mark.parametrize("key", ["password", "client_secret", "api_key", "token", "apiKey"])
def test_an_inline_secret_is_refused_without_quoting_it(key: str) -> None:
    message = problems_of({"acme": acme(**{key: SECRET})})
    assert f"connections.acme.{key}: secrets may not be written in the settings file" in message
    assert "_env" in message and "_file" in message


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"itsm_type": None}, "connections.acme.itsm_type is required (one of: servicenow)"),
        ({"itsm_type": "jira"}, "connections.acme.itsm_type 'jira' is not one of: servicenow"),
        ({"instance_url": None}, "connections.acme.instance_url is required"),
        (
            {"instance_url": "https://evil.example.com"},
            "connections.acme.instance_url 'https://evil.example.com' is not an allowed",
        ),
        (
            {"instance_url": "http://127.1:8089"},
            "connections.acme.instance_url 'http://127.1:8089' is not a valid URL (a numeric",
        ),
        (
            {"instance_url": "https://acme.service-now.com/api"},
            "connections.acme.instance_url 'https://acme.service-now.com/api' is not an allowed "
            "ITSM address: give the instance's base URL",
        ),
        ({"auth_type": None}, "connections.acme.auth_type is required"),
        ({"auth_type": "ntlm"}, "connections.acme.auth_type 'ntlm' is not one of: basic"),
        ({"username": None}, "connections.acme: auth_type basic needs username"),
        (
            {"password_env": None},
            "connections.acme: auth_type basic needs password_env or password_file",
        ),
        (
            {"api_key_env": "ACME_SN_PASSWORD"},
            "connections.acme: api_key_env or api_key_file is not used by auth_type basic",
        ),
        ({"password_file": "/x"}, "connections.acme: give password_env or password_file, not"),
        ({"password_env": SECRET}, "connections.acme.password_env must name an environment"),
        ({"password_env": 7}, "connections.acme.password_env must name an environment"),
        ({"password_file": "secret.txt", "password_env": None}, "must be an absolute path"),
        (
            {"password_file": "/nonexistent/secret", "password_env": None},
            "connections.acme.password_file: cannot read /nonexistent/secret",
        ),
        ({"table": "incident; drop"}, "connections.acme.tables: 'incident; drop' is not a"),
        ({"table": 3}, "connections.acme.tables must be a non-empty list of table names"),
        ({"tables": []}, "connections.acme.tables must be a non-empty list of table names"),
        ({"tables": ["incident", "Sys_User"]}, "'Sys_User' is not a ServiceNow table name"),
        ({"tables": ["incident"], "table": "incident"}, "give tables or table, not both"),
        ({"roles": "itsm-acme"}, "connections.acme.roles must be a list of role names"),
        ({"roles": ["ok", ""]}, "connections.acme.roles must be a list of role names"),
        ({"pasword_env": "X"}, "connections.acme.pasword_env is not a profile key; valid keys"),
    ],
)
def test_each_problem_names_the_profile_and_key(changes: dict[str, Any], words: str) -> None:
    assert words in problems_of({"acme": acme(**changes)})


def test_every_problem_is_reported_at_once() -> None:
    message = problems_of(
        {
            "acme": acme(password=SECRET, itsm_type="jira"),
            "beta": acme(instance_url="https://beta.example.com"),
            "bad name!": acme(),
            "gamma": "not a table",
        }
    )
    for words in (
        "connections.acme.password:",
        "connections.acme.itsm_type",
        "connections.beta.instance_url",
        "connections.bad name!: a profile name",
        "connections.gamma must be a table",
    ):
        assert words in message


def test_empty_secrets_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert "environment variable ACME_SN_PASSWORD is empty" in problems_of(
        {"acme": acme()}, environ={"ACME_SN_PASSWORD": " "}
    )
    assert f"connections.acme.password_file: {empty} is empty" in problems_of(
        {"acme": acme(password_env=None, password_file=str(empty))}
    )


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (["127.0.0.1"], "host acme.service-now.com resolves to a loopback address"),
        (["149.96.5.10", "10.0.0.1"], "resolves to a private address"),
        (["169.254.169.254"], "resolves to a link-local address"),
        (socket.gaierror(socket.EAI_NONAME, "x"), "cannot resolve host acme.service-now.com"),
    ],
)
def test_the_instance_host_is_resolved_at_start_up(answer: Any, words: str) -> None:
    def resolve(host: str, port: int) -> Sequence[str]:
        if isinstance(answer, BaseException):
            raise answer
        return answer

    message = problems_of({"acme": acme()}, resolve=resolve)
    assert message.startswith("connections.acme.instance_url: ")
    assert words in message


def test_dns_that_does_not_answer_at_start_up_only_warns(caplog: pytest.LogCaptureFixture) -> None:
    def resolve(host: str, port: int) -> Sequence[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    caplog.set_level(logging.WARNING)
    assert set(load({"acme": acme()}, resolve=resolve)) == {"acme"}
    assert "cannot resolve acme.service-now.com at start-up" in caplog.text


def test_a_vouched_or_literal_host_is_not_resolved_at_start_up() -> None:
    def resolve(host: str, port: int) -> Sequence[str]:
        raise AssertionError("not asked")

    profiles = load({"local": acme(instance_url="http://127.0.0.1:8089")}, resolve=resolve)
    assert profiles["local"].url.vouched


def test_profiles_come_from_the_settings_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_text(FILE_SECRET + "\r\n")
    settings_file = tmp_path / "gateway.toml"
    settings_file.write_text(
        f"""
keycloak_issuer = "https://sso.example.com/realms/smartops"
itsm_allowed_urls = "http://127.0.0.1:*"

[connections.lab]
itsm_type = "servicenow"
instance_url = "http://127.0.0.1:8089"
auth_type = "bearer"
token_file = "{secret_file}"
roles = ["itsm-lab"]
"""
    )
    settings = Settings.load({"ITSM_GATEWAY_SETTINGS_FILE": str(settings_file)})
    resolver = connection_resolver(settings, TOOLS, environ={})
    assert isinstance(resolver, ConnectionResolver)
    profiles = load_profiles(settings.connections, settings.url_policy(), TOOLS, environ={})
    assert profiles["lab"].credentials.token == FILE_SECRET
    assert profiles["lab"].roles == ("itsm-lab",)


# -- using a profile ----------------------------------------------------------------------------


def resolver_with(dns: FakeDns | None = None, **changes: Any) -> ConnectionResolver:
    profiles = load({"acme": acme(**changes)})
    dns = dns or FakeDns({"acme.service-now.com": ["149.96.5.10"]})
    return ConnectionResolver(AddressGuard(POLICY, resolve_host=dns), TYPES, profiles=profiles)


async def test_a_request_naming_a_profile_gets_its_connection() -> None:
    connection = await resolver_with().resolve(
        ConnectionDetails(connection_id=" acme "), frozenset()
    )
    assert connection.instance_url == "https://acme.service-now.com"
    assert connection.itsm_type == "servicenow"
    assert connection.credentials.username == "svc.smartops"
    assert connection.credentials.password == SECRET
    assert connection.table == "incident"  # the profile's first (here: default) table
    assert connection.scopes == frozenset({"incident"})


@pytest.mark.parametrize(
    ("details", "words"),
    [
        (ConnectionDetails(connection_id="nope"), "no connection profile named 'nope'"),
        (ConnectionDetails(connection_id=""), "connectionId is empty"),
        (
            ConnectionDetails(connection_id="acme", instance_url="https://x.service-now.com"),
            "may not also set instanceUrl;",
        ),
        (
            ConnectionDetails(
                connection_id="acme",
                auth_type="basic",
                username="u",
                password=SECRET,
                client_id="c",
                client_secret=SECRET,
                api_key=SECRET,
                token=SECRET,
            ),
            "may not also set authType, username, password, clientId, clientSecret, apiKey, token;",
        ),
        (ConnectionDetails(connection_id="acme", password=""), "may not also set password"),
        (
            ConnectionDetails(connection_id="acme", itsm_type="jira"),
            "itsmType 'jira' does not match connection profile 'acme' (servicenow)",
        ),
        (ConnectionDetails(connection_id="acme", table="sys user"), "is not a table name"),
    ],
)
async def test_requests_that_misuse_a_profile_are_bad_input(
    details: ConnectionDetails, words: str
) -> None:
    with pytest.raises(BadInput) as error:
        await resolver_with().resolve(details, frozenset())
    assert error.value.status == 400
    assert words in error.value.message
    assert SECRET not in error.value.message
    assert "acme.service-now.com" not in error.value.message  # nothing about the profile


async def test_itsm_type_may_repeat_the_profiles() -> None:
    details = ConnectionDetails(connection_id="acme", itsm_type=" ServiceNow")
    assert (await resolver_with().resolve(details, frozenset())).itsm_type == "servicenow"


@pytest.mark.parametrize(
    "table", ["sys_user", "sys_user_has_role", "sys_properties", "problem", "change_request"]
)
async def test_a_profile_opens_its_tables_only(table: str) -> None:
    opened = resolver_with(tables=["incident", "sc_task"])
    for named, expected in ((None, "incident"), ("sc_task", "sc_task"), ("incident", "incident")):
        connection = await opened.resolve(
            ConnectionDetails(connection_id="acme", table=named), frozenset()
        )
        assert connection.table == expected
    for profile in (opened, resolver_with()):  # listed tables, or the default (incident only)
        with pytest.raises(Forbidden) as refused:
            await profile.resolve(ConnectionDetails(connection_id="acme", table=table), frozenset())
        assert refused.value.status == 403
        assert f"{table!r} is not one of them" in refused.value.message
        assert "opens the tables incident" in refused.value.message


async def test_a_system_table_is_open_where_the_operator_names_it() -> None:
    named = resolver_with(tables=["incident", "sys_user"])
    connection = await named.resolve(
        ConnectionDetails(connection_id="acme", table="sys_user"), frozenset()
    )
    assert connection.table == "sys_user"


def test_a_jira_profile_must_list_its_projects_and_rt_opens_general() -> None:
    jira = {
        "itsm_type": "jira",
        "instance_url": "https://acme.service-now.com",  # any allowed URL: only tables matter
        "auth_type": "basic",
        "username": "bot@acme.example",
        "password_env": "ACME_SN_PASSWORD",
    }
    assert "connections.desk.tables is required for Jira" in problems_of(
        {"desk": jira}, tools=ALL_TOOLS
    )
    assert load({"desk": {**jira, "tables": ["DESK"]}}, tools=ALL_TOOLS)["desk"].tables == ("DESK",)
    rt = {**jira, "itsm_type": "rt"}
    profile = load({"rt": rt}, tools=ALL_TOOLS)["rt"]
    assert profile.tables == ("General",) and profile.scope.noun == "queue"
    queues = load({"rt": {**rt, "tables": ["IT Support", "General"]}}, tools=ALL_TOOLS)
    assert queues["rt"].tables == (
        "IT Support",
        "General",
    )


async def test_a_role_limited_profile() -> None:
    limited = resolver_with(roles=["itsm-acme", "smartops:acme"])
    for roles in ({"itsm-acme"}, {"smartops:acme", "other"}):
        connection = await limited.resolve(
            ConnectionDetails(connection_id="acme"), frozenset(roles)
        )
        assert connection.instance_url == "https://acme.service-now.com"
    for roles in (set(), {"itsm-reader"}, {"acme"}, {"other:acme"}):
        with pytest.raises(Forbidden) as error:
            await limited.resolve(ConnectionDetails(connection_id="acme"), frozenset(roles))
        assert error.value.status == 403
        assert "connection profile 'acme'" in error.value.message
        assert "itsm-acme, smartops:acme" in error.value.message


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (["127.0.0.1"], "now resolves to a loopback address, which the gateway refuses"),
        (socket.gaierror(socket.EAI_NONAME, "x"), "cannot be resolved (no such name)"),
        (socket.gaierror(socket.EAI_AGAIN, "x"), "cannot be resolved right now"),
    ],
)
async def test_a_profile_host_is_checked_again_at_use(answer: Any, words: str) -> None:
    dns = FakeDns({"acme.service-now.com": answer})
    with pytest.raises(Unavailable) as error:
        await resolver_with(dns).resolve(ConnectionDetails(connection_id="acme"), frozenset())
    assert error.value.status == 503
    assert "connection profile 'acme': host acme.service-now.com" in error.value.message
    assert "operator" in error.value.message
    assert "127.0.0.1" not in error.value.message
