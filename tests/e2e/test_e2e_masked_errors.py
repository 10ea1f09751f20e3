"""Issue 18, item 1: an unexpected exception (a bug) is answered as a masked 500, through both
doors over real HTTP: the message quotes only the request id, never the exception's text; the
answer carries that id; the error is logged once, with its traceback, for the operators.

The bug is provoked where one would really surface, below a use case: the gateway is built by
the production factory with an ITSM transport (``create_app``'s ``itsm_transport`` hook) that
raises an exception no layer expects, as a defect in a library or in the gateway would.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.support.servers import serving, wait_until_ready

# The exception's text: it stands for what a bug's message may hold (a query, a value, a path).
DETAIL = "cursor 7f3a holds password=hunter2-internal"
REQUEST_ID = "masked-500-e2e-1"


class BrokenTransport(httpx.AsyncBaseTransport):
    """An ITSM transport with a defect: every request raises an exception nothing expects."""

    def __init__(self) -> None:
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise LookupError(DETAIL)


@pytest.fixture(scope="module")
async def broken(stack: Stack) -> AsyncIterator[tuple[str, BrokenTransport]]:
    """A second gateway, the stack's issuer and allow-list, whose ITSM calls hit the defect."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
    )
    transport = BrokenTransport()
    async with serving(create_app(settings, itsm_transport=transport)) as url:
        await wait_until_ready(url)
        yield url, transport


def _unexpected(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("unexpected error serving")]


async def test_rest_masks_an_unexpected_exception_as_a_500_quoting_the_request_id(
    stack: Stack, broken: tuple[str, BrokenTransport], caplog: pytest.LogCaptureFixture
) -> None:
    url, transport = broken
    before = transport.calls
    body = {"ticketNumber": "INC0010001", "connectionDetails": stack.connection()}

    with caplog.at_level(logging.ERROR, logger="itsm_gateway.errors"):
        response = await stack.http.post(
            f"{url}/itsm/v1/ticket/fetch",
            json=body,
            headers={**stack.headers(), "X-Request-ID": REQUEST_ID},
        )

    assert transport.calls > before  # the defect was reached, below the use case
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == REQUEST_ID
    assert response.json() == {
        "statusCode": "500",
        "statusMessage": f"Internal error; quote request id {REQUEST_ID} to the operators",
        "ticketDetails": {},
    }
    assert "hunter2" not in response.text and "LookupError" not in response.text
    # Logged once, with the traceback the operators need, under the request's id.
    (record,) = _unexpected(caplog)
    assert record.getMessage() == "unexpected error serving POST /itsm/v1/ticket/fetch"
    assert record.exc_info is not None and record.exc_info[0] is LookupError


async def test_a_request_without_an_id_is_given_one_and_the_message_quotes_it(
    stack: Stack, broken: tuple[str, BrokenTransport]
) -> None:
    url, _ = broken
    body = {"ticketNumber": "INC0010001", "connectionDetails": stack.connection()}

    response = await stack.http.post(
        f"{url}/itsm/v1/ticket/fetch", json=body, headers=stack.headers()
    )

    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    assert response.json()["statusMessage"] == (
        f"Internal error; quote request id {request_id} to the operators"
    )


async def test_graphql_masks_an_unexpected_exception_on_the_fields_path(
    stack: Stack, broken: tuple[str, BrokenTransport], caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = broken
    query = (
        'query($c: ConnectionInput!) { ticket(number: "INC0010001", connection: $c) '
        "{ ticketNumber } }"
    )

    with caplog.at_level(logging.ERROR):
        response = await stack.http.post(
            f"{url}/graphql",
            json={"query": query, "variables": {"c": stack.connection()}},
            headers={**stack.headers(), "X-Request-ID": REQUEST_ID},
        )

    assert "hunter2" not in response.text and "LookupError" not in response.text
    payload = response.json()
    assert payload["data"] == {"ticket": None}
    (error,) = payload["errors"]
    assert error["path"] == ["ticket"]
    assert error["extensions"] == {"code": "INTERNAL", "statusCode": 500}
    assert error["message"] == f"Internal error; quote request id {REQUEST_ID} to the operators"
    (record,) = [
        r for r in caplog.records if r.getMessage().startswith("unexpected error in GraphQL")
    ]
    assert REQUEST_ID in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is LookupError
