"""``itsm-gateway serve --workers N``: several processes answer on one port, the parent passes
SIGTERM on and exits 0, and a worker that dies is replaced."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from tests.e2e.test_e2e_cli import (
    STARTUP_SECONDS,
    clean_environment,
    exit_code_after,
    free_port,
    poll,
    running,
)
from tests.support.servers import serving


async def pids_answering(base: str, want: int) -> set[int]:
    """Worker pids seen on /healthz, each request on a new connection, until ``want`` differ."""
    seen: set[int] = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_SECONDS
    while len(seen) < want and loop.time() < deadline:
        # New connections, many at once: whichever worker accepts first answers.
        async def one() -> int:
            async with httpx.AsyncClient(timeout=5) as client:
                return int((await client.get(f"{base}/healthz")).json()["pid"])

        seen.update(await asyncio.gather(*(one() for _ in range(20))))
    return seen


async def health_answers(base: str) -> float:
    """``/healthz`` and ``/readyz`` answers counted in ``/metrics`` (a new connection each)."""
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"{base}/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "itsm_gateway_requests_total" and (
                labels["door"],
                labels["status"],
            ) == ("health", "200"):
                return sample.value
    return 0.0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def gone(pids: set[int]) -> bool:
    for _ in range(100):
        if not any(alive(pid) for pid in pids):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_two_workers_answer_and_stop_together(tmp_path: Path) -> None:
    issuer = TokenIssuer()
    async with serving(create_issuer_app(issuer)) as issuer_url:
        issuer.bind(issuer_url)
        port = free_port()
        env = clean_environment(keycloak_issuer=issuer.issuer or "", port=str(port))
        stderr = tmp_path / "stderr"
        async with running("serve", "--workers", "2", env=env, stderr_file=stderr) as process:
            base = f"http://127.0.0.1:{port}"
            await poll(f"{base}/readyz", process)
            workers = await pids_answering(base, want=2)
            assert len(workers) == 2, workers
            assert process.pid not in workers  # the parent only supervises

            # /metrics sums every worker's counts, whichever worker answers the scrape.
            before = await health_answers(base)
            async with httpx.AsyncClient(timeout=5) as fresh:
                await asyncio.gather(*(fresh.get(f"{base}/healthz") for _ in range(30)))
            assert await health_answers(base) == before + 30

            # A worker killed from outside is replaced; the other keeps serving.
            victim = min(workers)
            os.kill(victim, signal.SIGKILL)
            replaced: set[int] = set()
            for _ in range(50):
                replaced = await pids_answering(base, want=2)
                if len(replaced) == 2 and victim not in replaced:
                    break
                await asyncio.sleep(0.1)
            assert victim not in replaced and len(replaced) == 2, replaced

            assert await exit_code_after(process, signal.SIGTERM) == 0
            assert await gone(replaced)
        log = stderr.read_text()
        assert "with 2 workers" in log
        assert f"(pid {victim}) exited on its own with signal SIGKILL" in log


async def test_workers_are_a_setting_too_and_bad_values_are_refused(tmp_path: Path) -> None:
    env = clean_environment(keycloak_issuer="https://sso.example.com/realms/smartops", workers="0")
    async with running("serve", env=env, stderr_file=tmp_path / "stderr") as process:
        code = await asyncio.wait_for(process.wait(), STARTUP_SECONDS)
    assert code == 2
    assert "ITSM_GATEWAY_WORKERS" in (tmp_path / "stderr").read_text()
