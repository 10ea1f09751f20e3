"""The image's HEALTHCHECK command, run as Docker would run it, against a real ``itsm-gateway
serve``: healthy while the gateway answers /healthz, unhealthy when nothing does. (The slim base
has no curl, so the command is a Python one-liner; a mistake in it would mark every container
unhealthy.)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.deploy.test_manifests import dockerfile_instructions
from tests.e2e.test_e2e_cli import clean_environment, free_port, poll, running

EXIT_SECONDS = 30.0


def healthcheck_command() -> list[str]:
    [healthcheck] = dockerfile_instructions("HEALTHCHECK")
    command = json.loads(healthcheck.split("CMD ", 1)[1])
    assert command[0] == "python"  # on the image's PATH: the project's virtual environment
    return [sys.executable, *command[1:]]


async def health_check_exit_code(port: int) -> int:
    """The command's exit code with ``ITSM_GATEWAY_PORT`` as the container would have it."""
    env = {"PATH": os.environ.get("PATH", ""), "ITSM_GATEWAY_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        *healthcheck_command(),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        return await asyncio.wait_for(process.wait(), EXIT_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_the_healthcheck_passes_while_the_gateway_serves(tmp_path: Path) -> None:
    port = free_port()
    # No Keycloak: /healthz answers all the same (only /readyz waits for the signing keys).
    env = clean_environment(
        keycloak_issuer=f"http://127.0.0.1:{free_port()}/realms/smartops",
        host="127.0.0.1",
        port=str(port),
    )
    async with running("serve", env=env, stderr_file=tmp_path / "stderr") as process:
        await poll(f"http://127.0.0.1:{port}/healthz", process)

        assert await health_check_exit_code(port) == 0


async def test_the_healthcheck_fails_when_nothing_answers() -> None:
    assert await health_check_exit_code(free_port()) != 0
