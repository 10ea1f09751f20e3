"""No server-side request forgery, end to end (issue 4, item 1): hostile ``instanceUrl`` values
through both doors are 400s naming the field, and the ServiceNow emulator (listening on the
loopback address most of them spell) sees nothing; a DNS answer that changes between the check
and the connection is caught when connecting; a redirect from the ITSM is not followed.

The allow-list here is deliberately wide (``http://*:*``) so that every refusal comes from the
SSRF rules, not from a missing pattern; DNS is a fake (``FakeDns``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web

from connectors.servicenow.capabilities import SERVICENOW
from gateway.app import create_app
from gateway.outbound.addresses import HostResolver
from gateway.outbound.transport import guarded_transport
from gateway.profiles import connection_resolver
from gateway.settings import Settings
from tests.e2e.conftest import SN_PASSWORD, SN_USER, Stack
from tests.e2e.doors import DOOR_IDS, DOORS
from tests.resolvers.test_ssrf import FakeDns
from tests.support.servers import serving, wait_until_ready

doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)


def wired_app(
    settings: Settings,
    *,
    request_dns: HostResolver,
    connect_dns: HostResolver,
    environ: dict[str, str] | None = None,
) -> web.Application:
    """The production gateway with fake DNS (at request time and at connect time) and the given
    environment for profile secrets: the same resolver and guarded transport app.py builds."""
    transport = guarded_transport(
        settings.url_policy(),
        max_connections=settings.itsm_max_connections,
        resolve=connect_dns,
    )
    connections = connection_resolver(
        settings, [SERVICENOW], environ=environ or {}, resolve_host=request_dns
    )
    return create_app(settings, itsm_transport=transport, connections=connections)


REQUEST_DNS = FakeDns(
    {
        "evil.example": ["127.0.0.1"],
        "metadata.example": ["169.254.169.254"],
        "mixed.example": ["93.184.216.34", "127.0.0.1"],
        "rebind.example": ["93.184.216.34"],  # public when the request is checked ...
    }
)
CONNECT_DNS = FakeDns({"rebind.example": ["127.0.0.1"]})  # ... loopback when connecting


@pytest.fixture(scope="module")
async def ssrf(stack: Stack) -> AsyncIterator[Stack]:
    """The session's issuer and emulator, behind a wired gateway with a wide allow-list."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*,http://*:*,https://*:*",
        itsm_read_timeout_seconds=5.0,
    )
    app = wired_app(settings, request_dns=REQUEST_DNS, connect_dns=CONNECT_DNS)
    async with serving(app) as url:
        await wait_until_ready(url)
        yield replace(stack, gateway_url=url)


def port_of(stack: Stack) -> int:
    return int(stack.emulator_url.rsplit(":", 1)[1])


HOSTILE = [
    ("http://127.1:{port}", "dotted-quad"),
    ("http://0177.0.0.1:{port}", "dotted-quad"),
    ("http://0x7f.0.0.1:{port}", "dotted-quad"),
    ("http://2130706433:{port}", "dotted-quad"),
    ("http://017700000001:{port}", "dotted-quad"),
    ("http://[::1]:{port}", "internal address (loopback)"),
    ("http://[::ffff:127.0.0.1]:{port}", "loopback IPv4-in-IPv6"),
    ("http://localhost:{port}", "internal address (loopback)"),
    ("http://localhost.:{port}", "internal address (loopback)"),
    ("http://LOCALHOST:{port}", "internal address (loopback)"),
    ("http://evil.example:{port}", "resolves to a loopback address"),
    ("http://mixed.example:{port}", "resolves to a loopback address"),
    ("http://169.254.169.254", "internal address (link-local)"),
    ("http://[fd00:ec2::254]", "internal address (private)"),
    ("http://metadata.example", "resolves to a link-local address"),
    ("http://10.0.0.1:{port}", "internal address (private)"),
    ("http://0.0.0.0:{port}", "internal address (unspecified)"),
    ("file:///etc/passwd", "http(s)"),
    ("gopher://127.0.0.1:{port}/_GET", "http(s)"),
    ("ftp://127.0.0.1:{port}", "http(s)"),
    ("http://{user}:{password}@127.0.0.1:{port}", "credentials"),
    ("http://127.0.0.1:{port}@evil.example", "credentials"),
    ("http://127.0.0.1:{port}/api/now/table/incident", "base URL"),
    ("http://127.0.0.1:{port}?sysparm_query=x", "base URL"),
    ("http://127.0.0.1:{port}#x", "base URL"),
    ("http://127.0.0.1:{port}\\@evil.example", "base URL"),
    (" http://127.0.0.1:{port}", "spaces or control"),
    ("http://127.0.0.1:{port}\r\nX-Injected: 1", "spaces or control"),
]


@doors
@pytest.mark.parametrize(("template", "reason"), HOSTILE, ids=[t for t, _ in HOSTILE])
async def test_hostile_urls_are_refused_and_reach_nothing(
    ssrf: Stack, door: Any, template: str, reason: str
) -> None:
    url = template.format(port=port_of(ssrf), user=SN_USER, password=SN_PASSWORD)
    connection = ssrf.connection(instanceUrl=url)

    fetched = await door.fetch(ssrf, "INC0010001", ["ticketNumber"], connection=connection)
    created = await door.create(ssrf, {"short_description": "ssrf"}, connection=connection)

    for outcome in (fetched, created):
        assert outcome.status == 400, outcome.message
        assert f"{door.connection_object}.instanceUrl" in outcome.message
        assert reason in outcome.message
        assert SN_PASSWORD not in outcome.message
    assert ssrf.emulator.requests == []


@doors
async def test_dns_rebinding_is_refused_when_connecting(ssrf: Stack, door: Any) -> None:
    connection = ssrf.connection(instanceUrl=f"http://rebind.example:{port_of(ssrf)}")

    fetched = await door.fetch(ssrf, "INC0010001", ["ticketNumber"], connection=connection)
    created = await door.create(ssrf, {"short_description": "rebind"}, connection=connection)

    for outcome in (fetched, created):
        assert outcome.status == 400, outcome.message
        assert "refused to connect to the ITSM host rebind.example" in outcome.message
        assert "resolved to a loopback address when the connection was opened" in outcome.message
    assert ssrf.emulator.requests == []


@doors
async def test_a_literally_allowed_loopback_instance_still_works(ssrf: Stack, door: Any) -> None:
    fetched = await door.fetch(ssrf, "INC0010001", ["ticketNumber"])
    assert (fetched.status, fetched.details) == (200, {"ticketNumber": "INC0010001"})


@pytest.fixture(scope="module")
async def redirecting(stack: Stack) -> AsyncIterator[str]:
    """An "ITSM" that answers every call with a redirect to the emulator's same path."""

    async def moved(request: web.Request) -> web.Response:
        return web.json_response(
            {"error": {"message": "Moved", "detail": None}},
            status=302,
            headers={"Location": f"{stack.emulator_url}{request.path_qs}"},
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", moved)
    async with serving(app) as url:
        yield url


@doors
async def test_a_redirect_from_the_itsm_is_not_followed(
    ssrf: Stack, redirecting: str, door: Any
) -> None:
    connection = ssrf.connection(instanceUrl=redirecting)

    fetched = await door.fetch(ssrf, "INC0010001", ["ticketNumber"], connection=connection)
    created = await door.create(ssrf, {"short_description": "moved"}, connection=connection)

    for outcome in (fetched, created):
        assert outcome.status == 502, outcome.message
        assert "answered 302" in outcome.message
    assert ssrf.emulator.requests == []  # the redirect's target saw nothing
