"""Issue 17, item 2, over real HTTP through both doors: an ITSM served under a path (behind a
proxy's path; here the ServiceNow emulator mounted under ``/sn``) is named with that path, which
the allow-list must name exactly; the same host without the path, or with another, is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from emulators.servicenow import EmulatorState
from emulators.servicenow import create_app as create_emulator_app
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, Door
from tests.support.servers import serving, wait_until_ready

doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)


def path_proxy(prefix: str, upstream: str, http: httpx.AsyncClient) -> web.Application:
    """A reverse proxy serving ``upstream`` under ``prefix``, as a company's web server does."""

    async def forward(request: web.Request) -> web.Response:
        answer = await http.request(
            request.method,
            upstream + "/" + request.match_info["tail"],
            params=request.query,
            content=await request.read(),
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        kept = {"Content-Type", "Link", "X-Total-Count", "Location"}
        headers = {k: v for k, v in answer.headers.items() if k in kept}
        return web.Response(status=answer.status_code, body=answer.content, headers=headers)

    app = web.Application()
    app.router.add_route("*", prefix + "/{tail:.*}", forward)
    return app


@pytest.fixture(scope="module")
async def under_a_path(stack: Stack) -> AsyncIterator[Stack]:
    """The emulator served at ``/sn`` of a proxy's host, and a gateway allowing that path."""
    assert stack.issuer is not None
    emulator = EmulatorState()
    async with (
        serving(create_emulator_app(emulator)) as upstream,
        httpx.AsyncClient() as http,
        serving(path_proxy("/sn", upstream, http)) as host_url,
    ):
        settings = Settings(
            keycloak_issuer=stack.issuer.issuer,
            keycloak_audience=stack.issuer.audience,
            itsm_allowed_urls=f"{host_url}/sn",
        )
        async with serving(create_app(settings)) as gateway_url:
            await wait_until_ready(gateway_url)
            yield Stack(gateway_url, f"{host_url}/sn", emulator, stack.issuer, stack.http)


@doors
async def test_an_itsm_under_a_path_is_fetched_and_written(under_a_path: Stack, door: Door) -> None:
    stack = under_a_path
    fetched = await door.fetch(stack, "INC0010001", ["ticketNumber"])
    assert fetched.status == 200, fetched.message
    created = await door.create(stack, {"short_description": "under /sn"}, ["sysId"])
    assert created.status in (200, 201) and created.details["sysId"], created.message
    assert stack.emulator.requests  # the calls went to the emulator, under its path


@doors
@pytest.mark.parametrize("suffix", ["", "/other", "/sn/..", "/sn/%2e%2e/x"])
async def test_another_path_of_that_host_is_refused(
    under_a_path: Stack, door: Door, suffix: str
) -> None:
    stack = under_a_path
    base = stack.emulator_url.removesuffix("/sn")
    outcome = await door.fetch(
        stack, "INC0010001", ["ticketNumber"], stack.connection(instanceUrl=base + suffix)
    )
    assert outcome.status == 400, outcome.message
    assert "instanceUrl" in outcome.message
