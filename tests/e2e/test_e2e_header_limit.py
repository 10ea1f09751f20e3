"""Issue 17, item 1, the rest, over real HTTP: a header line past
``ITSM_GATEWAY_HTTP_MAX_HEADER_BYTES`` is answered with the gateway's own JSON 431 naming the
setting (aiohttp's own answer was a plain-text 400 quoting the line's first 100 bytes: the start
of the token), and neither the answer nor the log holds any of the token. Checked on the served
process (``itsm-gateway serve``, the production run loop) and on both doors of the test stack.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.http_server import HEADER_LIMIT_SETTING
from tests.e2e.conftest import Stack
from tests.e2e.test_e2e_cli import clean_environment, free_port, poll, running
from tests.support.servers import serving

DOOR_PATHS = ["/graphql", "/itsm/v1/ticket/fetch"]


def large_token(issuer: TokenIssuer, groups: int) -> str:
    """A signed access token of a user in ``groups`` groups (about 40 bytes each)."""
    names = [f"/smartops/region-{i:04d}/team-{i:04d}" for i in range(groups)]
    return issuer.mint("many.groups", extra_claims={"groups": names})


def pieces(token: str) -> list[str]:
    """The token, each of its long parts, and its first 60 characters (what aiohttp quoted)."""
    return [token, token[:60], *[part for part in token.split(".") if len(part) >= 16]]


async def send_raw(base_url: str, path: str, token: str) -> tuple[int, dict[str, str], bytes]:
    """One request with ``Authorization: Bearer <token>`` over a raw socket (httpx would refuse
    nothing, but a raw socket shows exactly what came back); status, headers, body."""
    address = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {token}\r\n"
            "Accept: application/json\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)  # until the gateway closes
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (ln.split(":", 1) for ln in lines)}
    return int(status_line.split()[1]), headers, body


def assert_refused_in_json(status: int, headers: dict[str, str], body: bytes, token: str) -> None:
    assert status == 431, body[:300]
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == "BAD_USER_INPUT"
    assert HEADER_LIMIT_SETTING in error["message"]
    assert "32768" in error["message"]
    for piece in pieces(token):
        assert piece.encode() not in body


@pytest.mark.parametrize("path", DOOR_PATHS)
async def test_a_40_kb_token_is_refused_with_json_naming_the_setting(
    stack: Stack, path: str
) -> None:
    assert stack.issuer is not None
    token = large_token(stack.issuer, 1000)
    assert 40_000 <= len(token) <= 48_000
    status, headers, body = await send_raw(stack.gateway_url, path, token)
    assert_refused_in_json(status, headers, body, token)


async def test_other_unparseable_requests_answer_json_without_quoting(stack: Stack) -> None:
    """A control byte in the header: aiohttp's 400, in the gateway's JSON, quoting nothing."""
    assert stack.issuer is not None
    token = stack.issuer.mint()
    status, headers, body = await send_raw(stack.gateway_url, "/graphql", token + "\x01")
    assert status == 400, body[:300]
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"]["code"] == "BAD_USER_INPUT"
    for piece in pieces(token):
        assert piece.encode() not in body


async def test_the_served_process_refuses_in_json_and_logs_no_token(tmp_path: Path) -> None:
    issuer = TokenIssuer()
    async with serving(create_issuer_app(issuer)) as issuer_url:
        issuer.bind(issuer_url)
        port = free_port()
        env = clean_environment(
            keycloak_issuer=issuer.issuer or "", port=str(port), log_level="DEBUG"
        )
        stderr = tmp_path / "stderr"
        async with running("serve", env=env, stderr_file=stderr) as process:
            base = f"http://127.0.0.1:{port}"
            await poll(f"{base}/readyz", process)
            under = large_token(issuer, 500)  # about 20 KB: under the limit, read as usual
            accepted, _, _ = await send_raw(base, "/healthz", under)
            token = large_token(issuer, 1000)
            status, headers, body = await send_raw(base, "/itsm/v1/ticket/fetch", token)
    assert accepted == 200
    assert_refused_in_json(status, headers, body, token)
    log = stderr.read_text()
    # Logged (before the answer was sent): the search below means something.
    assert "malformed request (LineTooLong" in log, log[-2000:]
    for piece in pieces(token) + pieces(under):
        assert piece not in log
