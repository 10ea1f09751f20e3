"""A real Redis for tests: Debian's ``redis-server``, started on a free loopback port with
nothing persisted, in its own process group, and stopped (with any child) at the end.

``make test`` and ``.ci/run`` install the package when they run as root. Elsewhere, tests that
need Redis are skipped with a message naming what is missing, or fail when
``ITSM_GATEWAY_REQUIRE_REDIS=1`` says Redis must be there (CI).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis.asyncio

HOST = "127.0.0.1"
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
REQUIRE_VARIABLE = "ITSM_GATEWAY_REQUIRE_REDIS"


@dataclass(frozen=True)
class RedisServer:
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"


def redis_server_binary() -> str:
    """The ``redis-server`` to run; skips the test (or fails it, when required) without one."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = (
            "Redis tests need redis-server on PATH (Debian package redis-server; "
            "`make test` installs it when run as root)"
        )
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return binary


@contextlib.asynccontextmanager
async def running_redis(workdir: Path, *, attempts: int = 3) -> AsyncIterator[RedisServer]:
    """A fresh ``redis-server`` until the block ends. The port is picked free and may be taken by
    someone else before Redis binds it, hence a few attempts."""
    binary = redis_server_binary()
    for attempt in range(1, attempts + 1):
        port = _free_port()
        server = RedisServer(port, workdir / f"redis-{port}.log")
        arguments = ["--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
        arguments += ["--dir", str(workdir), "--logfile", str(server.log_path)]
        process = await asyncio.create_subprocess_exec(
            binary,
            *arguments,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so that the stop reaches all of it
        )
        try:
            if await _ready(server, process):
                yield server
                return
        finally:
            await _stop(process)
        if attempt == attempts:
            log = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
            raise RuntimeError(f"redis-server did not start on port {port}:\n{log[-2000:]}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


async def _ready(server: RedisServer, process: asyncio.subprocess.Process) -> bool:
    client = redis.asyncio.from_url(server.url, socket_timeout=1, socket_connect_timeout=1)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        while loop.time() < deadline:
            if process.returncode is not None:
                return False  # exited: most likely the port was taken
            with contextlib.suppress(redis.RedisError, OSError):
                if await client.ping():
                    return True
            await asyncio.sleep(0.02)
        return False
    finally:
        await client.aclose()


async def _stop(process: asyncio.subprocess.Process) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.returncode is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    await process.wait()
