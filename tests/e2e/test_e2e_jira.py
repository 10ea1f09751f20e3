"""The Jira Service Management connector end to end: a real gateway over real HTTP, both doors,
in front of the Jira emulator (``emulators/jira``), with real signed tokens.

The gateway, token issuer and ServiceNow emulator are the session's ``stack``; this module adds a
Jira emulator on loopback (allowed by the stack's ``http://127.0.0.1:*``) whose clock is held at
the seed's time, so that SLA times left are exact. Its data and request log are reset before
every test. OAuth 2.0 (``bearer``) calls go to Atlassian's API gateway, which the emulator also
plays: ``oauth_stack`` is a second gateway whose ``ITSM_GATEWAY_JIRA_CLOUD_API_URL`` is the
emulator.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shlex
import signal
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from connectors.fields import DEFAULT_FIELD_NAMES
from emulators.jira import (
    CLOUD_ID,
    DEFAULT_API_TOKEN,
    DEFAULT_EMAIL,
    DEFAULT_OAUTH_TOKEN,
    JiraState,
    seed,
)
from emulators.jira import create_app as create_jira_app
from emulators.jira.adf import from_text
from emulators.jira.control import stored
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, NOTE_SUBFIELDS, GraphQLDoor, Outcome
from tests.support.servers import serving, wait_until_ready

WRONG_TOKEN = "ATATT-wrong-Secret-token-0042"
READABLE = [
    "ticketNumber", "ticketStatus", "ticketPriority", "ticketBusinessTimeLeft", "sysId",
    "assignedTo", "shortDescription", "longDescription", "callerId", "comments", "workNotes",
    "createdTime", "updatedTime", "resolvedTime", "createdBy",
]  # fmt: skip


class Jira:
    def __init__(self, url: str, state: JiraState) -> None:
        self.url, self.state = url, state

    def connection(self, **overrides: Any) -> dict[str, Any]:
        details = {
            "itsmType": "jira",
            "instanceUrl": self.url,
            "authType": "basic",
            "username": DEFAULT_EMAIL,
            "password": DEFAULT_API_TOKEN,
        }
        details.update(overrides)
        return {k: v for k, v in details.items() if v is not None}

    def issue(self, key: str) -> dict[str, Any]:
        found = self.state.find(key)
        assert found is not None, key
        return stored(found)

    def writes(self) -> list[Any]:
        return [r for r in self.state.requests if r.method != "GET"]

    def snapshot(self) -> list[dict[str, Any]]:
        return [stored(issue) for issue in self.state.issues.values()]


@pytest.fixture(scope="module")
async def jira_site() -> AsyncIterator[Jira]:
    state = JiraState(clock=lambda: seed.SEED_NOW)
    async with serving(create_jira_app(state)) as url:
        yield Jira(url, state)


@pytest.fixture
def jira(jira_site: Jira) -> Jira:
    jira_site.state.reset()
    return jira_site


@pytest.fixture(scope="module")
async def oauth_stack(stack: Stack, jira_site: Jira) -> AsyncIterator[Stack]:
    """The stack with a gateway configured, from its environment, to reach Atlassian's API
    gateway at the emulator."""
    async with serving(create_app(_oauth_settings(stack, jira_site))) as gateway_url:
        await wait_until_ready(gateway_url)
        yield dataclasses.replace(stack, gateway_url=gateway_url)


def _oauth_settings(stack: Stack, jira: Jira) -> Settings:
    assert stack.issuer is not None
    return Settings.load(
        {
            "ITSM_GATEWAY_KEYCLOAK_ISSUER": stack.issuer.issuer,
            "ITSM_GATEWAY_KEYCLOAK_AUDIENCE": stack.issuer.audience,
            "ITSM_GATEWAY_ITSM_ALLOWED_URLS": "http://127.0.0.1:*",
            "ITSM_GATEWAY_JIRA_CLOUD_API_URL": jira.url,
            "ITSM_GATEWAY_ITSM_READ_TIMEOUT_SECONDS": "5",
        }
    )


def bearer(jira: Jira, token: str = DEFAULT_OAUTH_TOKEN) -> dict[str, Any]:
    return jira.connection(authType="bearer", username=None, password=None, token=token)


async def graphql(stack: Stack, query: str, variables: dict[str, Any], root: str) -> Outcome:
    return GRAPHQL._outcome(await stack.graphql(query, variables), root)


GRAPHQL = GraphQLDoor()


def selection(fields: list[str]) -> str:
    return " ".join(f"{n} {{ {NOTE_SUBFIELDS[n]} }}" if n in NOTE_SUBFIELDS else n for n in fields)


# -- fetch -------------------------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_fetch_every_field(door, stack: Stack, jira: Jira) -> None:
    # REST asks for "every field" with an empty list; GraphQL names what it selects, so it
    # selects the fields Jira provides (naming another is refused: see below).
    fields = [] if door.name == "rest" else READABLE
    outcome = await door.fetch(stack, "DESK-1", fields, connection=jira.connection())

    assert outcome.status == 200, outcome.message
    details = outcome.details
    assert list(details) == (list(DEFAULT_FIELD_NAMES) if door.name == "rest" else READABLE)
    assert {name: details[name] for name in READABLE} == {
        "ticketNumber": "DESK-1",
        "ticketStatus": "Open",
        "ticketPriority": "Medium",
        "ticketBusinessTimeLeft": str(seed.DESK_1_TIME_LEFT_S),
        "sysId": "10001",
        "assignedTo": "",
        "shortDescription": seed.DESK_1_SUMMARY,
        "longDescription": seed.DESK_1_DESCRIPTION,
        "callerId": "Abel Tuter",
        "comments": [
            {
                "commentBy": "Abel Tuter",
                "commentTime": "2026-03-11T14:05:00.000000",
                "comment": seed.DESK_1_PUBLIC,
            }
        ],
        "workNotes": [
            {
                "workNoteBy": "Beth Anglin",
                "workNoteTime": "2026-03-11T15:30:00.000000",
                "workNote": seed.DESK_1_INTERNAL,
            }
        ],
        "createdTime": "2026-03-11T14:00:00.000000",
        "updatedTime": "2026-03-11T15:30:00.000000",
        "resolvedTime": "",
        "createdBy": "Abel Tuter",
    }
    if door.name == "rest":
        # Fields Jira cannot provide answer as having no value when every field is asked for.
        assert details["urgency"] == "" and details["closureNotes"] == []
        assert outcome.message == "Fetched issue DESK-1"


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_only_asked_fields_are_fetched(door, stack: Stack, jira: Jira) -> None:
    outcome = await door.fetch(stack, "DESK-2", ["shortDescription"], connection=jira.connection())

    assert outcome.details == {"shortDescription": "VPN drops every 30 minutes"}
    (request,) = jira.state.requests  # no comment call, no SLA call
    assert request.path == "/rest/api/3/issue/DESK-2"
    assert request.query == {"fields": "project,summary"}


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_field_jira_does_not_provide_is_refused_before_any_call(
    door, stack: Stack, jira: Jira
) -> None:
    outcome = await door.fetch(stack, "DESK-1", ["urgency"], connection=jira.connection())

    assert outcome.status == 400
    assert "Jira Service Management (itsmType jira) cannot provide urgency" in outcome.message
    assert jira.state.requests == []


@pytest.mark.parametrize(
    ("key", "left"),
    [
        ("DESK-1", str(seed.DESK_1_TIME_LEFT_S)),
        ("DESK-2", str(seed.DESK_2_TIME_LEFT_S)),  # breached: negative
        ("DESK-3", str(seed.DESK_3_TIME_LEFT_S)),  # paused
        ("DESK-4", ""),  # resolved: no ongoing SLA
        ("OPS-1", ""),  # a software project's issue has no SLA
    ],
)
async def test_sla_time_left(stack: Stack, jira: Jira, key: str, left: str) -> None:
    outcome = await DOORS[0].fetch(
        stack, key, ["ticketBusinessTimeLeft"], connection=jira.connection()
    )
    assert outcome.details == {"ticketBusinessTimeLeft": left}


async def test_rich_adf_description_reads_as_text(stack: Stack, jira: Jira) -> None:
    outcome = await DOORS[0].fetch(
        stack, "DESK-2", ["longDescription"], connection=jira.connection()
    )
    assert outcome.details["longDescription"] == (
        "Symptoms\n\nThe tunnel drops every 30 minutes since the 5.2 update "
        "(https://vpn.example/5.2).\nReported by @Fred Luddy\n\n1. Connect\n2. Wait 30 minutes"
        "\n\nerror 809: tunnel closed"
    )


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_missing_issue_is_404(door, stack: Stack, jira: Jira) -> None:
    outcome = await door.fetch(stack, "DESK-999", ["ticketNumber"], connection=jira.connection())
    assert outcome.status == 404
    assert outcome.message == f"No Jira issue DESK-999 in {jira.url.removeprefix('http://')}"
    if door.name == "graphql":
        assert outcome.code == "NOT_FOUND"


async def test_a_pinned_project_hides_other_projects_issues(stack: Stack, jira: Jira) -> None:
    outcome = await DOORS[0].fetch(
        stack, "OPS-1", ["ticketNumber"], connection=jira.connection(table="DESK")
    )
    assert outcome.status == 404


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
@pytest.mark.parametrize("auth", ["basic", "bearer"])
async def test_a_refused_credential_is_502_without_the_secret(
    door, auth: str, stack: Stack, oauth_stack: Stack, jira: Jira
) -> None:
    if auth == "basic":
        outcome = await door.fetch(
            stack, "DESK-1", ["ticketNumber"], connection=jira.connection(password=WRONG_TOKEN)
        )
    else:  # refused at the cloudId lookup
        outcome = await door.fetch(
            oauth_stack, "DESK-1", ["ticketNumber"], connection=bearer(jira, WRONG_TOKEN)
        )

    assert outcome.status == 502
    assert "rejected the gateway's credentials (401: You are not authenticated." in outcome.message
    assert outcome.response is not None and WRONG_TOKEN not in outcome.response.text


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_bearer_looks_the_cloud_id_up_once_then_calls_the_api_gateway(
    door, oauth_stack: Stack, jira: Jira
) -> None:
    for _ in range(2):
        outcome = await door.fetch(oauth_stack, "DESK-1", ["ticketStatus"], connection=bearer(jira))
        assert outcome.details == {"ticketStatus": "Open"}

    paths = [r.path for r in jira.state.requests]
    # The lookup may have been made by an earlier test: the gateway keeps the id per site.
    assert paths.count("/oauth/token/accessible-resources") <= 1
    issue_calls = [p for p in paths if p != "/oauth/token/accessible-resources"]
    assert issue_calls == [f"/ex/jira/{CLOUD_ID}/rest/api/3/issue/DESK-1"] * 2
    assert all(r.account is not None for r in jira.state.requests)


async def test_the_first_bearer_call_of_a_site_looks_its_cloud_id_up(
    stack: Stack, jira: Jira
) -> None:
    # A gateway of its own, so that no earlier test has looked the site up already.
    async with serving(create_app(_oauth_settings(stack, jira))) as gateway_url:
        await wait_until_ready(gateway_url)
        own = dataclasses.replace(stack, gateway_url=gateway_url)
        for _ in range(2):
            outcome = await DOORS[0].fetch(own, "DESK-1", ["ticketStatus"], connection=bearer(jira))
            assert outcome.details == {"ticketStatus": "Open"}

    assert [(r.method, r.path) for r in jira.state.requests] == [
        ("GET", "/oauth/token/accessible-resources"),
        ("GET", f"/ex/jira/{CLOUD_ID}/rest/api/3/issue/DESK-1"),
        ("GET", f"/ex/jira/{CLOUD_ID}/rest/api/3/issue/DESK-1"),
    ]


async def test_basic_still_calls_the_site_directly(oauth_stack: Stack, jira: Jira) -> None:
    outcome = await DOORS[0].fetch(
        oauth_stack, "DESK-1", ["ticketStatus"], connection=jira.connection()
    )
    assert outcome.details == {"ticketStatus": "Open"}
    assert [r.path for r in jira.state.requests] == ["/rest/api/3/issue/DESK-1"]


async def test_rate_limited_is_429_with_retry_after(stack: Stack, jira: Jira) -> None:
    # Longer than the gateway waits (ITSM_GATEWAY_ITSM_RETRY_AFTER_CAP_SECONDS, 10): answered now.
    jira.state.faults.merge({"throttle_next": 1, "throttle_retry_after_s": 30})
    outcome = await DOORS[0].fetch(stack, "DESK-1", ["ticketNumber"], connection=jira.connection())
    assert outcome.status == 429
    assert outcome.response is not None and outcome.response.headers["Retry-After"] == "30"


async def test_a_login_page_is_502(stack: Stack, jira: Jira) -> None:
    jira.state.faults.login_page = True
    outcome = await DOORS[0].fetch(stack, "DESK-1", ["ticketNumber"], connection=jira.connection())
    assert outcome.status == 502
    assert "HTML page instead of JSON" in outcome.message


# -- create ------------------------------------------------------------------------------------

DESCRIPTION = "Only 2% left on /var.\nSince 02:00.\n\n- checked logs\n- rotated them"


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_create(door, stack: Stack, jira: Jira) -> None:
    outcome = await door.create(
        stack,
        {
            "summary": "Disk full on db-01",
            "description": DESCRIPTION,
            "priority": {"name": "High"},
            "labels": ["disk"],
            "customfield_10050": "Database",
        },
        ["ticketNumber", "sysId", "ticketStatus", "ticketPriority", "longDescription",
         "ticketBusinessTimeLeft", "createdBy"],
        connection=jira.connection(table="DESK"),
    )  # fmt: skip

    key, issue_id = seed.NEXT_DESK
    assert outcome.status == (201 if door.name == "rest" else 200), outcome.message
    assert outcome.details == {
        "ticketNumber": key,
        "sysId": issue_id,
        "ticketStatus": "Open",
        "ticketPriority": "High",
        "longDescription": DESCRIPTION,
        # The first response SLA (4 h) is shorter than High's resolution SLA (8 h).
        "ticketBusinessTimeLeft": str(4 * 3600),
        "createdBy": "Gateway Integration",
    }
    stored_issue = jira.issue(key)
    assert stored_issue["issuetype"] == "10004"  # the default: [System] Incident
    assert stored_issue["values"]["description"] == from_text(DESCRIPTION)
    assert stored_issue["values"]["labels"] == ["disk"]
    assert stored_issue["values"]["customfield_10050"] == "Database"
    if door.name == "rest":
        assert outcome.message.startswith("Created ") and outcome.message.endswith(key)


async def test_create_with_ticket_input_and_both_kinds_of_comment(stack: Stack, jira: Jira) -> None:
    fields = selection(["ticketNumber", "comments", "workNotes"])
    query = (
        "mutation($c: ConnectionInput!, $t: TicketInput) "
        f"{{ createTicket(connection: $c, ticket: $t) {{ {fields} }} }}"
    )
    outcome = await graphql(
        stack,
        query,
        {
            "c": jira.connection(table="DESK"),
            "t": {"shortDescription": "Printer offline", "comments": "We are on it",
                  "workNotes": "Spooler crashed"},
        },
        "createTicket",
    )  # fmt: skip

    assert outcome.status == 200, outcome.message
    assert [c["comment"] for c in outcome.details["comments"]] == ["We are on it"]
    assert [n["workNote"] for n in outcome.details["workNotes"]] == ["Spooler crashed"]
    stored_issue = jira.issue(outcome.details["ticketNumber"])
    assert [(c["public"], c["text"]) for c in stored_issue["comments"]] == [
        (True, "We are on it"),
        (False, "Spooler crashed"),
    ]


BAD_CREATES = [
    ({"summary": "x", "created": "2026-01-01"}, "DESK", "ticketJSON.created: set by Jira"),
    ({"priority": {"name": "High"}}, "DESK", "Jira needs a summary"),
    ({"summary": "x"}, None, "connectionDetails.table must name the Jira project"),
    ({"summary": "x", "status": "Resolved"}, "DESK", "first status"),
    ({"summary": "x", "project": {"key": "OPS"}}, "DESK", "the project is connectionDetails"),
    ({"summary": "x", "comment": {"body": "y", "public": False}}, "OPS", "internal comments"),
]


@pytest.mark.parametrize(("ticket_json", "table", "words"), BAD_CREATES)
async def test_no_write_on_bad_create_input(
    stack: Stack, jira: Jira, ticket_json: dict, table: str | None, words: str
) -> None:
    before = jira.snapshot()
    outcome = await DOORS[0].create(
        stack, ticket_json, ["ticketNumber"], connection=jira.connection(table=table)
    )
    assert outcome.status == 400
    assert words in outcome.message
    assert jira.writes() == []
    assert jira.snapshot() == before


async def test_jiras_own_refusal_of_a_create_is_502_quoting_it(stack: Stack, jira: Jira) -> None:
    outcome = await DOORS[0].create(
        stack,
        {"summary": "x", "customfield_99999": "y"},
        ["ticketNumber"],
        connection=jira.connection(table="DESK"),
    )
    assert outcome.status == 502
    assert (
        "refused the request (400: customfield_99999: Field 'customfield_99999' cannot be set"
        in outcome.message
    )
    assert len(jira.state.issues) == seed.ISSUE_COUNT


# -- update ------------------------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_update_fields_and_status_by_ticket_json(door, stack: Stack, jira: Jira) -> None:
    outcome = await door.update(
        stack,
        "10001",
        {"summary": "Outlook prompts for password", "status": "Resolved",
         "resolution": {"name": "Duplicate"}},
        ["ticketNumber", "shortDescription", "ticketStatus", "resolvedTime",
         "ticketBusinessTimeLeft"],
        connection=jira.connection(),
    )  # fmt: skip

    assert outcome.status == 200, outcome.message
    assert outcome.details == {
        "ticketNumber": "DESK-1",
        "shortDescription": "Outlook prompts for password",
        "ticketStatus": "Resolved",
        "resolvedTime": "2026-03-11T17:00:00.000000",
        "ticketBusinessTimeLeft": "",  # resolution stopped every SLA
    }
    assert jira.issue("DESK-1")["resolution"] == "Duplicate"
    writes = [(r.method, r.path) for r in jira.writes()]
    assert writes == [
        ("PUT", "/rest/api/3/issue/10001"),
        ("POST", "/rest/api/3/issue/10001/transitions"),
    ]


async def test_update_status_through_ticket_input(stack: Stack, jira: Jira) -> None:
    query = (
        "mutation($s: String!, $c: ConnectionInput!, $t: TicketInput) "
        "{ updateTicket(sysId: $s, connection: $c, ticket: $t) { ticketStatus } }"
    )
    outcome = await graphql(
        stack,
        query,
        {"s": "10001", "c": jira.connection(), "t": {"ticketStatus": "work in progress"}},
        "updateTicket",
    )
    assert outcome.details == {"ticketStatus": "Work in progress"}


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_keyed_create_that_did_not_take_whole_replays_the_same_answer(
    door, stack: Stack, jira: Jira
) -> None:
    """An automation rule (the emulator's ``automation_edits``) resets the priority: the create
    is answered and reported, and a retry with its Idempotency-Key gets that same answer."""
    jira.state.faults.automation_edits = {"priority": {"name": "Lowest"}}
    ticket_json = {"summary": f"Keyed {uuid.uuid4().hex[:8]}", "priority": {"name": "High"}}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = len(jira.state.issues)

    first = await door.create(
        stack, ticket_json, ["ticketNumber", "sysId"], jira.connection(table="DESK"), key
    )
    again = await door.create(
        stack, ticket_json, ["ticketNumber", "sysId"], jira.connection(table="DESK"), key
    )

    assert first.status == 201, first
    assert "ticketJSON.priority 'High' (it holds 'Lowest')" in first.message
    assert (again.status, again.message, again.details) == (
        first.status,
        first.message,
        first.details,
    )
    assert again.extensions == first.extensions
    assert len(jira.state.issues) == before + 1


PEOPLE_UPDATE = (
    "mutation($s: String!, $c: ConnectionInput!, $t: TicketInput) "
    "{ updateTicket(sysId: $s, connection: $c, ticket: $t) { assignedTo callerId } }"
)


async def test_people_in_ticket_input_are_found_by_display_name_or_email(
    stack: Stack, jira: Jira
) -> None:
    outcome = await graphql(
        stack,
        PEOPLE_UPDATE,
        {
            "s": "10001",
            "c": jira.connection(),
            "t": {"assignedTo": "david loo", "callerId": "fred.luddy@customer.example"},
        },
        "updateTicket",
    )

    assert outcome.details == {"assignedTo": "David Loo", "callerId": "Fred Luddy"}, outcome
    stored_issue = jira.state.find("DESK-1")
    assert stored_issue is not None
    assert stored_issue.values["assignee"] == "5b109f2e9729b51b54dc274d"  # an accountId


async def test_an_unknown_person_is_400_naming_the_value_and_nothing_is_written(
    stack: Stack, jira: Jira
) -> None:
    before = jira.snapshot()
    outcome = await graphql(
        stack,
        PEOPLE_UPDATE,
        {"s": "10001", "c": jira.connection(), "t": {"assignedTo": "Beth"}},  # a prefix only
        "updateTicket",
    )

    assert outcome.status == 400, outcome
    assert outcome.message.startswith("assignedTo 'Beth': no Jira user has that display name")
    assert jira.writes() == []
    assert jira.snapshot() == before


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_status_no_transition_reaches_is_400_and_nothing_is_written(
    door, stack: Stack, jira: Jira
) -> None:
    before = jira.snapshot()
    outcome = await door.update(
        stack,
        "10001",
        {"summary": "should not be written", "status": "Closed", "comment": "nor this"},
        ["ticketStatus"],
        connection=jira.connection(),
    )

    assert outcome.status == 400
    assert outcome.message == (
        "ticketJSON.status 'Closed': no available transition reaches it (DESK-1 is Open; the "
        "statuses it can reach are Canceled, Resolved, Waiting for customer, Work in progress); "
        "nothing was written"
    )
    assert jira.writes() == []
    assert jira.snapshot() == before


async def test_closed_issue_has_no_way_out(stack: Stack, jira: Jira) -> None:
    outcome = await DOORS[0].update(
        stack, "10005", {"status": "Open"}, ["ticketStatus"], connection=jira.connection()
    )
    assert outcome.status == 400
    assert "no transition leaves that status" in outcome.message
    assert jira.writes() == []


async def test_public_and_internal_comments_stay_apart(stack: Stack, jira: Jira) -> None:
    rest = await DOORS[0].update(
        stack,
        "DESK-2",
        {"comment": "Please update to 5.3."},
        ["ticketNumber"],
        connection=jira.connection(),
    )
    assert rest.status == 200, rest.message
    internal = await DOORS[0].update(
        stack,
        "DESK-2",
        {"comment": {"body": "Customer on 5.2.1.\nEscalate if 5.3 fails.", "public": False}},
        ["ticketNumber"],
        connection=jira.connection(),
    )
    assert internal.status == 200, internal.message
    query = (
        "mutation($s: String!, $c: ConnectionInput!, $t: TicketInput) "
        f"{{ updateTicket(sysId: $s, connection: $c, ticket: $t) "
        f"{{ {selection(['comments', 'workNotes'])} }} }}"
    )
    outcome = await graphql(
        stack,
        query,
        {"s": "10002", "c": jira.connection(), "t": {"workNotes": "Vendor ticket 881"}},
        "updateTicket",
    )

    assert [c["comment"] for c in outcome.details["comments"]] == [
        "Which VPN client version do you use?",
        "Version 5.2.1\non Windows 11",
        "Please update to 5.3.",
    ]
    assert [n["workNote"] for n in outcome.details["workNotes"]] == [
        "Known issue with 5.2.x; upgrade to 5.3.",
        "Customer on 5.2.1.\nEscalate if 5.3 fails.",
        "Vendor ticket 881",
    ]
    assert all(n["workNoteBy"] for n in outcome.details["workNotes"])
    apis = [(r.api, r.method) for r in jira.writes()]
    assert apis == [("platform", "POST"), ("servicedesk", "POST"), ("servicedesk", "POST")]


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_adf_round_trip(door, stack: Stack, jira: Jira) -> None:
    text = "First paragraph\nwith a second line.\n\n\nAfter two blank lines:\n- not a list item"
    written = await door.update(
        stack, "10003", {"description": text}, ["longDescription"], connection=jira.connection()
    )
    assert written.details == {"longDescription": text}
    assert jira.issue("DESK-3")["values"]["description"] == from_text(text)
    fetched = await door.fetch(stack, "DESK-3", ["longDescription"], connection=jira.connection())
    assert fetched.details == {"longDescription": text}


@pytest.mark.parametrize(
    ("sys_id", "ticket_json", "status"),
    [
        ("10001", {"creator": {"accountId": "x"}}, 400),
        ("10001", {"summary": ""}, 400),
        ("not-an-id", {"summary": "x"}, 400),
        ("10006", {"comment": {"body": "internal", "public": False}}, 400),  # OPS-1: software
        ("99999", {"summary": "x"}, 404),
    ],
)
async def test_no_write_on_bad_update_input(
    stack: Stack, jira: Jira, sys_id: str, ticket_json: dict, status: int
) -> None:
    before = jira.snapshot()
    outcome = await DOORS[0].update(
        stack, sys_id, ticket_json, ["ticketNumber"], connection=jira.connection()
    )
    assert outcome.status == status, outcome.message
    assert jira.writes() == []
    assert jira.snapshot() == before


async def test_graphql_lists_jira_and_what_it_supports(stack: Stack) -> None:
    response = await stack.graphql(
        "{ connectors { itsmType name fields { field mapsTo } writableFields { field } } }"
    )
    tools = {tool["itsmType"]: tool for tool in response.json()["data"]["connectors"]}
    jira = tools["jira"]
    assert jira["name"] == "Jira Service Management"
    # correlationId: the "Correlation ID" custom field (answered only when named).
    assert [f["field"] for f in jira["fields"]] == [*READABLE, "correlationId"]
    assert {f["field"]: f["mapsTo"] for f in jira["fields"]}["shortDescription"] == "fields.summary"
    assert [f["field"] for f in jira["writableFields"]] == [
        "ticketStatus", "shortDescription", "longDescription", "assignedTo", "callerId",
        "comments", "workNotes", "correlationId",
    ]  # fmt: skip


# -- the demo ----------------------------------------------------------------------------------


async def test_the_demo_prints_a_working_jira_example(tmp_path) -> None:
    from tests.e2e.test_e2e_cli import (
        EXIT_SECONDS,
        clean_environment,
        demo_ports,
        read_banner,
        running,
    )

    port, emulator_port, issuer_port, _ = demo_ports()
    async with running(
        "demo",
        "--port", str(port), "--emulator-port", str(emulator_port),
        "--issuer-port", str(issuer_port),
        env=clean_environment(),
        stderr_file=tmp_path / "stderr",
    ) as process:  # fmt: skip
        banner = await read_banner(process)
        text = "".join(banner)
        jira_url = f"http://127.0.0.1:{emulator_port + 1}"
        assert f"Jira emulator      {jira_url}" in text
        [token] = [
            line.split("=", 1)[1].strip() for line in banner if line.startswith("export TOKEN=")
        ]
        start = banner.index(next(line for line in banner if line.startswith("# Jira")))
        command = "".join(banner[start + 1 : banner.index("\n", start)]).replace("\\\n", " ")
        words = shlex.split(command)
        body = orjson.loads(words[words.index("-d") + 1])
        assert body["connectionDetails"]["instanceUrl"] == jira_url

        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.request(
                "GET",
                words[words.index("GET") + 1],
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200, response.text
        details = response.json()["ticketDetails"]
        assert details["ticketNumber"] == "DESK-1"
        assert [n["workNote"] for n in details["workNotes"]] == [seed.DESK_1_INTERNAL]
        # The demo's clock starts at the seed's time: the SLA counts down from an hour.
        assert int(details["ticketBusinessTimeLeft"]) <= seed.DESK_1_TIME_LEFT_S
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), EXIT_SECONDS) == 0
