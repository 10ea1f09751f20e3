"""Issue 18, item 5: a bug whose exception text carries credentials (the ITSM password as a
``password=`` pair, a bearer token, a bare JWT) leaves none of them in either log format, the
demo's text lines as well as production's JSON, while the traceback itself is kept for the
operators. The suite's autouse check (``conftest.no_secret_logged``) searches both formats; this
test holds the traceback path, which only a bug reaches (``gateway.middleware``'s catch-all)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import SN_PASSWORD, Stack
from tests.support.servers import serving, wait_until_ready


class LeakyTransport(httpx.AsyncBaseTransport):
    """An ITSM transport with a defect whose exception quotes what it was handling."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(
            f"pool state lost for {request.url.host} (password={SN_PASSWORD}; "
            f"Authorization: Bearer {self.token}; offline {self.token})"
        )


@pytest.fixture
async def leaky(stack: Stack) -> AsyncIterator[tuple[str, str]]:
    assert stack.issuer is not None
    token = stack.issuer.mint("smartops.operator")
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
    )
    app = create_app(settings, itsm_transport=LeakyTransport(token))
    async with serving(app) as url:
        await wait_until_ready(url)
        yield url, token


async def test_a_traceback_quoting_credentials_is_masked_in_both_formats(
    stack: Stack, leaky: tuple[str, str], no_secret_logged: dict[str, io.StringIO]
) -> None:
    url, token = leaky
    body = {"ticketNumber": "INC0010001", "connectionDetails": stack.connection()}

    response = await stack.http.post(
        f"{url}/itsm/v1/ticket/fetch", json=body, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 500
    for fmt, buffer in no_secret_logged.items():
        written = buffer.getvalue()
        # The traceback is there for the operators, its credentials masked.
        assert "RuntimeError: pool state lost for 127.0.0.1" in written, fmt
        assert "password=***" in written, fmt
        assert "Bearer ***" in written, fmt
    # Each traceback line of a text entry is indented, so none passes for an entry of its own.
    text = no_secret_logged["text"].getvalue()
    assert "\n    | RuntimeError: pool state lost" in text
