"""Issue 18, item 2, through the gateway over real HTTP: what the transport makes of a failure
decides whether a write is sent again and what the caller is told. A reset after the request went
out may have applied it: sent once, a 503 saying so. A read meeting the same is retried. A
connect that times out sent nothing: the write is retried and the answer does not claim it may
have been applied."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.gateway.outbound.test_transport import RawServer
from tests.gateway.outbound.test_transport_outcomes import accept_queue_full, reset_after_reading
from tests.support.servers import serving, wait_until_ready

MAYBE_APPLIED = "may have been applied"


@pytest.fixture(scope="module")
async def gateway(stack: Stack) -> AsyncIterator[str]:
    """A gateway quick to give up connecting (0.2 s), the stack's issuer and allow-list."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        itsm_connect_timeout_seconds=0.2,
        itsm_read_timeout_seconds=2.0,
    )
    async with serving(create_app(settings)) as url:
        await wait_until_ready(url)
        yield url


async def test_a_write_reset_after_sending_is_sent_once_and_said_to_be_maybe_applied(
    stack: Stack, gateway: str
) -> None:
    async with RawServer(reset_after_reading).running() as itsm:
        connection = stack.connection(instanceUrl=f"http://127.0.0.1:{itsm.port}")
        body = {"connectionDetails": connection, "ticketJSON": {"short_description": "Disk full"}}
        response = await stack.http.post(
            f"{gateway}/itsm/v1/ticket/create", json=body, headers=stack.headers()
        )

    assert response.status_code == 503, response.text  # "Could not reach": no answer came
    assert MAYBE_APPLIED in response.json()["statusMessage"]
    assert [r.split(b" ", 1)[0] for r in itsm.requests] == [b"POST"]  # never sent again


async def test_a_read_reset_after_sending_is_retried(stack: Stack, gateway: str) -> None:
    async with RawServer(reset_after_reading).running() as itsm:
        connection = stack.connection(instanceUrl=f"http://127.0.0.1:{itsm.port}")
        body = {"ticketNumber": "INC0010001", "connectionDetails": connection}
        response = await stack.http.post(
            f"{gateway}/itsm/v1/ticket/fetch", json=body, headers=stack.headers()
        )

    assert response.status_code == 503, response.text
    assert MAYBE_APPLIED not in response.json()["statusMessage"]
    # The first try and ITSM_GATEWAY_ITSM_RETRIES (2) more; none resent by the HTTP library.
    assert [r.split(b" ", 1)[0] for r in itsm.requests] == [b"GET"] * 3


async def test_a_write_whose_connect_timed_out_is_not_said_to_be_maybe_applied(
    stack: Stack, gateway: str
) -> None:
    with accept_queue_full() as port:
        connection = stack.connection(instanceUrl=f"http://127.0.0.1:{port}")
        body = {"connectionDetails": connection, "ticketJSON": {"short_description": "Disk full"}}
        response = await asyncio.wait_for(
            stack.http.post(f"{gateway}/itsm/v1/ticket/create", json=body, headers=stack.headers()),
            30,
        )

    payload = response.json()
    assert response.status_code in (503, 504), payload
    assert MAYBE_APPLIED not in payload["statusMessage"]
    assert "ServiceNow" in payload["statusMessage"]
