"""A launcher for a real Request Tracker 5 on this machine, not an emulator: Debian 12's
``request-tracker5`` (RT 5.0.3) with the SQLite backend and the standalone server, initialised in
a folder the caller gives and served on loopback. The tests (``tests/support/rt.py``, which also
installs the packages when it may) and ``itsm-gateway demo`` use it; nothing here installs
anything.

Why it lives in ``emulators/`` although it emulates nothing: it belongs with the demo's and the
tests' tooling, outside the production install (the gateway never starts an ITSM), yet both the
demo command and the tests must import it; the emulators' distribution is exactly that place.
Its name says what it is: it launches the real RT.

Nothing outside that folder is read or written by the running RT: its configuration comes from
``RT_SITE_CONFIG`` (our file) and ``RT_SITE_CONFIG_DIR`` (an empty folder, so Debian's
``/etc/request-tracker5`` is never loaded), and its database, Mason cache, sessions and mbox
files (``$MailCommand = 'mbox'``: no mail ever leaves) all live in the folder. The server runs as
the caller's user, in its own process group, and is stopped (workers included) when the
``running_rt`` block ends: a caller killed with SIGKILL leaves it running.

Under a path: with ``web_path`` (``/rt``, as RT is commonly served) RT's ``$WebPath`` is set and
``rt-server --webpath`` mounts the whole of RT there, REST 2.0 included (``/rt/REST/2.0``);
``RtServer.url`` then ends with it.

The database is seeded with what the connector's mapping needs: the ``General`` and ``Network``
queues; the custom fields Category, SubCategory, Urgency, Severity, ClosureNotes and CorrelationId
on both; a privileged API user for the gateway with a password and an RT auth token; an agent and
a caller.
``$BcryptCost`` is 4 before the database is made, because at RT's default of 12 every
authenticated request costs about 0.25 s of CPU (a test and demo setting, never production's).
Facts about RT this relies on: ``docs/connectors/request-tracker.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
NEEDED = ("request-tracker5", "rt5-db-sqlite", "rt5-standalone")
HOW_TO_INSTALL = f"apt-get install {' '.join(NEEDED)}"
RT_LIB = Path("/usr/share/request-tracker5/lib")
RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
RT_SETUP_DATABASE = Path("/usr/sbin/rt-setup-database-5")
SETUP_TIMEOUT = 120.0
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0

API_USER = "gateway"  # the account the gateway uses, as a customer would set one up
AGENT = "agent1"
AGENT_NAME = "Agent One"
CALLER = "caller1"
CALLER_EMAIL = "caller1@example.com"
CALLER_NAME = "Caller One"
CUSTOM_FIELDS = ("Category", "SubCategory", "Urgency", "Severity", "ClosureNotes", "CorrelationId")


class RtUnavailable(Exception):
    """RT cannot be had on this machine (not installed, and not installable by the caller)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RtFailed(Exception):
    """RT was installed but could not be set up or started; the message carries its log."""


def is_installed() -> bool:
    """Whether Debian's RT packages are installed and the tools the set-up runs (``dpkg-query``,
    ``perl``) are on ``PATH``."""
    if not RT_SERVER.is_file() or shutil.which("dpkg-query") is None:
        return False
    if shutil.which("perl") is None:  # the auth token is made by a Perl script on PATH's perl
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


@dataclass
class RtServer:
    """A running RT: where it answers, its accounts (secrets kept out of ``repr``), and what
    its start cost (``install_seconds`` is the installing caller's to fill in)."""

    workdir: Path
    port: int
    api_password: str = field(repr=False)
    api_token: str = field(repr=False)
    root_password: str = field(repr=False)
    agent_password: str = field(repr=False)
    version: str = "?"
    web_path: str = ""  # where RT is mounted ("/rt"), or "" for the root
    install_seconds: float | None = None
    setup_seconds: float = 0.0
    ready_seconds: float = 0.0

    @property
    def url(self) -> str:
        """What a caller names as ``instanceUrl`` (the path RT is served under included)."""
        return f"http://{HOST}:{self.port}{self.web_path}"

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
        """A client for RT's REST 2.0 as RT's superuser ``root``: for tests to look behind the
        gateway's back (count tickets, read a ticket as RT holds it), for the demo to seed."""
        return httpx.AsyncClient(
            base_url=self.rest2_url,
            auth=("root", self.root_password),
            headers={"User-Agent": "itsm-gateway-rt-launcher"},
            timeout=30.0,
            **kwargs,
        )


def _site_config(workdir: Path, port: int, web_path: str) -> str:
    # Paths RT compiles in (RT::Generated) are package variables, not options: set them directly.
    return f"""\
# Written by emulators/rt_launcher.py for one run; RT_SITE_CONFIG points here.
Set($rtname, 'rt-test.localhost');
Set($Organization, 'test.localhost');
Set($WebDomain, '{HOST}');
Set($WebPort, {port});
Set($WebPath, '{web_path}');
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
    """RT "initialdata": the queue, users, group, rights and custom fields the mapping needs."""
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
    {{ %cf, Name => 'CorrelationId', Type => 'FreeformSingle' }},
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


def _initialise(workdir: Path, port: int, web_path: str) -> tuple[str, str, str, str]:
    """A fresh SQLite database, seeded; ``(root, api, agent passwords, api token)``."""
    for folder in ("RT_SiteConfig.d", "var", "mason_data", "session_data"):
        (workdir / folder).mkdir(mode=0o700)
    (workdir / "RT_SiteConfig.pm").write_text(_site_config(workdir, port, web_path))
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
async def running_rt(
    workdir: Path, *, port: int | None = None, attempts: int = 3, web_path: str = ""
) -> AsyncIterator[RtServer]:
    """Initialise a database in ``workdir`` (an empty folder) and serve it until the block ends,
    at the root or under ``web_path`` (one or more plain segments: ``/rt``).

    Without ``port`` one is picked free, and could be taken before RT binds it, hence a few
    attempts; a given ``port`` is tried once. Raises ``RtUnavailable`` (not installed here) or
    ``RtFailed`` (broken, or the port taken)."""
    if web_path and not re.fullmatch(r"(/[A-Za-z0-9_-]+)+", web_path):
        raise ValueError(f"web_path {web_path!r}: plain segments after a slash, like /rt")
    if not await asyncio.to_thread(is_installed):
        raise RtUnavailable(f"Request Tracker 5 is not installed here ({HOW_TO_INSTALL})")
    if port is not None:
        attempts = 1
    started = time.monotonic()
    first_port = port or _free_port()
    root_password, api_password, agent_password, token = await asyncio.to_thread(
        _initialise, workdir, first_port, web_path
    )
    server = RtServer(
        workdir,
        first_port,
        api_password=api_password,
        api_token=token,
        root_password=root_password,
        agent_password=agent_password,
        version=await asyncio.to_thread(rt_version),
        web_path=web_path,
        setup_seconds=time.monotonic() - started,
    )
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            server.port = _free_port()
            (workdir / "RT_SiteConfig.pm").write_text(_site_config(workdir, server.port, web_path))
        command = [
            str(RT_SERVER), "--server", "Starlet", "--host", HOST, "--port", str(server.port),
            "--max-workers", "2", *(["--webpath", web_path] if web_path else []),
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
