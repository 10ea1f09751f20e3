"""``itsm-gateway check-connection`` against the Jira emulator over real HTTP, run as an operator
runs it (a subprocess), by connection profile and by URL; every run's output is searched for the
account's API token.

The emulator is this module's own; permissions are withheld through its ``SitePermissions``
(``emulators.jira.account_api``) and the SLA refusal through its faults.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from aiohttp import web

from emulators.jira import (
    DEFAULT_API_TOKEN,
    DEFAULT_EMAIL,
    DEFAULT_OAUTH_TOKEN,
    JiraState,
    create_app,
)
from emulators.jira.account_api import PERMISSIONS_KEY
from emulators.jira.config import INTEGRATION_ACCOUNT_ID
from tests.e2e.test_e2e_check_connection import verdicts
from tests.e2e.test_e2e_cli import clean_environment, run_to_end
from tests.support.servers import serving

CHECKS = (
    "instance URL",
    "instance",
    "authentication",
    "time zone",
    "project",
    "issue fields",
    "comments",
    "request SLAs",
    "writes",
)
TOKEN_VARIABLE = "LAB_JIRA_TOKEN"
OAUTH_VARIABLE = "LAB_JIRA_OAUTH_TOKEN"
WRONG_TOKEN = "wrong-Sentinel-4f2a91"


@dataclass
class JiraLab:
    url: str
    state: JiraState
    app: web.Application
    settings_file: Path

    def env(self, **variables: str) -> dict[str, str]:
        return {
            **clean_environment(settings_file=str(self.settings_file)),
            TOKEN_VARIABLE: DEFAULT_API_TOKEN,
            OAUTH_VARIABLE: DEFAULT_OAUTH_TOKEN,
            **variables,
        }

    def by_url(self, *options: str, variable: str = TOKEN_VARIABLE) -> list[str]:
        return [
            "check-connection",
            self.url,
            "--itsm-type",
            "jira",
            "--username",
            DEFAULT_EMAIL,
            "--password-env",
            variable,
            *options,
        ]


@pytest.fixture(scope="module")
async def jira_lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[JiraLab]:
    state = JiraState()
    app = create_app(state)
    directory = tmp_path_factory.mktemp("check-connection-jira")
    async with serving(app) as url:
        settings = directory / "settings.toml"
        settings.write_text(
            f"""itsm_allowed_urls = "http://127.0.0.1:*"

[connections.desk]
itsm_type = "jira"
instance_url = "{url}"
auth_type = "basic"
username = "{DEFAULT_EMAIL}"
password_env = "{TOKEN_VARIABLE}"
table = "DESK"

[connections.desk-oauth]
itsm_type = "jira"
instance_url = "{url}"
auth_type = "bearer"
token_env = "{OAUTH_VARIABLE}"
table = "DESK"
"""
        )
        yield JiraLab(url, state, app, settings)


@pytest.fixture
def lab(jira_lab: JiraLab) -> Iterator[JiraLab]:
    jira_lab.state.reset()
    jira_lab.app[PERMISSIONS_KEY].withheld.clear()
    yield jira_lab


async def check(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    code, out, err = await run_to_end(*args, env=env)
    for secret in (DEFAULT_API_TOKEN, DEFAULT_OAUTH_TOKEN, WRONG_TOKEN):
        assert secret not in out + err, f"a secret was printed:\n{out}\n{err}"
    assert "Traceback" not in err, err
    return code, out, err


async def test_a_jira_service_project_passes_every_check(lab: JiraLab) -> None:
    code, out, err = await check("check-connection", "desk", env=lab.env())

    assert code == 0, (out, err)
    assert out.splitlines()[0] == f"Checking {lab.url} (jira, profile desk, basic auth)"
    found = verdicts(out)
    assert list(found) == list(CHECKS)
    assert {name: verdict for name, (verdict, _) in found.items()} == dict.fromkeys(CHECKS, "ok")
    assert found["instance"][1] == f": Jira at {lab.url.removeprefix('http://')} answers in JSON"
    assert found["authentication"][1] == (
        f": basic auth as {DEFAULT_EMAIL} (Gateway Integration) accepted"
    )
    assert found["time zone"][1].startswith(
        ": America/Los_Angeles, from the account's Jira profile (myself.timeZone)"
    )
    assert "DESK readable, a service project" in found["project"][1]
    assert "all 10 fields the gateway maps are there" in found["issue fields"][1]
    assert found["writes"][1].startswith(": may create issues, update their fields")
    assert out.splitlines()[-1] == "Result: the gateway can use this connection; exit code 0"
    assert not [r for r in lab.state.requests if r.method != "GET"]  # nothing written


async def test_a_software_project_by_url_as_json_has_no_slas(lab: JiraLab) -> None:
    code, out, err = await check(*lab.by_url("--table", "OPS", "--json"), env=lab.env())

    assert code == 0, (out, err)
    report = orjson.loads(out)
    assert report["itsmType"] == "jira"
    assert report["table"] == "OPS"
    assert report["warnings"] == []
    checks = {c["name"]: c for c in report["checks"]}
    assert list(checks) == list(CHECKS)
    assert checks["request SLAs"]["verdict"] == "skipped"
    assert checks["request SLAs"]["message"] == "not a service project"


async def test_refused_slas_and_permissions_are_warnings(lab: JiraLab) -> None:
    lab.state.faults.sla_forbidden = True
    lab.app[PERMISSIONS_KEY].withheld[INTEGRATION_ACCOUNT_ID] = {"EDIT_ISSUES", "ASSIGN_ISSUES"}

    code, out, err = await check("check-connection", "desk", env=lab.env())

    assert code == 0, (out, err)
    found = verdicts(out)
    assert found["request SLAs"][0] == "refused"
    assert "(403)" in found["request SLAs"][1]
    assert "ticketBusinessTimeLeft cannot be provided" in found["request SLAs"][1]
    assert found["writes"] == (
        "refused",
        ": may not update their fields (EDIT_ISSUES); assign them (ticketJSON.assignee) "
        "(ASSIGN_ISSUES) in DESK",
    )
    assert out.splitlines()[-1] == (
        "Result: the gateway can use this connection, with 2 warnings (request SLAs, writes); "
        "exit code 0"
    )


async def test_no_project_named_checks_the_account_only(lab: JiraLab) -> None:
    code, out, err = await check(*lab.by_url(), env=lab.env())

    assert code == 0, (out, err)
    found = verdicts(out)
    assert found["project"][0] == "skipped"
    assert [found[n][0] for n in ("issue fields", "comments", "request SLAs")] == ["skipped"] * 3
    assert found["writes"][1].endswith("in some project")


async def test_a_project_that_is_not_there_cannot_be_used(lab: JiraLab) -> None:
    code, out, err = await check(*lab.by_url("--table", "NOPE"), env=lab.env())

    assert code == 1, (out, err)
    found = verdicts(out)
    assert found["project"][0] == "refused"
    assert "no project NOPE the account may browse" in found["project"][1]
    assert [found[n][0] for n in CHECKS[5:]] == ["skipped"] * len(CHECKS[5:])
    assert out.splitlines()[-1] == (
        "Result: the gateway cannot use this connection (project refused); exit code 1"
    )


async def test_a_wrong_api_token_is_refused_authentication(lab: JiraLab) -> None:
    env = lab.env(WRONG_VARIABLE=WRONG_TOKEN)

    code, out, err = await check(*lab.by_url(variable="WRONG_VARIABLE"), env=env)

    assert code == 1, (out, err)
    found = verdicts(out)
    assert found["instance"][0] == "ok"
    assert found["authentication"][0] == "refused"
    assert "API token" in found["authentication"][1]
    assert [found[n][0] for n in CHECKS[3:]] == ["skipped"] * len(CHECKS[3:])


async def test_an_oauth_token_goes_through_the_api_gateway(lab: JiraLab) -> None:
    """Bearer calls go to Atlassian's API gateway (here the emulator's own), by the site's
    cloudId, as the connector's do."""
    env = lab.env(ITSM_GATEWAY_JIRA_CLOUD_API_URL=lab.url)

    code, out, err = await check("check-connection", "desk-oauth", env=env)

    assert code == 0, (out, err)
    found = verdicts(out)
    assert {name: verdict for name, (verdict, _) in found.items()} == dict.fromkeys(CHECKS, "ok")
    assert found["authentication"][1] == (
        f": OAuth 2.0 token accepted, acting as {DEFAULT_EMAIL} (Gateway Integration)"
    )
    paths = [r.path for r in lab.state.requests]
    assert "/oauth/token/accessible-resources" in paths
    assert any(p.startswith("/ex/jira/") and p.endswith("/rest/api/3/myself") for p in paths)
