"""Issue 13, item 1, over real HTTP through both doors: a connection profile lends the operator's
ITSM account to callers, so it opens only the tables (Jira projects, RT queues) the operator
listed, the tool's ticket table by default. Every other one is refused before anything reaches
the ITSM; system tables are reachable only where the operator named them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from connectors.catalog import capabilities
from emulators.jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, JiraState, seed
from emulators.jira import create_app as create_jira_app
from gateway.app import create_app
from gateway.profiles import connection_resolver
from gateway.settings import Settings
from tests.e2e.conftest import SN_PASSWORD, SN_USER, Stack
from tests.e2e.doors import DOOR_IDS, DOORS, Door
from tests.resolvers.test_ssrf import FakeDns
from tests.support.servers import serving, wait_until_ready

doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
SYSTEM_TABLES = ["sys_user", "sys_user_has_role", "sys_properties", "sys_script"]


@dataclass
class Lab:
    stack: Stack  # its gateway serves the profiles below
    jira: JiraState


@pytest.fixture(scope="module")
async def lab(stack: Stack) -> AsyncIterator[Lab]:
    assert stack.issuer is not None
    jira = JiraState(clock=lambda: seed.SEED_NOW)
    async with serving(create_jira_app(jira)) as jira_url:
        servicenow = {
            "itsm_type": "servicenow",
            "instance_url": stack.emulator_url,
            "auth_type": "basic",
            "username": SN_USER,
            "password_env": "LAB_SN_PASSWORD",
        }
        settings = Settings(
            keycloak_issuer=stack.issuer.issuer,
            keycloak_audience=stack.issuer.audience,
            itsm_allowed_urls="http://127.0.0.1:*",
            connections={
                "sn": servicenow,  # lists nothing: incident only
                "sn-users": {**servicenow, "tables": ["incident", "sys_user"]},
                "desk": {
                    "itsm_type": "jira",
                    "instance_url": jira_url,
                    "auth_type": "basic",
                    "username": DEFAULT_EMAIL,
                    "password_env": "LAB_JIRA_TOKEN",
                    "tables": ["DESK"],
                },
            },
        )
        environ = {"LAB_SN_PASSWORD": SN_PASSWORD, "LAB_JIRA_TOKEN": DEFAULT_API_TOKEN}
        connections = connection_resolver(
            settings, capabilities(), environ=environ, resolve_host=FakeDns({})
        )
        async with serving(create_app(settings, connections=connections)) as url:
            await wait_until_ready(url)
            yield Lab(
                Stack(url, stack.emulator_url, stack.emulator, stack.issuer, stack.http), jira
            )


@pytest.fixture(autouse=True)
def fresh(lab: Lab) -> None:
    lab.stack.emulator.reset()
    lab.jira.reset()


def profile(name: str, table: str | None = None) -> dict[str, Any]:
    return {"connectionId": name, **({"table": table} if table else {})}


@doors
@pytest.mark.parametrize("table", SYSTEM_TABLES)
async def test_a_system_table_is_refused_through_a_default_profile(
    lab: Lab, door: Door, table: str
) -> None:
    stack = lab.stack
    fetched = await door.fetch(stack, "INC0010001", ["ticketNumber"], profile("sn", table))
    created = await door.create(stack, {"name": "x"}, ["sysId"], profile("sn", table))
    updated = await door.update(
        stack, "a" * 32, {"active": "false"}, ["sysId"], profile("sn", table)
    )
    for outcome in (fetched, created, updated):
        assert outcome.status == 403, outcome.message
        assert f"{table!r} is not one of them" in outcome.message
        assert "opens the tables incident only" in outcome.message
    assert stack.emulator.requests == []  # nothing reached ServiceNow


@doors
async def test_the_default_and_the_listed_tables_work(lab: Lab, door: Door) -> None:
    stack = lab.stack
    assert (await door.fetch(stack, "INC0010001", ["ticketNumber"], profile("sn"))).status == 200
    listed = await door.fetch(
        stack, "INC0010001", ["ticketNumber"], profile("sn-users", "incident")
    )
    assert listed.status == 200
    # The operator named sys_user for this profile: a caller may reach it (its records have no
    # number, so the fetch finds none: 404, from ServiceNow itself).
    named = await door.fetch(stack, "INC0010001", ["ticketNumber"], profile("sn-users", "sys_user"))
    assert named.status == 404
    assert any(r.table == "sys_user" for r in stack.emulator.requests)


@doors
async def test_a_jira_profile_reaches_its_projects_issues_only(lab: Lab, door: Door) -> None:
    stack = lab.stack
    own = await door.fetch(stack, "DESK-1", ["ticketNumber"], profile("desk"))
    assert own.status == 200 and own.details["ticketNumber"] == "DESK-1"
    other = await door.fetch(stack, "OPS-1", ["ticketNumber"], profile("desk"))
    assert other.status == 404  # another project's issue, as if it did not exist
    refused = await door.fetch(stack, "OPS-1", ["ticketNumber"], profile("desk", "OPS"))
    assert refused.status == 403 and "opens the projects DESK only" in refused.message
