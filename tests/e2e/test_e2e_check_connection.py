"""``itsm-gateway check-connection`` run as an operator runs it (issue 6, item 6): a real
subprocess against the ServiceNow emulator over real HTTP, by connection profile and by URL, in
each state the emulator can be put in. Every run's output is searched for the sentinel secrets.

The emulator is this module's own, with an account whose secrets are sentinels; the e2e stack's
emulator is not used.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from emulators.servicenow import EmulatorState
from emulators.servicenow import create_app as create_emulator_app
from emulators.servicenow.config import Account, EmulatorConfig, OAuthClient
from tests.e2e.conftest import Stack
from tests.e2e.test_e2e_cli import clean_environment, free_port, run_to_end
from tests.support.servers import serving

USER = "svc.check"
PASSWORD = "pw-Sentinel-c4e1f2"
WRONG_PASSWORD = "wrong-Sentinel-9d03b7"
CLIENT_ID = "check-client"
LAB_VARIABLE = "LAB_SN_PASSWORD"  # the environment variable holding PASSWORD
CLIENT_SECRET = "cs-Sentinel-71aa5e"
SECRETS = (PASSWORD, WRONG_PASSWORD, CLIENT_SECRET)
CHECKS = (
    "instance URL",
    "instance",
    "authentication",
    "incident",
    "incident fields",
    "sys_journal_field",
    "task_sla",
    "time zone",
    "sys_user",
    "sys_user_group",
    "sys_choice",
    "writes",
)
# The emulator has no sys_user_has_role, as many integration accounts may not read it: the
# account's roles, so what it may write, cannot be told.
ALL_OK = {**dict.fromkeys(CHECKS, "ok"), "writes": "unknown"}
# "name:   verdict (status): message" or "name:   skipped (why)"
LINE = re.compile(
    r"^(?P<name>[A-Za-z_ ]+?):\s+(?P<verdict>ok|refused|failed|skipped|unknown)\b(?P<rest>.*)$"
)


@dataclass
class Lab:
    url: str
    emulator: EmulatorState
    settings_file: Path

    def env(self, **variables: str) -> dict[str, str]:
        return {
            **clean_environment(settings_file=str(self.settings_file)),
            LAB_VARIABLE: PASSWORD,
            **variables,
        }

    def basic(self, *options: str, variable: str = LAB_VARIABLE) -> list[str]:
        """``check-connection`` by URL, basic auth, the password by environment variable."""
        return [
            "check-connection",
            self.url,
            "--username",
            USER,
            "--password-env",
            variable,
            *options,
        ]


def _emulator_state() -> EmulatorState:
    return EmulatorState(
        EmulatorConfig(
            accounts=(Account(USER, password=PASSWORD, name="Check Account"),),
            oauth_clients=(OAuthClient(CLIENT_ID, CLIENT_SECRET, USER),),
        )
    )


def _settings_file(directory: Path, url: str, secret_file: Path, allowed: str) -> Path:
    path = directory / "settings.toml"
    path.write_text(
        f"""itsm_allowed_urls = "{allowed}"

[connections.lab]
itsm_type = "servicenow"
instance_url = "{url}"
auth_type = "basic"
username = "{USER}"
password_env = "{LAB_VARIABLE}"

[connections.lab-oauth]
itsm_type = "servicenow"
instance_url = "{url}"
auth_type = "oauth_client_credentials"
client_id = "{CLIENT_ID}"
client_secret_file = "{secret_file}"
"""
    )
    return path


@pytest.fixture(scope="module")
async def lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Lab]:
    state = _emulator_state()
    directory = tmp_path_factory.mktemp("check-connection")
    secret_file = directory / "client-secret"
    secret_file.write_text(CLIENT_SECRET + "\n")
    async with serving(create_emulator_app(state)) as url:
        settings = _settings_file(directory, url, secret_file, "http://127.0.0.1:*")
        yield Lab(url, state, settings)


@pytest.fixture(autouse=True)
def fresh_lab(lab: Lab) -> Iterator[None]:
    lab.emulator.reset()
    yield


async def check(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    code, out, err = await run_to_end(*args, env=env)
    for secret in SECRETS:
        assert secret not in out + err, f"a secret was printed:\n{out}\n{err}"
    assert "Traceback" not in err, err
    return code, out, err


def verdicts(out: str) -> dict[str, tuple[str, str]]:
    """``{check name: (verdict, rest of the line)}`` from the human report."""
    found = {}
    for line in out.splitlines():
        match = LINE.match(line)
        if match:
            found[match["name"]] = (match["verdict"], match["rest"])
    return found


def table_reads(state: EmulatorState) -> list[tuple[str, str | None]]:
    return [(r.method, r.table) for r in state.requests if r.table is not None]


# -- the connection works --------------------------------------------------------------------


async def test_a_working_profile_passes_every_check(lab: Lab) -> None:
    code, out, err = await check("check-connection", "lab", env=lab.env())

    assert code == 0, (out, err)
    found = verdicts(out)
    assert list(found) == list(CHECKS)
    assert {name: verdict for name, (verdict, _) in found.items()} == ALL_OK
    assert f"basic auth as {USER} accepted" in found["authentication"][1]
    assert "read INC0010001" in found["incident"][1]
    assert out.splitlines()[-1] == "Result: the gateway can use this connection; exit code 0"
    assert found["time zone"][1] == f": America/Los_Angeles, from sys_user.time_zone of {USER}"
    # One read of each table (sys_user twice: the account's zone, then any user), nothing written.
    assert table_reads(lab.emulator) == [
        ("GET", "incident"),
        ("GET", "sys_journal_field"),
        ("GET", "task_sla"),
        ("GET", "sys_user"),
        ("GET", "sys_user"),
        ("GET", "sys_user_group"),
        ("GET", "sys_choice"),
        ("GET", "sys_user_has_role"),
    ]


async def test_a_working_url_reported_as_json(lab: Lab) -> None:
    password_file = lab.settings_file.parent / "password"
    password_file.write_text(PASSWORD + "\n")
    args = ["check-connection", lab.url, "--username", USER, "--password-file", str(password_file)]

    code, out, err = await check(*args, "--json", env=lab.env())

    assert code == 0, (out, err)
    report = orjson.loads(out)
    assert report["instanceUrl"] == lab.url
    assert report["connectionId"] is None
    assert report["authType"] == "basic"
    assert report["table"] == "incident"
    assert report["usable"] is True
    assert report["exitCode"] == 0
    assert report["warnings"] == []
    assert [c["name"] for c in report["checks"]] == list(CHECKS)
    assert {c["name"]: c["verdict"] for c in report["checks"]} == ALL_OK


async def test_an_oauth_profile_gets_a_token_then_passes(lab: Lab) -> None:
    code, out, err = await check("check-connection", "lab-oauth", env=lab.env())

    assert code == 0, (out, err)
    found = verdicts(out)
    assert found["authentication"] == (
        "ok",
        f": OAuth token issued to client {CLIENT_ID} and accepted",
    )
    assert any(r.path == "/oauth_token.do" for r in lab.emulator.requests)


# -- degraded: usable, with warnings ---------------------------------------------------------


async def test_journal_refused_is_a_warning_about_display_text_and_time_zone(lab: Lab) -> None:
    lab.emulator.faults.journal_forbidden = True

    code, out, err = await check("check-connection", "lab", env=lab.env())

    assert code == 0, (out, err)
    line = next(line for line in out.splitlines() if line.startswith("sys_journal_field:"))
    assert re.sub(r"\s+", " ", line) == (
        "sys_journal_field: refused (403): comments and work notes will be read from the "
        "incident's display text; set itsmTimeZoneOffset so their times are right"
    )
    assert verdicts(out)["task_sla"][0] == "ok"
    assert "Insufficient rights to query records" in out  # ServiceNow's own words, below it
    assert out.splitlines()[-1] == (
        "Result: the gateway can use this connection, with 1 warning (sys_journal_field); "
        "exit code 0"
    )


async def test_sla_table_refused_is_a_warning_as_json(lab: Lab) -> None:
    lab.emulator.faults.sla_forbidden = True

    code, out, err = await check("check-connection", "lab", "--json", env=lab.env())

    assert code == 0, (out, err)
    report = orjson.loads(out)
    assert report["usable"] is True
    assert report["exitCode"] == 0
    assert report["warnings"] == ["task_sla"]
    sla = _named(report, "task_sla")
    assert sla["verdict"] == "refused"
    assert sla["status"] == 403
    assert sla["blocking"] is False
    assert sla["message"].startswith("ticketBusinessTimeLeft cannot be provided")
    assert _named(report, "sys_journal_field")["verdict"] == "ok"


async def test_the_gateway_does_what_the_sla_warning_says(stack: Stack) -> None:
    """The warning's claim, held to the gateway: with task_sla refused, a fetch of every field
    (empty ticketFields) answers 200 with ticketBusinessTimeLeft empty and the message naming
    task_sla (issue 12: it was a 502), and one without ticketBusinessTimeLeft works."""
    stack.emulator.faults.sla_forbidden = True
    body = {"ticketNumber": "INC0010001", "connectionDetails": stack.connection()}

    every_field = await stack.rest("POST", "fetch", {**body, "ticketFields": []})
    without_it = await stack.rest("POST", "fetch", {**body, "ticketFields": ["ticketNumber"]})

    assert every_field.status_code == 200, every_field.text
    assert every_field.json()["ticketDetails"]["ticketBusinessTimeLeft"] == ""
    assert "task_sla" in every_field.json()["statusMessage"]
    assert without_it.status_code == 200, without_it.text


async def test_a_column_the_account_cannot_see_is_named_with_the_fields_it_empties(
    lab: Lab,
) -> None:
    """A field ACL, emulated by dropping ``resolved_by`` from every incident answer."""
    app = create_emulator_app(lab.emulator)
    app.middlewares.append(_hide_column("resolved_by"))
    async with serving(app) as url:
        args = ["check-connection", url, "--username", USER, "--password-env", LAB_VARIABLE]
        code, out, err = await check(*args, env=lab.env())

    assert code == 0, (out, err)
    verdict, rest = verdicts(out)["incident fields"]
    assert verdict == "refused"
    assert rest.startswith(": resolved_by not in the answer")
    assert rest.endswith("closureNotes, resolvedBy will be empty")
    assert "1 warning (incident fields)" in out.splitlines()[-1]


async def test_an_oauth_client_reports_the_instance_default_zone(lab: Lab) -> None:
    """oauth_client_credentials names no user: the zone is the instance default, and the
    account's roles cannot be looked up."""
    code, out, err = await check("check-connection", "lab-oauth", env=lab.env())

    assert code == 0, (out, err)
    found = verdicts(out)
    assert found["time zone"] == (
        "ok",
        ": America/Los_Angeles, from the instance default (glide.sys.default.tz)",
    )
    assert found["writes"][0] == "unknown"
    assert "oauth_client_credentials names no user" in found["writes"][1]


async def test_people_groups_and_choices_refused_are_warnings(lab: Lab) -> None:
    app = create_emulator_app(lab.emulator)
    for table in ("sys_user", "sys_user_group", "sys_choice"):
        app.middlewares.append(_answer(table, 403))
    async with serving(app) as url:
        args = ["check-connection", url, "--username", USER, "--password-env", LAB_VARIABLE]
        code, out, err = await check(*args, env=lab.env())

    assert code == 0, (out, err)
    found = verdicts(out)
    # sys_user refused: the zone is the instance default, as the connector learns it.
    assert found["time zone"][1] == (
        ": America/Los_Angeles, from the instance default (glide.sys.default.tz)"
    )
    assert found["sys_user"][0] == "refused"
    assert "assignedTo and callerId cannot be written by name" in found["sys_user"][1]
    assert found["sys_user_group"][0] == "refused"
    assert "assignedGroup cannot be written by name" in found["sys_user_group"][1]
    assert found["sys_choice"][0] == "refused"
    assert "built-in lists" in found["sys_choice"][1]
    assert out.splitlines()[-1] == (
        "Result: the gateway can use this connection, with 3 warnings (sys_user, "
        "sys_user_group, sys_choice); exit code 0"
    )


async def test_rows_filtered_out_by_acls_are_a_warning(lab: Lab) -> None:
    app = create_emulator_app(lab.emulator)
    app.middlewares.append(_answer("sys_user_group", 200, []))
    async with serving(app) as url:
        args = ["check-connection", url, "--username", USER, "--password-env", LAB_VARIABLE]
        code, out, err = await check(*args, env=lab.env())

    assert code == 0, (out, err)
    verdict, rest = verdicts(out)["sys_user_group"]
    assert verdict == "refused"
    assert rest.startswith(": no row visible (ACLs?): assignedGroup cannot be written")


async def test_the_account_roles_tell_what_it_may_write(lab: Lab) -> None:
    app = create_emulator_app(lab.emulator)
    app.middlewares.append(_answer("sys_user_has_role", 200, [{"role": "itil"}]))
    async with serving(app) as url:
        args = ["check-connection", url, "--username", USER, "--password-env", LAB_VARIABLE]
        code, out, err = await check(*args, env=lab.env())

    assert code == 0, (out, err)
    assert verdicts(out)["writes"] == (
        "ok",
        f": {USER} holds itil: may create and update incidents",
    )
    query = next(r for r in lab.emulator.requests if r.table == "sys_user_has_role")
    assert query.method == "GET"


def _answer(table: str, status: int, result: list[dict[str, str]] | None = None) -> Any:
    """A middleware answering every list read of ``table`` itself: ``status`` with ``result``
    (200), or ServiceNow's 403 body (an ACL refusing the table)."""

    @web.middleware
    async def answer(request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.endswith(f"/table/{table}"):
            return await handler(request)
        await handler(request)  # authenticated and recorded as usual
        if status == 403:
            error = {"message": "Insufficient rights to query records", "detail": None}
            body: dict[str, Any] = {"error": error, "status": "failure"}
        else:
            body = {"result": result or []}
        return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")

    return answer


def _hide_column(column: str) -> Any:
    @web.middleware
    async def hide(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        answered = isinstance(response, web.Response) and response.status == 200
        if "/table/incident" not in request.path or not answered:
            return response
        body = orjson.loads(response.body)
        rows = body["result"] if isinstance(body["result"], list) else [body["result"]]
        for row in rows:
            row.pop(column, None)
        return web.Response(
            body=orjson.dumps(body), status=response.status, content_type="application/json"
        )

    return hide


# -- the connection cannot work: exit 1 ------------------------------------------------------


async def test_a_hibernating_instance_cannot_be_used(lab: Lab) -> None:
    lab.emulator.faults.hibernating = True

    code, out, err = await check(*lab.basic(), env=lab.env())

    assert code == 1, (out, err)
    found = verdicts(out)
    assert found["instance"][0] == "failed"
    assert "hibernating or behind a login page" in found["instance"][1]
    assert [found[name][0] for name in CHECKS[2:]] == ["skipped"] * len(CHECKS[2:])
    assert out.splitlines()[-1] == (
        "Result: the gateway cannot use this connection (instance failed); exit code 1"
    )


async def test_a_wrong_password_is_refused_authentication(lab: Lab) -> None:
    env = lab.env(WRONG_SN_PASSWORD=WRONG_PASSWORD)

    code, out, err = await check(*lab.basic(variable="WRONG_SN_PASSWORD"), env=env)

    assert code == 1, (out, err)
    line = next(line for line in out.splitlines() if line.startswith("authentication:"))
    assert re.sub(r"\s+", " ", line) == (
        "authentication: refused (401): check the username and password"
    )
    assert "User Not Authenticated" in out
    assert verdicts(out)["incident"][0] == "skipped"


async def test_a_wrong_password_as_json(lab: Lab) -> None:
    env = lab.env(WRONG_SN_PASSWORD=WRONG_PASSWORD)

    code, out, err = await check(*lab.basic("--json", variable="WRONG_SN_PASSWORD"), env=env)

    assert code == 1, (out, err)
    report = orjson.loads(out)
    assert report["usable"] is False
    assert report["exitCode"] == 1
    authentication = _named(report, "authentication")
    assert (authentication["verdict"], authentication["status"]) == ("refused", 401)


async def test_an_unreachable_instance_cannot_be_used(lab: Lab) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    args = ["check-connection", closed, "--username", USER, "--password-env", LAB_VARIABLE]

    code, out, err = await check(*args, env=lab.env())

    assert code == 1, (out, err)
    verdict, rest = verdicts(out)["instance"]
    assert verdict == "failed"
    assert "unreachable" in rest


async def test_a_url_outside_the_allow_list_is_refused_without_contacting_it(lab: Lab) -> None:
    # No settings file: the default allow-list, ServiceNow's own domains only.
    env = {**clean_environment(), LAB_VARIABLE: PASSWORD}

    code, out, err = await check(*lab.basic(), env=env)

    assert code == 1, (out, err)
    verdict, rest = verdicts(out)["instance URL"]
    assert verdict == "refused"
    assert "is not an allowed ITSM address" in rest
    assert "ITSM_GATEWAY_ITSM_ALLOWED_URLS" in rest
    assert [verdicts(out)[name][0] for name in CHECKS[1:]] == ["skipped"] * len(CHECKS[1:])
    assert lab.emulator.requests == []


# -- bad usage or settings: exit 2 -----------------------------------------------------------


async def test_a_profile_that_does_not_exist_is_a_usage_error(lab: Lab) -> None:
    code, out, err = await check("check-connection", "nope", env=lab.env())

    assert code == 2, (out, err)
    assert out == ""
    assert "no connection profile named 'nope'" in err
    assert "lab, lab-oauth" in err
    assert lab.emulator.requests == []


async def test_an_itsm_type_given_with_a_profile_is_a_usage_error(lab: Lab) -> None:
    code, out, err = await check("check-connection", "lab", "--itsm-type", "jira", env=lab.env())

    assert code == 2, (out, err)
    assert "leave out --itsm-type" in err
    assert lab.emulator.requests == []


async def test_a_password_on_the_command_line_is_refused_unread(lab: Lab) -> None:
    code, out, err = await check(
        "check-connection", lab.url, "--username", USER, f"--password={PASSWORD}", env=lab.env()
    )

    assert code == 2, (out, err)
    assert "--password-env" in err
    assert lab.emulator.requests == []


async def test_a_password_inside_the_url_is_refused_unread(lab: Lab) -> None:
    with_userinfo = lab.url.replace("http://", f"http://{USER}:{PASSWORD}@")
    args = ["check-connection", with_userinfo, "--username", USER, "--password-env", LAB_VARIABLE]

    code, out, err = await check(*args, env=lab.env())

    assert code == 2, (out, err)
    assert "must not carry credentials" in err
    assert lab.emulator.requests == []


async def test_a_password_variable_that_is_not_set_is_a_usage_error(lab: Lab) -> None:
    code, out, err = await check(*lab.basic(variable="UNSET_SN_PASSWORD"), env=lab.env())

    assert code == 2, (out, err)
    assert "--password-env" in err
    assert lab.emulator.requests == []


def _named(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(check for check in report["checks"] if check["name"] == name)
