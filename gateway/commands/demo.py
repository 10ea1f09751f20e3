"""``itsm-gateway demo``: everything on one machine, no outside service.

Starts a development token issuer (standing in for the SmartOps Keycloak realm), the ServiceNow
emulator with its sample incidents, the Jira emulator with its sample requests (``DESK-1``...;
on the ServiceNow emulator's port plus one unless given), and the gateway wired to them, all on
loopback. The token issuer signs real RS256 tokens and the gateway verifies them through the
issuer's JWKS exactly as in production: the demo changes the partners, not the code path.

When Debian's Request Tracker 5 is installed, a real RT joins them (on the emulator's port plus
two unless given), started by ``emulators/rt_launcher.py`` with its data in a temporary
folder removed at exit, and one demo ticket seeded; when it is not, the banner says how to get
it. The demo never installs anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
from aiohttp import web

from connectors.catalog import capabilities
from emulators.jira import DEFAULT_API_TOKEN as JIRA_API_TOKEN
from emulators.jira import DEFAULT_EMAIL as JIRA_EMAIL
from emulators.jira import SEED_NOW, JiraState, running_from
from emulators.jira import create_app as create_jira_app
from emulators.rt_launcher import (
    AGENT,
    API_USER,
    CALLER_EMAIL,
    HOW_TO_INSTALL,
    RtFailed,
    RtServer,
    is_installed,
    running_rt,
)
from emulators.servicenow import EmulatorState
from emulators.servicenow import create_app as create_emulator_app
from emulators.token_issuer import DEFAULT_CLIENT_ID, TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.http_server import GatewayRunner
from gateway.observability.logs import configure_logging
from gateway.profiles import connection_resolver
from gateway.settings import Settings
from graph.ide import IdeGreeting

HOST = "127.0.0.1"
DEMO_TOKEN_LIFETIME = 12 * 3600  # a demo token outlives an afternoon of trying things
EMULATOR_USER = "gateway.integration"
EMULATOR_PASSWORD = "integration-password"  # the emulator's documented demo account  # noqa: S105
RT_DEMO_SUBJECT = "VPN drops every 10 minutes"
RT_DEMO_REPLY = "We are looking into it; please try the new VPN client."
RT_DEMO_COMMENT = "Concentrator logs show an MTU mismatch."


def run_demo(
    port: int,
    emulator_port: int,
    issuer_port: int,
    jira_port: int | None = None,
    rt_port: int | None = None,
) -> int:
    configure_logging("INFO", "text")
    jira_port = jira_port or emulator_port + 1
    rt_port = rt_port or emulator_port + 2
    try:
        asyncio.run(_run(port, emulator_port, issuer_port, jira_port, rt_port))
    except KeyboardInterrupt:
        pass
    return 0


async def _start(app: web.Application, port: int) -> web.AppRunner:
    runner = GatewayRunner(app, access_log=None)  # as `serve` runs it
    await runner.setup()
    try:
        await web.TCPSite(runner, HOST, port).start()
    except OSError as error:
        await runner.cleanup()
        raise SystemExit(
            f"itsm-gateway demo: cannot listen on {HOST}:{port} ({error.strerror}); "
            "choose other ports with --port, --emulator-port and --issuer-port (the Jira "
            "emulator takes the port after the ServiceNow emulator's)"
        ) from None
    return runner


async def _run(
    port: int, emulator_port: int, issuer_port: int, jira_port: int, rt_port: int
) -> None:
    issuer = TokenIssuer()
    issuer_url = issuer.bind(f"http://{HOST}:{issuer_port}")
    emulator_url = f"http://{HOST}:{emulator_port}"
    jira_url = f"http://{HOST}:{jira_port}"
    gateway_url = f"http://{HOST}:{port}"
    async with contextlib.AsyncExitStack() as running:
        for app, app_port in (
            (create_issuer_app(issuer), issuer_port),
            (create_emulator_app(EmulatorState()), emulator_port),
            # Its clock starts at the seed's time, so the sample SLAs count down from hours left.
            (create_jira_app(JiraState(clock=running_from(SEED_NOW))), jira_port),
        ):
            running.push_async_callback((await _start(app, app_port)).cleanup)
        parts = [_jira_part(gateway_url, jira_url)]
        allowed = [emulator_url, jira_url]
        profiles = _profiles(emulator_url, jira_url)
        rt = await _start_rt(running, rt_port)
        if rt is None:
            parts.append(_rt_missing_part())
        else:
            ticket = await _seed_rt(rt)
            parts.append(_rt_part(gateway_url, rt, ticket))
            allowed.append(rt.url)
            profiles["rt"] = _profile("rt", rt.url, "api_key", api_key_env="DEMO_RT_TOKEN")
        demo_secrets = {
            "DEMO_SN_PASSWORD": EMULATOR_PASSWORD,
            "DEMO_JIRA_TOKEN": JIRA_API_TOKEN,
            **({"DEMO_RT_TOKEN": rt.api_token} if rt is not None else {}),
        }
        settings = Settings(
            keycloak_issuer=issuer_url,
            keycloak_audience=issuer.audience,
            host=HOST,
            port=port,
            itsm_allowed_urls=",".join([*allowed, "https://*.service-now.com"]),
            # The issuer's offline tokens are issued to its default (public) client.
            keycloak_clients=DEFAULT_CLIENT_ID,
            log_format="text",
            connections=profiles,
        )
        # The profiles' secrets come from this mapping, not from the demo's environment.
        connections = connection_resolver(settings, capabilities(), environ=demo_secrets)
        token = issuer.mint("smartops.operator", lifetime=DEMO_TOKEN_LIFETIME)
        app = create_app(settings, connections=connections)
        app.router.add_routes([graphiql_greeting(token).route()])
        running.push_async_callback((await _start(app, port)).cleanup)
        parts.append(_profiles_part(gateway_url, profiles, rt_ticket=ticket if rt else None))
        offline_token = issuer.mint_offline("smartops.operator")
        print(
            _banner(gateway_url, emulator_url, issuer_url, token, offline_token, parts),
            flush=True,
        )

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    print("itsm-gateway demo stopped.", flush=True)


async def _start_rt(running: contextlib.AsyncExitStack, port: int) -> RtServer | None:
    """RT 5 on ``port`` with its data in a temporary folder, both undone when ``running``
    closes; ``None`` when it is not installed or does not start (said on stderr: the demo goes
    on without it)."""
    if not await asyncio.to_thread(is_installed):
        return None
    workdir = Path(running.enter_context(tempfile.TemporaryDirectory(prefix="itsm-demo-rt-")))
    try:
        return await running.enter_async_context(running_rt(workdir, port=port))
    except RtFailed as error:
        print(
            f"itsm-gateway demo: Request Tracker 5 did not start on {HOST}:{port} (choose "
            f"another port with --rt-port); going on without it.\n{error}",
            file=sys.stderr,
            flush=True,
        )
        return None


async def _seed_rt(rt: RtServer) -> str:
    """One ticket from the seeded caller, with a reply and an internal comment by the seeded
    agent; its id."""
    async with rt.admin_client() as admin:
        answer = await admin.post(
            "/ticket",
            json={
                "Queue": "General",
                "Subject": RT_DEMO_SUBJECT,
                "Content": "The VPN client disconnects every ten minutes since Monday.",
                "ContentType": "text/plain",
                "Requestor": CALLER_EMAIL,
            },
        )
        answer.raise_for_status()
        ticket = str(answer.json()["id"])
    async with httpx.AsyncClient(
        base_url=rt.rest2_url, auth=(AGENT, rt.agent_password), timeout=30.0
    ) as agent:
        for kind, text in (("correspond", RT_DEMO_REPLY), ("comment", RT_DEMO_COMMENT)):
            message = {"Content": text, "ContentType": "text/plain"}
            (await agent.post(f"/ticket/{ticket}/{kind}", json=message)).raise_for_status()
    return ticket


def graphiql_greeting(token: str) -> IdeGreeting:
    """GraphiQL opens ready in the demo: the demo's token in its headers (so the schema loads at
    once) and the examples' variables naming the ServiceNow profile (so they answer as they
    are). The demo's own token only: the greeting is readable by anyone reaching the gateway."""
    return IdeGreeting(
        headers={"Authorization": f"Bearer {token}"},
        connection={"connectionId": "servicenow"},
        ticket_number="INC0010001",
    )


@dataclass(frozen=True)
class DemoPart:
    """Another ITSM in the banner: its line under the others, and an example call (empty for
    none)."""

    line: str
    example: str


def _curl(
    gateway: str,
    method: str,
    path: str,
    body: Mapping[str, object],
    credential: str = "Authorization: Bearer $TOKEN",
) -> str:
    return (
        f"curl -s -X {method} {gateway}{path} \\\n"
        f'  -H "{credential}" -H "Content-Type: application/json" \\\n'
        f"  -d {shlex.quote(orjson.dumps(body).decode())}"
    )


def _profile(itsm_type: str, url: str, auth_type: str, **keys: object) -> dict[str, object]:
    return {"itsm_type": itsm_type, "instance_url": url, "auth_type": auth_type, **keys}


def _profiles(emulator: str, jira: str) -> dict[str, dict[str, object]]:
    """A connection profile for each ITSM the demo starts, so that callers (and the GET form of
    the fetch) need no ITSM credentials: secrets by reference, as in production."""
    return {
        "servicenow": _profile(
            "servicenow",
            emulator,
            "basic",
            username=EMULATOR_USER,
            password_env="DEMO_SN_PASSWORD",  # noqa: S106 - a variable name
        ),
        "jira": _profile(
            "jira",
            jira,
            "basic",
            username=JIRA_EMAIL,
            password_env="DEMO_JIRA_TOKEN",  # noqa: S106 - a variable name
            tables=["DESK"],
        ),
    }


def _profiles_part(
    gateway: str, profiles: Mapping[str, object], *, rt_ticket: str | None
) -> DemoPart:
    """The GET form of the fetch, through each profile: no body, no ITSM credential."""
    numbers = {"servicenow": "INC0010001", "jira": "DESK-1", "rt": rt_ticket or ""}
    fields = "ticketNumber,ticketStatus,shortDescription"
    commands = [
        f'curl -s -H "Authorization: Bearer $TOKEN" \\\n'
        f'  "{gateway}/itsm/v1/ticket/fetch?ticketNumber={numbers[name]}&connectionId={name}'
        f'&ticketFields={fields}"'
        for name in profiles
    ]
    return DemoPart(
        line=f"  connection profiles {', '.join(profiles)}   (connectionId; secrets by reference)",
        example=(
            "# fetch by GET through a connection profile: the request holds no ITSM credential\n"
            + "\n".join(commands)
        ),
    )


def _jira_part(gateway: str, jira: str) -> DemoPart:
    connection = {
        "itsmType": "jira",
        "instanceUrl": jira,
        "authType": "basic",
        "username": JIRA_EMAIL,  # the Atlassian account's email
        "password": JIRA_API_TOKEN,  # one of its API tokens
    }
    fields = ["ticketNumber", "ticketStatus", "comments", "workNotes", "ticketBusinessTimeLeft"]
    fetch = {"ticketNumber": "DESK-1", "connectionDetails": connection, "ticketFields": fields}
    return DemoPart(
        line=f"  Jira emulator      {jira}   (user {JIRA_EMAIL} / API token {JIRA_API_TOKEN})",
        example=(
            "# Jira: a request with its public comments, internal notes and SLA time left\n"
            + _curl(gateway, "GET", "/itsm/v1/ticket/fetch", fetch)
        ),
    )


def _rt_part(gateway: str, rt: RtServer, ticket: str) -> DemoPart:
    connection = {
        "itsmType": "rt",
        "instanceUrl": rt.url,
        "authType": "api_key",
        "apiKey": rt.api_token,  # an RT auth token of the gateway's RT account
    }
    fields = ["ticketNumber", "ticketStatus", "shortDescription", "comments", "workNotes"]
    fetch = {"ticketNumber": ticket, "connectionDetails": connection, "ticketFields": fields}
    return DemoPart(
        line=(
            f"  Request Tracker 5  {rt.url}   (a real RT {rt.version.split('+')[0]}, its data in "
            f"a temporary folder;\n                     user {API_USER} / demo auth token "
            f"{rt.api_token})"
        ),
        example=(
            "# Request Tracker: a ticket with its replies (comments) and internal comments\n"
            + _curl(gateway, "GET", "/itsm/v1/ticket/fetch", fetch)
        ),
    )


def _rt_missing_part() -> DemoPart:
    return DemoPart(
        line=(
            "  Request Tracker 5  not installed here; to add it to the demo:\n"
            f"                     `{HOW_TO_INSTALL}` (or `make test-tools` as root)"
        ),
        example="",
    )


def _banner(
    gateway: str,
    emulator: str,
    issuer: str,
    token: str,
    offline_token: str,
    parts: Sequence[DemoPart] = (),
) -> str:
    connection = {
        "itsmType": "servicenow",
        "instanceUrl": emulator,
        "authType": "basic",
        "username": EMULATOR_USER,
        "password": EMULATOR_PASSWORD,
    }
    fetch = {
        "ticketNumber": "INC0010001",
        "connectionDetails": connection,
        "ticketFields": ["ticketNumber", "ticketStatus", "shortDescription", "comments"],
    }
    create = {
        "connectionDetails": connection,
        "ticketJSON": {"short_description": "Disk full on db-01", "urgency": "2"},
        "ticketFields": ["ticketNumber", "sysId", "ticketPriority"],
    }
    update = {
        "sysId": "<sysId from the create answer>",
        "connectionDetails": connection,
        "ticketJSON": {"comments": "Cleaned /var/log"},
        "ticketFields": ["ticketNumber", "comments"],
    }
    graphql = {
        "query": (
            "query($n: String!, $c: ConnectionInput!) { ticket(number: $n, connection: $c) "
            "{ ticketNumber ticketStatus assignedTo comments { commentBy commentTime comment } } }"
        ),
        # The GraphQL connection input takes the same keys as connectionDetails.
        "variables": {"n": "INC0010001", "c": connection},
    }

    def curl(
        method: str,
        path: str,
        body: Mapping[str, object],
        credential: str = "Authorization: Bearer $TOKEN",
    ) -> str:
        return _curl(gateway, method, path, body, credential)

    more_lines = "".join(f"{part.line}\n" for part in parts)
    more_examples = "".join(f"{part.example}\n\n" for part in parts if part.example)

    line = "=" * 78
    return f"""{line}
  ITSM GATEWAY DEMO: not for production. The token issuer and the ITSM instances run
  on this machine (emulators, and a real RT when installed); every token and password
  below is a demo value.
{line}
  gateway            {gateway}   (GraphiQL, with the token below: {gateway}/graphql)
  ServiceNow emulator {emulator}   (user {EMULATOR_USER} / {EMULATOR_PASSWORD})
{more_lines}  token issuer       {issuer}   (the token below lasts 12 hours)

export TOKEN={token}
export OFFLINE_TOKEN={offline_token}

# fetch
{curl("GET", "/itsm/v1/ticket/fetch", fetch)}

# create
{curl("POST", "/itsm/v1/ticket/create", create)}

# update (put the sysId from the create answer in)
{curl("POST", "/itsm/v1/ticket/update", update)}

# GraphQL
{curl("POST", "/graphql", graphql)}

# the same fetch with an offline token (exchanged at the issuer for an access token)
{curl("GET", "/itsm/v1/ticket/fetch", fetch, "X-Offline-Token: $OFFLINE_TOKEN")}

{more_examples}Press Ctrl-C to stop.
{line}"""
