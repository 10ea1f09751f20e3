"""One real Keycloak per session, behind a cuttable proxy (see ``tests/support/keycloak.py``).

Tests that need it take the ``keycloak`` fixture; without Java or Maven they are skipped, or
fail when ``ITSM_GATEWAY_REQUIRE_KEYCLOAK=1`` says Keycloak must be there (CI). How long it took
to start and how much memory the JVM held is printed in the terminal summary.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.keycloak import (
    KEYCLOAK_VERSION,
    Keycloak,
    KeycloakUnavailable,
    keycloak_distribution,
    running_keycloak,
)

REALM_FILE = Path(__file__).with_name("smartops-realm.json")


@dataclass
class KeycloakRun:
    """What the session measured, for the terminal summary."""

    ready_seconds: float
    rss_at_ready: int | None
    log_path: Path
    rss_at_end: int | None = None
    peak_rss: int | None = None


RUN = pytest.StashKey[KeycloakRun]()


@pytest.fixture(scope="session")
async def keycloak(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Keycloak]:
    try:
        distribution = await asyncio.to_thread(keycloak_distribution)
    except KeycloakUnavailable as exc:
        unavailable: str | None = exc.reason
    else:
        unavailable = None
    # Outside the except block, so that a failure shows the reason alone, not a chained trace.
    if unavailable is not None:
        if os.environ.get("ITSM_GATEWAY_REQUIRE_KEYCLOAK") == "1":
            pytest.fail(unavailable, pytrace=False)
        pytest.skip(unavailable)
    # Under pytest's basetemp, so the Keycloak log of the last few runs stays for reading.
    workdir = tmp_path_factory.mktemp("keycloak")
    async with running_keycloak(distribution, REALM_FILE, workdir) as kc:
        assert kc.server.ready_seconds is not None
        run = KeycloakRun(
            kc.server.ready_seconds, kc.server.jvm_memory().get("VmRSS"), kc.server.log_path
        )
        request.config.stash[RUN] = run
        yield kc
        memory = kc.server.jvm_memory()
        run.rss_at_end, run.peak_rss = memory.get("VmRSS"), memory.get("VmHWM")


@pytest.fixture(autouse=True)
async def reconnect_keycloak(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """A test that cut the proxy and failed must not leave the next test without Keycloak."""
    yield
    if "keycloak" in request.fixturenames:
        kc: Keycloak = request.getfixturevalue("keycloak")
        if kc.proxy.mode != "forward":
            await kc.proxy.restore()


def _mib(size: int | None) -> str:
    return "?" if size is None else f"{size / 2**20:.0f} MiB"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    run = terminalreporter.config.stash.get(RUN, None)
    if run is None:
        return
    terminalreporter.write_sep("-", f"Keycloak {KEYCLOAK_VERSION}")
    terminalreporter.write_line(
        f"ready in {run.ready_seconds:.1f} s; JVM RSS {_mib(run.rss_at_ready)} when ready, "
        f"{_mib(run.rss_at_end)} at the end (peak {_mib(run.peak_rss)}); log: {run.log_path}"
    )
