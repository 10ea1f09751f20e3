"""``rt.probe`` on answers a real RT 5 gives but the session's RT is not made to (the real one is
driven through the command in tests/e2e/test_e2e_check_connection_rt.py): a redirect to the login
page, a server failing, a ticket search refused."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from connectors.connection import AuthType, Connection, Credentials
from connectors.probe import CheckVerdict
from connectors.rt.probe import CHECK_NAMES, probe

URL = "https://rt.acme.example"
TOKEN = "rt-token-Sentinel-77c1"
TIMEOUTS = httpx.Timeout(5.0)


def _connection() -> Connection:
    return Connection("rt", URL, Credentials(AuthType.API_KEY, api_key=TOKEN))


async def _run(app: Callable[[httpx.Request], httpx.Response]) -> dict[str, tuple[str, str]]:
    checks = await probe(_connection(), httpx.MockTransport(app), timeouts=TIMEOUTS)
    assert [c.name for c in checks] == list(CHECK_NAMES)
    for check in checks:
        assert TOKEN not in check.message + (check.detail or "")
    return {c.name: (c.verdict.value, c.message) for c in checks}


async def test_a_redirect_to_the_login_page_is_the_instance_url() -> None:
    found = await _run(lambda request: httpx.Response(302, headers={"Location": f"{URL}/"}))

    verdict, message = found["instance"]
    assert verdict == CheckVerdict.FAILED
    assert message.startswith("answered 302, a redirect, instead of JSON")
    assert "RT's base URL (without /REST/2.0)" in message
    assert {found[n][0] for n in CHECK_NAMES[1:]} == {"skipped"}


async def test_a_failing_server_stops_at_the_instance() -> None:
    found = await _run(lambda request: httpx.Response(500, json={"message": "oops"}))

    assert found["instance"] == (
        "failed",
        "Request Tracker is failing; check its status and try again later",
    )


async def test_a_refused_token_is_authentication() -> None:
    found = await _run(lambda request: httpx.Response(401, json={"message": "Unauthorized"}))

    assert found["instance"][0] == "ok"
    assert found["authentication"] == ("refused", "check the RT auth token (apiKey)")


async def test_a_refused_ticket_search_cannot_be_used() -> None:
    def app(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/REST/2.0/")
        if path == "rt":
            return httpx.Response(200, json={"Version": "5.0.3"})
        if path == "queues/all":
            return httpx.Response(200, json={"items": [{"id": 1, "Name": "General"}]})
        if path == "queue/1":
            return httpx.Response(200, json={"id": 1, "_hyperlinks": [{"ref": "create"}]})
        return httpx.Response(403, json={"message": "Forbidden"})

    found = await _run(app)

    assert found["queues"] == ("ok", "readable: General")
    verdict, message = found["tickets"]
    assert verdict == "refused"
    assert message.startswith("the account may not search tickets (ShowTicket)")
    assert found["history"][0] == found["writes"][0] == "skipped"
