"""A real Request Tracker 5 for tests: Debian 12's ``request-tracker5`` (RT 5.0.3) with the SQLite
backend and the standalone server, installed with apt-get when missing (as root), initialised in
a fresh temporary folder per test session and served on a free loopback port.

Nothing outside that folder is read or written by the running RT: its configuration comes from
``RT_SITE_CONFIG`` (our file) and ``RT_SITE_CONFIG_DIR`` (an empty folder, so Debian's
``/etc/request-tracker5`` is never loaded), and its database, Mason cache, sessions and mbox
files (``$MailCommand = 'mbox'``: no mail ever leaves) all live in the folder. The server runs as
the test process's user, in its own process group, and is stopped (workers included) at the end.

The database is seeded with what the connector's mapping needs (``SEED``): the ``General`` and
``Network`` queues; the custom fields Category, SubCategory, Urgency, Severity and ClosureNotes
on both; a privileged API user for the gateway with a password and an RT auth token; an agent
and a caller. ``$BcryptCost`` is 4 before the database is made, because at RT's default of 12
every authenticated request costs about 0.25 s of CPU here (a CI setting, never production's).

Tests take the session fixture ``rt_server`` (import it into a conftest; ``session_rt`` is the
same for fixtures that cannot take it); all of them share one server while it runs. Without the
packages and without root (or apt-get) to install them, those tests skip with the reason, or
fail when ``ITSM_GATEWAY_REQUIRE_RT=1`` (CI). Facts about RT this relies on:
``/work/shared/notes/request-tracker.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

HOST = "127.0.0.1"
REQUIRE_VARIABLE = "ITSM_GATEWAY_REQUIRE_RT"
# dma stands in for exim4 as the mail transport RT depends on (no daemon); dbconfig-no-thanks
# keeps dbconfig-common from making a database of its own.
PACKAGES = ("request-tracker5", "rt5-db-sqlite", "rt5-standalone", "dma", "dbconfig-no-thanks")
NEEDED = ("request-tracker5", "rt5-db-sqlite", "rt5-standalone")
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
RT_LIB = Path("/usr/share/request-tracker5/lib")
RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
RT_SETUP_DATABASE = Path("/usr/sbin/rt-setup-database-5")
INSTALL_TIMEOUT = 20 * 60.0
SETUP_TIMEOUT = 120.0
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0

API_USER = "gateway"  # the account the gateway uses, as a customer would set one up
AGENT = "agent1"
AGENT_NAME = "Agent One"
CALLER = "caller1"
CALLER_EMAIL = "caller1@example.com"
CALLER_NAME = "Caller One"
CUSTOM_FIELDS = ("Category", "SubCategory", "Urgency", "Severity", "ClosureNotes")


class RtUnavailable(Exception):
    """RT cannot be had on this machine (not installed, and no root or apt-get to install it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RtFailed(Exception):
    """RT was installed but could not be set up or started; the message carries its log."""


# -- the packages ----------------------------------------------------------------------------


def installed() -> bool:
    if not RT_SERVER.is_file() or shutil.which("dpkg-query") is None:
        return False
    done = subprocess.run(  # noqa: S603 (fixed argv)
        ["dpkg-query", "-W", "-f=${Status}\\n", *NEEDED],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines()
    return len(lines) == len(NEEDED) and all(line.endswith(" installed") for line in lines)


def rt_version() -> str:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "request-tracker5"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "?"


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


# -- one instance ----------------------------------------------------------------------------


@dataclass
class RtServer:
    """A running RT: where it answers, its accounts (secrets kept out of ``repr``), and what
    its start cost."""

    workdir: Path
    port: int
    api_password: str = field(repr=False)
    api_token: str = field(repr=False)
    root_password: str = field(repr=False)
    agent_password: str = field(repr=False)
    version: str = "?"
    install_seconds: float | None = None
    setup_seconds: float = 0.0
    ready_seconds: float = 0.0

    @property
    def url(self) -> str:
        """What a caller names as ``instanceUrl``."""
        return f"http://{HOST}:{self.port}"

    @property
    def rest2_url(self) -> str:
        return f"{self.url}/REST/2.0"

    @property
    def log_path(self) -> Path:
        return self.workdir / "rt-server.log"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def admin_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """A client for RT's REST 2.0 as RT's superuser ``root``, for tests to look behind the
        gateway's back (count tickets, read a ticket as RT holds it)."""
        return httpx.AsyncClient(
            base_url=self.rest2_url,
            auth=("root", self.root_password),
            headers={"User-Agent": "itsm-gateway-tests"},
            timeout=30.0,
            **kwargs,
        )


def _site_config(workdir: Path, port: int) -> str:
    # Paths RT compiles in (RT::Generated) are package variables, not options: set them directly.
    return f"""\
# Written by tests/support/rt.py for one test session; RT_SITE_CONFIG points here.
Set($rtname, 'rt-test.localhost');
Set($Organization, 'test.localhost');
Set($WebDomain, '{HOST}');
Set($WebPort, {port});
Set($WebPath, '');
Set($WebBaseURL, 'http://{HOST}:{port}');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{workdir}/rt.db');
Set($Timezone, 'UTC');
Set($MailCommand, 'mbox');
Set($LogToSyslog, undef);
Set($LogToFile, undef);
Set($LogToSTDERR, 'warning');
Set($DisableGraphViz, 1);
Set($BcryptCost, 4);
$RT::VarPath = '{workdir}/var';
$RT::MasonDataDir = '{workdir}/mason_data';
$RT::MasonSessionDir = '{workdir}/session_data';
1;
"""


def _seed(api_password: str, agent_password: str) -> str:
    """RT "initialdata": the queue, users, group, rights and custom fields the tests rely on."""
    return f"""\
@Queues = ( {{ Name => 'Network', Description => 'Network team' }} );
@Users = (
    {{ Name => '{API_USER}', EmailAddress => 'gateway@example.com', RealName => 'ITSM Gateway',
      Privileged => 1, Password => '{api_password}' }},
    {{ Name => '{AGENT}', EmailAddress => 'agent1@example.com', RealName => '{AGENT_NAME}',
      Privileged => 1, Password => '{agent_password}' }},
    {{ Name => '{CALLER}', EmailAddress => '{CALLER_EMAIL}', RealName => '{CALLER_NAME}',
      Privileged => 0 }},
);
@Groups = ( {{ Name => 'Service Desk', Description => 'agents',
               Members => {{ Users => ['{API_USER}', '{AGENT}'] }} }} );
my @queues = ('General', 'Network');
my %cf = ( LookupType => 'RT::Queue-RT::Ticket', ApplyTo => [@queues] );
@CustomFields = (
    {{ %cf, Name => 'Category', Type => 'SelectSingle',
      Values => [ map {{ {{ Name => $_ }} }} qw(Hardware Software Network Access) ] }},
    {{ %cf, Name => 'SubCategory', Type => 'FreeformSingle' }},
    {{ %cf, Name => 'Urgency', Type => 'SelectSingle',
      Values => [ map {{ {{ Name => $_ }} }} qw(1-High 2-Medium 3-Low) ] }},
    {{ %cf, Name => 'Severity', Type => 'SelectSingle',
      Values => [ map {{ {{ Name => $_ }} }} qw(1-Critical 2-Major 3-Minor) ] }},
    {{ %cf, Name => 'ClosureNotes', Type => 'TextSingle' }},
);
my @rights = qw(SeeQueue ShowTicket CreateTicket ModifyTicket OwnTicket TakeTicket StealTicket
                ReplyToTicket CommentOnTicket ShowTicketComments Watch WatchAsAdminCc
                SeeCustomField ModifyCustomField);
@ACL = (
    ( map {{ {{ GroupDomain => 'UserDefined', GroupId => 'Service Desk', Queue => $_,
               Right => [@rights] }} }} @queues ),
    {{ GroupDomain => 'UserDefined', GroupId => 'Service Desk',
      Right => [qw(SeeCustomField ModifyCustomField ManageAuthTokens)] }},
);
1;
"""


# Prints the new token on stdout (nothing else), for the user named by the first argument.
_MAKE_TOKEN = f"""\
use strict; use warnings;
use lib '{RT_LIB}';
use RT; RT::LoadConfig(); RT::Init();
my $user = RT::User->new(RT->SystemUser); $user->Load($ARGV[0]) or die "no user\\n";
my $cu = RT::CurrentUser->new(RT->SystemUser); $cu->Load($user->id);
my ($id, $msg, $token) = RT::AuthToken->new($cu)->Create(
    Owner => $user->id, Description => 'tests');
die "token: $msg\\n" unless $id;
print "$token\\n";
"""


def _environment(workdir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "RT_SITE_CONFIG": str(workdir / "RT_SiteConfig.pm"),
        "RT_SITE_CONFIG_DIR": str(workdir / "RT_SiteConfig.d"),
    }


def _run(command: list[str], workdir: Path, log: Path, **kwargs: Any) -> str:
    """Run one setup step; its output goes to ``log`` (stdout returned when ``capture``)."""
    capture = kwargs.pop("capture", False)
    if "input" not in kwargs:
        kwargs["stdin"] = subprocess.DEVNULL
    with log.open("ab") as sink:
        done = subprocess.run(  # noqa: S603 (our argv)
            command,
            env=_environment(workdir),
            cwd=workdir,
            stdout=subprocess.PIPE if capture else sink,
            stderr=sink,
            timeout=SETUP_TIMEOUT,
            check=False,
            **kwargs,
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RtFailed(f"{Path(command[0]).name} failed ({done.returncode}):\n{tail}")
    return done.stdout.decode() if capture else ""


def _initialise(workdir: Path, port: int) -> tuple[str, str, str, str]:
    """A fresh SQLite database, seeded; ``(root, api, agent passwords, api token)``."""
    for folder in ("RT_SiteConfig.d", "var", "mason_data", "session_data"):
        (workdir / folder).mkdir(mode=0o700)
    (workdir / "RT_SiteConfig.pm").write_text(_site_config(workdir, port))
    root_password, api_password, agent_password = (secrets.token_urlsafe(12) for _ in range(3))
    secret_files = [workdir / "root-password", workdir / "seed.pl"]
    log = workdir / "setup.log"
    try:
        for path, text in zip(
            secret_files,
            (root_password + "\n", _seed(api_password, agent_password)),
            strict=True,
        ):
            path.touch(mode=0o600)
            path.write_text(text)
        password_file, seed_file = (str(path) for path in secret_files)
        setup = str(RT_SETUP_DATABASE)
        _run([setup, "--action", "init", "--root-password-file", password_file], workdir, log)
        _run([setup, "--action", "insert", "--datafile", seed_file], workdir, log)
    finally:
        for path in secret_files:
            path.unlink(missing_ok=True)
    # rt-setup-database says "Done inserting data" even when some items failed.
    text = log.read_text(errors="replace")
    if "Done inserting data" not in text or "[error]" in text:
        errors = [line for line in text.splitlines() if "[error]" in line]
        raise RtFailed("RT's seed data was not inserted cleanly:\n" + "\n".join(errors[-10:]))
    token = _run(["perl", "-", API_USER], workdir, log, input=_MAKE_TOKEN.encode(), capture=True)
    token = token.strip()
    if not token:
        raise RtFailed("RT made no auth token")
    return root_password, api_password, agent_password, token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


async def _ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    """Whether REST 2.0 answers (401 without credentials counts); ``False`` once RT exited."""
    deadline = time.monotonic() + READY_TIMEOUT
    async with httpx.AsyncClient(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            with contextlib.suppress(httpx.TransportError):
                answer = await client.get(f"{url}/REST/2.0/rt")
                if answer.status_code in (200, 401):
                    return True
            await asyncio.sleep(0.1)
    raise RtFailed(f"RT at {url} did not answer within {READY_TIMEOUT:.0f} s")


async def _stop(process: subprocess.Popen[bytes]) -> None:
    """TERM to the process group (the Starlet master and its workers), KILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(process.wait, STOP_TIMEOUT)
    await asyncio.to_thread(process.wait)
    with contextlib.suppress(ProcessLookupError):  # a worker that outlived its master
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def running_rt(workdir: Path, *, attempts: int = 3) -> AsyncIterator[RtServer]:
    """Install when needed, initialise a database in ``workdir`` and serve it until the block
    ends. The port is picked free and could be taken before RT binds it, hence a few attempts.
    Raises ``RtUnavailable`` (cannot be had here) or ``RtFailed`` (broken)."""
    install_seconds = await asyncio.to_thread(ensure_installed)
    started = time.monotonic()
    port = _free_port()
    root_password, api_password, agent_password, token = await asyncio.to_thread(
        _initialise, workdir, port
    )
    server = RtServer(
        workdir,
        port,
        api_password=api_password,
        api_token=token,
        root_password=root_password,
        agent_password=agent_password,
        version=await asyncio.to_thread(rt_version),
        install_seconds=install_seconds,
        setup_seconds=time.monotonic() - started,
    )
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            server.port = _free_port()
            (workdir / "RT_SiteConfig.pm").write_text(_site_config(workdir, server.port))
        command = [
            str(RT_SERVER), "--server", "Starlet", "--host", HOST, "--port", str(server.port),
            "--max-workers", "2",
        ]  # fmt: skip
        launched = time.monotonic()
        with server.log_path.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603, ASYNC220 (returns at once)
                command,
                env=_environment(workdir),
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the stop reaches the workers
            )
        try:
            if await _ready(server.url, process):
                server.ready_seconds = time.monotonic() - launched
                yield server
                return
        finally:
            await _stop(process)
        if attempt == attempts:
            raise RtFailed(f"rt-server did not start on port {server.port}:\n{server.log_tail()}")


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
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(unavailable, pytrace=False)
    pytest.skip(unavailable)


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
