"""A real Request Tracker 5 for tests: Debian 12's ``request-tracker5`` (RT 5.0.3) with the SQLite
backend and the standalone server, installed with apt-get when missing (as root), initialised in
a fresh temporary folder per test session and served on a free loopback port.

Initialising, seeding, serving and stopping RT is the product's launcher,
``emulators/rt_launcher.py`` (the demo uses it too; its names are re-exported here). This
module adds what only the tests do: installing the packages, the session fixture, the skip or
failure when RT cannot be had, and the terminal summary.

Tests take the session fixture ``rt_server`` (import it into a conftest; ``session_rt`` is the
same for fixtures that cannot take it); all of them share one server while it runs. Without the
packages and without root (or apt-get) to install them, those tests skip with the reason, or
fail when ``ITSM_GATEWAY_REQUIRE_RT=1`` (CI). What the gateway relies on in RT:
``docs/connectors/request-tracker.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from emulators import rt_launcher as launcher
from emulators.rt_launcher import (
    AGENT,
    AGENT_NAME,
    API_USER,
    CALLER,
    CALLER_EMAIL,
    CALLER_NAME,
    CUSTOM_FIELDS,
    HOST,
    NEEDED,
    RtFailed,
    RtServer,
    RtUnavailable,
    rt_version,
)
from emulators.rt_launcher import is_installed as installed

__all__ = [
    "AGENT",
    "AGENT_NAME",
    "API_USER",
    "CALLER",
    "CALLER_EMAIL",
    "CALLER_NAME",
    "CUSTOM_FIELDS",
    "HOST",
    "NEEDED",
    "RtFailed",
    "RtServer",
    "RtUnavailable",
    "ensure_installed",
    "installed",
    "own_rt",
    "rt_server",
    "rt_terminal_summary",
    "rt_version",
    "running_rt",
    "session_rt",
]

REQUIRE_VARIABLE = "ITSM_GATEWAY_REQUIRE_RT"
# dma stands in for exim4 as the mail transport RT depends on (no daemon); dbconfig-no-thanks
# keeps dbconfig-common from making a database of its own.
PACKAGES = ("request-tracker5", "rt5-db-sqlite", "rt5-standalone", "dma", "dbconfig-no-thanks")
PRESEED = """\
request-tracker5 request-tracker5/rtname string rt-test.localhost
request-tracker5 request-tracker5/organization string test.localhost
request-tracker5 request-tracker5/correspondaddress string rt@localhost
request-tracker5 request-tracker5/commentaddress string rt-comment@localhost
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1
request-tracker5 request-tracker5/webpath string /rt
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/dbconfig-install boolean false
dma dma/mailname string localhost
dma dma/relayhost string
"""
INSTALL_TIMEOUT = 20 * 60.0


# -- the packages ----------------------------------------------------------------------------


def ensure_installed() -> float | None:
    """Install the packages when missing; the seconds it took, or ``None`` when already there.

    Raises ``RtUnavailable`` when they are missing and cannot be installed here.
    """
    if installed():
        return None
    missing = ", ".join(NEEDED)
    if os.geteuid() != 0:
        raise RtUnavailable(
            f"Request Tracker tests need Debian's {missing}; they are not installed and "
            "installing them needs root (`make test-tools` as root installs them)"
        )
    if shutil.which("apt-get") is None or shutil.which("debconf-set-selections") is None:
        raise RtUnavailable(
            f"Request Tracker tests need Debian's {missing}; they are not installed and this "
            "machine has no apt-get to install them"
        )
    started = time.monotonic()
    lock = Path(tempfile.gettempdir()) / "itsm-gateway-rt-install.lock"
    with _locked(lock):  # two test sessions at once must not both run apt-get
        if installed():
            return None
        _install()
    return time.monotonic() - started


def _install() -> None:
    subprocess.run(
        ["debconf-set-selections"],  # noqa: S607
        input=PRESEED,
        text=True,
        capture_output=True,
        check=True,
    )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [
        "apt-get", "install", "-y", "-q", "--no-install-recommends",
        "-o", "DPkg::Lock::Timeout=600",
        "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
        *PACKAGES,
    ]  # fmt: skip
    output = ""
    # A machine whose package lists are old or missing needs an update first; try without.
    for command in (install, ["apt-get", "update", "-q"], install):
        try:
            done = subprocess.run(  # noqa: S603 (fixed argv)
                command,
                env=env,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RtUnavailable(
                f"`{' '.join(command[:2])}` took over {INSTALL_TIMEOUT:.0f} s"
            ) from None
        output = done.stdout + done.stderr
        if command is install and done.returncode == 0 and installed():
            return
    tail = "\n".join(output.strip().splitlines()[-15:])
    raise RtUnavailable(f"could not install {', '.join(PACKAGES)} with apt-get:\n{tail}")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.asynccontextmanager
async def running_rt(
    workdir: Path, *, attempts: int = 3, web_path: str = ""
) -> AsyncIterator[RtServer]:
    """Install when needed, then the launcher's ``running_rt``: a database initialised in
    ``workdir`` and served on a free port (under ``web_path``, ``/rt``, when given) until the
    block ends. Raises ``RtUnavailable`` (cannot be had here) or ``RtFailed`` (broken)."""
    install_seconds = await asyncio.to_thread(ensure_installed)
    async with launcher.running_rt(workdir, attempts=attempts, web_path=web_path) as server:
        server.install_seconds = install_seconds
        yield server


# -- the session fixture ---------------------------------------------------------------------


@dataclass
class RtRuns:
    """The servers this session started (for the terminal summary) and the one running now."""

    servers: list[RtServer] = field(default_factory=list)
    active: RtServer | None = None
    printed: bool = False


RUNS = pytest.StashKey[RtRuns]()


@contextlib.asynccontextmanager
async def session_rt(
    config: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RtServer]:
    """The session's RT: the one already running if any (left running), else one started here
    and stopped when the block ends. When RT cannot be had, skips with the reason, or fails when
    ``ITSM_GATEWAY_REQUIRE_RT=1``. For fixtures that cannot take ``rt_server`` directly (a
    parametrised one, say)."""
    runs = config.stash.setdefault(RUNS, RtRuns())
    if runs.active is not None:
        yield runs.active
        return
    unavailable = None
    try:
        # Under pytest's basetemp, so the logs of the last few runs stay for reading.
        async with running_rt(tmp_path_factory.mktemp("rt")) as server:
            runs.servers.append(server)
            runs.active = server
            try:
                yield server
            finally:
                runs.active = None
            return
    except RtUnavailable as exc:
        unavailable = exc.reason
    # Outside the except block, so that a failure shows the reason alone, not a chained trace.
    _skip_or_fail(unavailable)


@contextlib.asynccontextmanager
async def own_rt(workdir: Path, *, web_path: str = "") -> AsyncIterator[RtServer]:
    """An RT of the caller's own, not the session's: for a test that needs RT set up otherwise
    (served under ``web_path``, say). Skips or fails as ``rt_server`` does when RT cannot be
    had; costs a database of its own (about 7 s)."""
    unavailable = None
    try:
        async with running_rt(workdir, web_path=web_path) as server:
            yield server
            return
    except RtUnavailable as exc:
        unavailable = exc.reason
    _skip_or_fail(unavailable)


def _skip_or_fail(reason: str | None) -> None:
    reason = reason or "Request Tracker 5 cannot be had here"
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
async def rt_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RtServer]:
    """The session's RT (import this fixture into a conftest). Every conftest that does, and
    every ``session_rt`` block while it runs, gets the same server."""
    async with session_rt(request.config, tmp_path_factory) as server:
        yield server


def rt_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Import as ``pytest_terminal_summary`` into a conftest; prints once however many do."""
    runs = terminalreporter.config.stash.get(RUNS, None)
    if runs is None or runs.printed or not runs.servers:
        return
    runs.printed = True
    terminalreporter.write_sep("-", f"Request Tracker {runs.servers[0].version}")
    for server in runs.servers:
        installed_in = (
            "already installed"
            if server.install_seconds is None
            else f"installed with apt-get in {server.install_seconds:.1f} s"
        )
        terminalreporter.write_line(
            f"{installed_in}; database made and seeded in {server.setup_seconds:.1f} s; "
            f"server ready in {server.ready_seconds:.1f} s; log: {server.log_path}"
        )


def main() -> int:
    """``python -m tests.support.rt`` (``make test-tools``): install the packages when missing."""
    try:
        seconds = ensure_installed()
    except RtUnavailable as exc:
        print(exc.reason, file=sys.stderr)
        return 1
    if seconds is None:
        print("Request Tracker 5: packages already installed")
    else:
        print(f"Request Tracker 5: installed {', '.join(PACKAGES)} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
