"""Graceful shutdown of ``itsm-gateway serve`` (issue 4, item 7): on SIGTERM the gateway stops
accepting connections, lets the requests in flight finish within the grace period, closes its
connections and exits 0.

A real ``serve`` subprocess, with the token issuer and a slow ServiceNow emulator served by this
process, so the test sees from the emulator's request log when every request is in flight. Waits
are bounded only to guard against hangs; no duration is asserted.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from emulators.servicenow import EmulatorState
from emulators.servicenow import create_app as create_emulator_app
from emulators.servicenow.seed import INC_NEW
from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from tests.e2e.conftest import SN_PASSWORD, SN_USER
from tests.e2e.test_e2e_cli import EXIT_SECONDS, clean_environment, free_port, poll, running
from tests.support.servers import serving

IN_FLIGHT = 10
WAIT_SECONDS = 60.0  # hang guard only


@dataclass
class Serving:
    process: asyncio.subprocess.Process
    base_url: str
    port: int
    emulator: EmulatorState
    token: str
    stderr: Path

    def fetch(self, client: httpx.AsyncClient, emulator_url: str) -> asyncio.Task[httpx.Response]:
        body = {
            "ticketNumber": INC_NEW[0],
            "ticketFields": ["ticketNumber"],
            "connectionDetails": {
                "itsmType": "servicenow",
                "instanceUrl": emulator_url,
                "authType": "basic",
                "username": SN_USER,
                "password": SN_PASSWORD,
            },
        }
        return asyncio.create_task(
            client.request(
                "GET",
                f"{self.base_url}/itsm/v1/ticket/fetch",
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        )

    def incident_calls(self) -> int:
        return sum(1 for r in self.emulator.requests if r.table == "incident")


@asynccontextmanager
async def serve(
    tmp_path: Path, *, grace: float, latency_ms: int
) -> AsyncIterator[tuple[Serving, str]]:
    issuer, emulator = TokenIssuer(), EmulatorState()
    emulator.faults.latency_ms = latency_ms
    async with (
        serving(create_issuer_app(issuer)) as issuer_url,
        serving(create_emulator_app(emulator)) as emulator_url,
    ):
        issuer.bind(issuer_url)
        port = free_port()
        env = clean_environment(
            keycloak_issuer=issuer.issuer or "",
            keycloak_audience=issuer.audience,
            itsm_allowed_urls="http://127.0.0.1:*",
            host="127.0.0.1",
            port=str(port),
            shutdown_grace_seconds=str(grace),
        )
        stderr = tmp_path / "stderr"
        async with running("serve", env=env, stderr_file=stderr) as process:
            base_url = f"http://127.0.0.1:{port}"
            await poll(f"{base_url}/readyz", process)
            token = issuer.mint("smartops.operator")
            yield Serving(process, base_url, port, emulator, token, stderr), emulator_url


async def until(condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        await asyncio.sleep(0.02)


async def connection_refused(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except (ConnectionRefusedError, ConnectionResetError):
        # Reset: the attempt was queued on the listening socket as it closed.
        return True
    writer.close()
    await writer.wait_closed()
    return False


async def test_sigterm_lets_requests_in_flight_finish_and_exits_0(tmp_path: Path) -> None:
    async with serve(tmp_path, grace=30, latency_ms=1500) as (gateway, emulator_url):
        async with httpx.AsyncClient(timeout=WAIT_SECONDS) as client:
            requests = [gateway.fetch(client, emulator_url) for _ in range(IN_FLIGHT)]
            await until(
                lambda: gateway.incident_calls() == IN_FLIGHT,
                f"all {IN_FLIGHT} requests reached the ITSM",
            )

            gateway.process.send_signal(signal.SIGTERM)

            # A new connection is refused while the requests in flight are still being served
            # (the emulator holds each for 1.5 s): the process stopped listening, not running.
            refused_while_serving = False

            async def refused() -> bool:
                nonlocal refused_while_serving
                if await connection_refused(gateway.port):
                    refused_while_serving = not all(r.done() for r in requests)
                    return True
                return False

            loop_deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
            while not await refused():
                assert asyncio.get_running_loop().time() < loop_deadline, "still accepting"
                await asyncio.sleep(0.02)

            responses = await asyncio.wait_for(asyncio.gather(*requests), WAIT_SECONDS)
        code = await asyncio.wait_for(gateway.process.wait(), EXIT_SECONDS)

    assert refused_while_serving
    assert [r.status_code for r in responses] == [200] * IN_FLIGHT
    for response in responses:
        assert response.json()["ticketDetails"] == {"ticketNumber": INC_NEW[0]}
    assert code == 0
    log = gateway.stderr.read_text()
    assert "requests in flight have 30.0s to finish" in log
    assert '"stopped"' in log
    assert "Traceback" not in log


async def test_a_request_that_outlasts_the_grace_period_is_cut_and_the_exit_is_still_0(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path, grace=0.2, latency_ms=5000) as (gateway, emulator_url):
        async with httpx.AsyncClient(timeout=WAIT_SECONDS) as client:
            request = gateway.fetch(client, emulator_url)
            await until(lambda: gateway.incident_calls() == 1, "the request reached the ITSM")
            gateway.process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(gateway.process.wait(), EXIT_SECONDS)
            with pytest.raises(httpx.TransportError):
                await asyncio.wait_for(request, WAIT_SECONDS)
    assert code == 0
    assert '"stopped"' in gateway.stderr.read_text()
