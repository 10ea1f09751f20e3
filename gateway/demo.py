"""``itsm-gateway demo``: everything on one machine, no outside service.

Starts a development token issuer (standing in for the SmartOps Keycloak realm), the ServiceNow
emulator with its sample incidents, and the gateway wired to both, all on loopback. The token
issuer signs real RS256 tokens and the gateway verifies them through the issuer's JWKS exactly as
in production: the demo changes the partners, not the code path.
"""

from __future__ import annotations

import asyncio
import shlex
import signal

import orjson
from aiohttp import web

from emulators.servicenow import EmulatorState
from emulators.servicenow import create_app as create_emulator_app
from emulators.token_issuer import DEFAULT_CLIENT_ID, TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.logs import configure_logging
from gateway.settings import Settings

HOST = "127.0.0.1"
DEMO_TOKEN_LIFETIME = 12 * 3600  # a demo token outlives an afternoon of trying things
EMULATOR_USER = "gateway.integration"
EMULATOR_PASSWORD = "integration-password"  # the emulator's documented demo account  # noqa: S105


def run_demo(port: int, emulator_port: int, issuer_port: int) -> int:
    configure_logging("INFO", "text")
    try:
        asyncio.run(_run(port, emulator_port, issuer_port))
    except KeyboardInterrupt:
        pass
    return 0


async def _start(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, HOST, port).start()
    except OSError as error:
        await runner.cleanup()
        raise SystemExit(
            f"itsm-gateway demo: cannot listen on {HOST}:{port} ({error.strerror}); "
            "choose other ports with --port, --emulator-port and --issuer-port"
        ) from None
    return runner


async def _run(port: int, emulator_port: int, issuer_port: int) -> None:
    issuer = TokenIssuer()
    issuer.bind(f"http://{HOST}:{issuer_port}")
    emulator_url = f"http://{HOST}:{emulator_port}"
    settings = Settings(
        keycloak_issuer=issuer.issuer,
        keycloak_audience=issuer.audience,
        host=HOST,
        port=port,
        itsm_allowed_urls=f"{emulator_url},https://*.service-now.com",
        # The issuer's offline tokens are issued to its default (public) client.
        keycloak_clients=DEFAULT_CLIENT_ID,
        log_format="text",
    )
    runners = [
        await _start(create_issuer_app(issuer), issuer_port),
        await _start(create_emulator_app(EmulatorState()), emulator_port),
        await _start(create_app(settings), port),
    ]
    token = issuer.mint("smartops.operator", lifetime=DEMO_TOKEN_LIFETIME)
    offline_token = issuer.mint_offline("smartops.operator")
    gateway_url = f"http://{HOST}:{port}"
    print(_banner(gateway_url, emulator_url, issuer.issuer, token, offline_token), flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
        print("itsm-gateway demo stopped.", flush=True)


def _banner(gateway: str, emulator: str, issuer: str, token: str, offline_token: str) -> str:
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
        body: dict[str, object],
        credential: str = "Authorization: Bearer $TOKEN",
    ) -> str:
        return (
            f"curl -s -X {method} {gateway}{path} \\\n"
            f'  -H "{credential}" -H "Content-Type: application/json" \\\n'
            f"  -d {shlex.quote(orjson.dumps(body).decode())}"
        )

    line = "=" * 78
    return f"""{line}
  ITSM GATEWAY DEMO: not for production. The token issuer and the ServiceNow instance
  are emulators on this machine; every token and password below is a demo value.
{line}
  gateway            {gateway}   (GraphiQL: {gateway}/graphql)
  ServiceNow emulator {emulator}   (user {EMULATOR_USER} / {EMULATOR_PASSWORD})
  token issuer       {issuer}   (the token below lasts 12 hours)

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

Press Ctrl-C to stop.
{line}"""
