"""Issue 13, item 4, over real HTTP: one tenant cannot hurt the others. Through the real gateway,
two accounts on one ITSM instance: the first account's calls fail until its circuit opens, and
the second account's calls on the same instance go on (the breaker and the concurrency slots are
the instance's and the account's); and a caller over its rate is 429 while others are not."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.support.servers import serving, wait_until_ready

ROW = {
    "number": {"value": "INC0010001", "display_value": "INC0010001"},
    "sys_id": {"value": "a" * 32, "display_value": "a" * 32},
}


@pytest.fixture
async def instance() -> AsyncIterator[tuple[str, list[str]]]:
    """A ServiceNow stand-in failing (500) every call of the account ``failing``."""
    seen: list[str] = []

    async def table(request: web.Request) -> web.Response:
        user = base64.b64decode(request.headers["Authorization"].split()[1]).split(b":")[0]
        seen.append(user.decode())
        if user == b"failing":
            return web.json_response({"error": {"message": "boom"}}, status=500)
        return web.json_response({"result": [ROW]})

    app = web.Application()
    app.router.add_get("/api/now/table/{table}", table)
    async with serving(app) as url:
        yield url, seen


async def fetch(stack: Stack, url: str, user: str) -> int:
    body = {
        "ticketNumber": "INC0010001",
        "connectionDetails": stack.connection(instanceUrl=url, username=user, password="pw-1234"),
        "ticketFields": ["ticketNumber"],
    }
    return (await stack.rest("POST", "fetch", body)).status_code


async def test_one_accounts_failures_do_not_open_the_circuit_for_another(
    stack: Stack, instance: tuple[str, list[str]]
) -> None:
    url, seen = instance
    statuses = [await fetch(stack, url, "failing") for _ in range(6)]
    assert statuses[-1] == 503, statuses  # its circuit is open: refused at once
    calls = len(seen)
    assert await fetch(stack, url, "failing") == 503 and len(seen) == calls  # nothing sent
    # Same instance, another account: its own circuit, still closed.
    assert await fetch(stack, url, "healthy") == 200
    assert seen[-1] == "healthy"


@pytest.fixture
async def paced(stack: Stack) -> AsyncIterator[str]:
    """A gateway giving each caller 60 requests a minute, 3 at once."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        caller_requests_per_minute=60,
        caller_burst=3,
    )
    async with serving(create_app(settings)) as url:
        await wait_until_ready(url)
        yield url


async def test_a_caller_over_its_rate_is_429_and_others_are_not(stack: Stack, paced: str) -> None:
    assert stack.issuer is not None
    busy = {"Authorization": f"Bearer {stack.issuer.mint('busy.user')}"}
    calm = {"Authorization": f"Bearer {stack.issuer.mint('calm.user')}"}
    query = {"query": "{ connectors { itsmType } }"}
    answers = [
        await stack.http.post(f"{paced}/graphql", json=query, headers=busy) for _ in range(4)
    ]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    over = answers[3]
    assert over.status_code == 429, over.text
    assert over.headers["Retry-After"] == "1"
    assert "ITSM_GATEWAY_CALLER_REQUESTS_PER_MINUTE" in over.json()["errors"][0]["message"]
    rest = await stack.http.post(f"{paced}/itsm/v1/ticket/fetch", json={}, headers=busy)
    assert rest.status_code == 429  # both doors count against one budget
    assert (await stack.http.post(f"{paced}/graphql", json=query, headers=calm)).status_code == 200
