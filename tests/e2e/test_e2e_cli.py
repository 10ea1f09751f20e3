"""The ``itsm-gateway`` command as a user runs it: real subprocesses, bounded waits, and every
child killed in ``finally`` (docs/operations.md#running-it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest

from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.commands.demo import RT_DEMO_COMMENT, RT_DEMO_REPLY, RT_DEMO_SUBJECT
from tests.support import rt
from tests.support.servers import serving

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0
EXIT_SECONDS = 30.0


def _command() -> str:
    beside_python = Path(sys.executable).with_name("itsm-gateway")
    found = str(beside_python) if beside_python.exists() else shutil.which("itsm-gateway")
    assert found, "itsm-gateway is not installed (pip install -e .)"
    return found


COMMAND = _command()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_ports() -> tuple[int, int, int, int]:
    """Free ports for the demo's gateway, ServiceNow emulator, token issuer and RT, all distinct,
    with the emulator's port plus one free too: the demo's Jira emulator takes it, and
    ``free_port`` alone, called four times, may hand it to another of the four (or a server of
    this session may hold it). The sockets are held together while probing, so the kernel
    cannot give one port twice."""
    with contextlib.ExitStack() as held:

        def hold(port: int) -> int | None:
            probe = held.enter_context(socket.socket())
            try:
                probe.bind(("127.0.0.1", port))
            except (OSError, OverflowError):  # taken, or past 65535
                return None
            return int(probe.getsockname()[1])

        while True:
            emulator = hold(0)
            assert emulator is not None
            if hold(emulator + 1) is not None:
                break
        gateway, issuer, rt = (hold(0) for _ in range(3))
        assert gateway is not None and issuer is not None and rt is not None
        return gateway, emulator, issuer, rt


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any ITSM_GATEWAY_ setting, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITSM_GATEWAY_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update({f"ITSM_GATEWAY_{name.upper()}": value for name, value in settings.items()})
    return env


@asynccontextmanager
async def running(
    *args: str, env: dict[str, str], stderr_file: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``itsm-gateway *args`` with stdout piped and stderr to a file. If still running at the
    end: SIGINT first (the demo then stops the RT it started, which runs in its own process
    group and would outlive a SIGKILL), then SIGKILL after a bounded wait."""
    with stderr_file.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            COMMAND,
            *args,
            cwd=REPO_ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), EXIT_SECONDS)
            if process.returncode is None:
                process.kill()
                await asyncio.wait_for(process.wait(), EXIT_SECONDS)


async def run_to_end(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``itsm-gateway *args`` run to completion (bounded); ``(exit code, stdout, stderr)``."""
    process = await asyncio.create_subprocess_exec(
        COMMAND,
        *args,
        cwd=REPO_ROOT,
        env=env if env is not None else clean_environment(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), STARTUP_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await asyncio.wait_for(process.wait(), EXIT_SECONDS)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def exit_code_after(process: asyncio.subprocess.Process, signum: int) -> int:
    process.send_signal(signum)
    return await asyncio.wait_for(process.wait(), EXIT_SECONDS)


async def poll(url: str, process: asyncio.subprocess.Process, want: int = 200) -> httpx.Response:
    """GET ``url`` until it answers ``want`` (bounded); fails early if the process exits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_SECONDS
    last: Any = None
    async with httpx.AsyncClient(timeout=5) as client:
        while loop.time() < deadline:
            assert process.returncode is None, f"the process exited with {process.returncode}"
            try:
                last = await client.get(url)
                if last.status_code == want:
                    return last
            except httpx.TransportError as error:
                last = error
            await asyncio.sleep(0.1)
    pytest.fail(f"{url} did not answer {want} in time; last: {last!r}")


# -- demo ----------------------------------------------------------------------------------------


async def read_banner(process: asyncio.subprocess.Process) -> list[str]:
    """The demo's stdout up to and including "Press Ctrl-C to stop." (bounded)."""
    assert process.stdout is not None
    lines: list[str] = []

    async def read() -> None:
        while True:
            raw = await process.stdout.readline()  # type: ignore[union-attr]
            if not raw:
                raise AssertionError("the demo closed stdout early:\n" + "".join(lines))
            line = raw.decode()
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                return

    await asyncio.wait_for(read(), STARTUP_SECONDS)
    return lines


def printed_fetch_body(banner: list[str]) -> dict[str, Any]:
    """The JSON body of the banner's ``# fetch`` curl command."""
    start = banner.index("# fetch\n")
    command = "".join(banner[start + 1 : banner.index("\n", start)]).replace("\\\n", " ")
    words = shlex.split(command)
    return orjson.loads(words[words.index("-d") + 1])


async def test_demo_prints_a_working_token_and_stops_on_sigint(tmp_path: Path) -> None:
    port, emulator_port, issuer_port, _ = demo_ports()
    async with running(
        "demo",
        "--port",
        str(port),
        "--emulator-port",
        str(emulator_port),
        "--issuer-port",
        str(issuer_port),
        env=clean_environment(),
        stderr_file=tmp_path / "stderr",
    ) as process:
        banner = await read_banner(process)
        text = "".join(banner)

        assert "not for production" in text.lower()
        assert "demo" in text.lower()
        [token] = [
            line.split("=", 1)[1].strip() for line in banner if line.startswith("export TOKEN=")
        ]
        [gateway_url] = re.findall(r"^\s*gateway\s+(http://\S+)", text, re.MULTILINE)
        assert gateway_url == f"http://127.0.0.1:{port}"
        body = printed_fetch_body(banner)
        assert body["connectionDetails"]["instanceUrl"] == f"http://127.0.0.1:{emulator_port}"

        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.request(
                "GET",
                f"{gateway_url}/itsm/v1/ticket/fetch",
                json={"ticketNumber": "INC0010001", **body, "ticketFields": ["ticketNumber"]},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200, response.text
        assert response.json()["ticketDetails"] == {"ticketNumber": "INC0010001"}

        # The GET form of the fetch, through each profile the demo printed (issue 17, item 4).
        start = banner.index(next(line for line in banner if line.startswith("# fetch by GET")))
        urls = re.findall(r'"(http://[^"]+/itsm/v1/ticket/fetch\?[^"]+)"', "".join(banner[start:]))
        assert {parse_qs(urlsplit(url).query)["connectionId"][0] for url in urls} >= {
            "servicenow",
            "jira",
        }
        async with httpx.AsyncClient(timeout=30) as client:
            for url in urls:
                if "connectionId=rt" in url:
                    continue  # RT may be absent here; its own test covers it
                got = await client.get(url, headers={"Authorization": f"Bearer {token}"})
                assert got.status_code == 200, got.text
                number = parse_qs(urlsplit(url).query)["ticketNumber"][0]
                assert got.json()["ticketDetails"]["ticketNumber"] == number

        assert await exit_code_after(process, signal.SIGINT) == 0
        rest = (await asyncio.wait_for(process.stdout.read(), EXIT_SECONDS)).decode()  # type: ignore[union-attr]
        assert "stopped" in rest


def printed_example(banner: list[str], heading: str) -> list[str]:
    """The words of the curl command under the banner line starting with ``heading``."""
    start = banner.index(next(line for line in banner if line.startswith(heading)))
    command = "".join(banner[start + 1 : banner.index("\n", start)]).replace("\\\n", " ")
    return shlex.split(command)


def require_rt() -> None:
    """The RT tests' rule: install RT when missing and possible (as root), else skip with the
    reason, or fail under ITSM_GATEWAY_REQUIRE_RT=1."""
    try:
        rt.ensure_installed()
    except rt.RtUnavailable as exc:
        if os.environ.get(rt.REQUIRE_VARIABLE) == "1":
            pytest.fail(exc.reason, pytrace=False)
        pytest.skip(exc.reason)


async def test_demo_prints_a_working_request_tracker_example(tmp_path: Path) -> None:
    await asyncio.to_thread(require_rt)
    port, emulator_port, issuer_port, rt_port = demo_ports()
    async with running(
        "demo",
        "--port", str(port), "--emulator-port", str(emulator_port),
        "--issuer-port", str(issuer_port), "--rt-port", str(rt_port),
        env=clean_environment(),
        stderr_file=tmp_path / "stderr",
    ) as process:  # fmt: skip
        banner = await read_banner(process)
        text = "".join(banner)
        rt_url = f"http://127.0.0.1:{rt_port}"
        assert f"Request Tracker 5  {rt_url}" in text, (tmp_path / "stderr").read_text()
        [token] = [
            line.split("=", 1)[1].strip() for line in banner if line.startswith("export TOKEN=")
        ]
        words = printed_example(banner, "# Request Tracker")
        body = orjson.loads(words[words.index("-d") + 1])
        connection = body["connectionDetails"]
        assert connection["itsmType"] == "rt"
        assert connection["instanceUrl"] == rt_url
        assert f"demo auth token {connection['apiKey']}" in text

        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.request(
                "GET",
                words[words.index("GET") + 1],
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200, response.text
        details = response.json()["ticketDetails"]
        assert details["ticketNumber"] == body["ticketNumber"]
        assert details["shortDescription"] == RT_DEMO_SUBJECT
        assert [c["comment"] for c in details["comments"]] == [RT_DEMO_REPLY]
        assert [n["workNote"] for n in details["workNotes"]] == [RT_DEMO_COMMENT]

        assert await exit_code_after(process, signal.SIGINT) == 0
        # RT went with the demo: nothing answers on its port any more.
        async with httpx.AsyncClient(timeout=5) as client:
            with pytest.raises(httpx.TransportError):
                await client.get(f"{rt_url}/REST/2.0/rt")


async def test_demo_without_request_tracker_says_how_to_get_it(tmp_path: Path) -> None:
    port, emulator_port, issuer_port, _ = demo_ports()
    # Only the venv on PATH: no dpkg-query and no perl, so RT counts as not installed.
    env = {**clean_environment(), "PATH": str(Path(sys.executable).parent)}
    async with running(
        "demo",
        "--port", str(port), "--emulator-port", str(emulator_port),
        "--issuer-port", str(issuer_port),
        env=env,
        stderr_file=tmp_path / "stderr",
    ) as process:  # fmt: skip
        text = "".join(await read_banner(process))
        assert "Request Tracker 5  not installed here" in text
        assert "`apt-get install request-tracker5 rt5-db-sqlite rt5-standalone`" in text
        assert "`make test-tools` as root" in text
        assert "# Request Tracker" not in text
        assert await exit_code_after(process, signal.SIGINT) == 0


# -- serve: settings errors ----------------------------------------------------------------------

ISSUER = "https://sso.example.com/realms/smartops"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        pytest.param({}, "ITSM_GATEWAY_KEYCLOAK_ISSUER", id="no-issuer"),
        pytest.param({"keycloak_issuer": ""}, "ITSM_GATEWAY_KEYCLOAK_ISSUER", id="empty-issuer"),
        pytest.param(
            {"keycloak_issuer": "smartops"}, "ITSM_GATEWAY_KEYCLOAK_ISSUER", id="issuer-not-a-url"
        ),
        pytest.param(
            {"keycloak_issuer": ISSUER, "port": "notanumber"}, "ITSM_GATEWAY_PORT", id="bad-port"
        ),
        pytest.param(
            {"keycloak_issuer": ISSUER, "itsm_allowed_urls": "nonsense"},
            "ITSM_GATEWAY_ITSM_ALLOWED_URLS",
            id="bad-allowed-urls",
        ),
    ],
)
async def test_serve_refuses_bad_settings_with_exit_code_2(
    settings: dict[str, str], named: str
) -> None:
    code, out, err = await run_to_end("serve", env=clean_environment(**settings))
    assert code == 2, (out, err)
    assert named in err
    assert "Traceback" not in err


# -- serve: running ------------------------------------------------------------------------------


async def test_serve_answers_health_and_readiness_and_stops_on_sigterm(tmp_path: Path) -> None:
    issuer = TokenIssuer()
    async with serving(create_issuer_app(issuer)) as issuer_url:
        issuer.bind(issuer_url)
        port = free_port()
        env = clean_environment(
            keycloak_issuer=issuer.issuer or "", host="127.0.0.1", port=str(port)
        )
        async with running("serve", env=env, stderr_file=tmp_path / "stderr") as process:
            base = f"http://127.0.0.1:{port}"
            healthy = await poll(f"{base}/healthz", process)
            assert healthy.json() == {"status": "ok", "pid": process.pid}
            ready = await poll(f"{base}/readyz", process)
            assert ready.json()["status"] == "ready"
            assert issuer.jwks_fetches >= 1

            async with httpx.AsyncClient(timeout=30) as client:
                refused = await client.get(f"{base}/itsm/v1/ticket/fetch")
            assert refused.status_code == 401

            assert await exit_code_after(process, signal.SIGTERM) == 0


# -- export-schema -------------------------------------------------------------------------------


async def test_export_schema_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text("type Query { stale: String }\n")
    code, out, err = await run_to_end("export-schema", "--check", "--output", str(stale))
    assert code == 1, (out, err)
    assert "run `itsm-gateway export-schema`" in out + err
    assert stale.read_text() == "type Query { stale: String }\n"


async def test_export_schema_writes_a_file_that_then_passes_the_check(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    code, _, err = await run_to_end("export-schema", "--output", str(target))
    assert code == 0, err
    assert "type Ticket" in target.read_text()
    code, out, err = await run_to_end("export-schema", "--check", "--output", str(target))
    assert code == 0, (out, err)
