"""``connectors.http.client``: the call path a new connector gets from the hooks alone, with a
made-up vendor ("Acme Desk") behind ``httpx.MockTransport``. The vendors' own suites check their
wording; this one checks the spine itself, whatever the vendor."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest

from connectors.errors import GatewayError, ItsmError, ItsmTimeout, RateLimited, TicketNotFound
from connectors.http import (
    Resilience,
    ResiliencePolicy,
    Scrubber,
    VendorAnswers,
    VendorClient,
)

INSTANCE = "https://desk.example.com"
SECRET = "s3cret-Token"


class AcmeAnswers(VendorAnswers):
    not_json_advice = "; check the desk"

    def quote(self, body: object) -> str:
        return str(body.get("error", "no error message")) if isinstance(body, dict) else "none"


class AcmeClient(VendorClient[Any]):
    vendor = "Acme Desk"
    itsm_type = "acme"
    api_path = "/api/"
    answers = AcmeAnswers()

    def success(self, response: httpx.Response, name: str) -> Any:
        return self.answers.json_body(response, name)


class TokenAuth:
    """A ``RequestAuth`` handing out ``token-1``, then ``token-2`` once the first is forgotten."""

    def __init__(self) -> None:
        self.tokens = ["token-1", "token-2"]

    async def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[0]}"}

    def forget(self, sent: Mapping[str, str]) -> bool:
        if len(self.tokens) > 1:
            self.tokens.pop(0)
            return True
        return False


Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, *, retries: int = 0, auth: TokenAuth | None = None) -> AcmeClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    policy = ResiliencePolicy(retries=retries, backoff_seconds=0, breaker_failures=None)
    return AcmeClient(
        http,
        instance_url=INSTANCE,
        host="desk.example.com",
        headers={"X-Request-ID": "r-1"},
        scrub=Scrubber([SECRET]),
        resilience=Resilience(policy),
        auth=auth,
    )


async def test_a_call_goes_to_the_api_path_with_the_common_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 1})

    answer = await client(handler).request(
        "POST", "tickets", operation="create_ticket", params={"q": "a b"}, body={"x": 1}
    )
    assert answer == {"id": 1}
    [request] = seen
    assert str(request.url) == f"{INSTANCE}/api/tickets?q=a+b"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Request-ID"] == "r-1"


async def test_a_429_is_rate_limited_with_its_retry_after() -> None:
    answer = httpx.Response(429, headers={"Retry-After": "7"}, json={})
    with pytest.raises(RateLimited) as caught:
        await client(lambda _: answer).request("GET", "t", operation="read_ticket")
    assert caught.value.message.startswith("Acme Desk at desk.example.com is rate-limiting")
    assert caught.value.retry_after == 7


async def test_a_401_page_still_means_credentials() -> None:
    answer = httpx.Response(401, html="<html>login</html>")
    with pytest.raises(ItsmError, match="rejected the gateway's credentials"):
        await client(lambda _: answer).request("GET", "t", operation="read_ticket")


async def test_a_404_with_not_found_is_ticket_not_found() -> None:
    answer = httpx.Response(404, json={"error": "gone"})
    with pytest.raises(TicketNotFound, match="no such ticket"):
        await client(lambda _: answer).request(
            "GET", "t/1", operation="read_ticket", not_found="no such ticket"
        )


async def test_an_html_page_on_200_is_not_json_with_the_vendors_advice() -> None:
    answer = httpx.Response(200, html="<html>maintenance</html>")
    with pytest.raises(ItsmError) as caught:
        await client(lambda _: answer).request("GET", "t", operation="read_ticket")
    assert caught.value.message == (
        "Acme Desk at desk.example.com answered 200 with an HTML page instead of JSON"
        "; check the desk"
    )


async def test_a_write_answered_500_is_flagged_and_scrubbed() -> None:
    answer = httpx.Response(500, json={"error": f"boom {SECRET}"})
    with pytest.raises(GatewayError) as caught:
        await client(lambda _: answer, retries=2).request("POST", "t", operation="create_ticket")
    assert caught.value.outcome_unknown
    assert SECRET not in caught.value.message
    assert "the POST was sent and may have been applied" in caught.value.message


async def test_a_read_timeout_is_an_itsm_timeout_naming_the_instance() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ItsmTimeout, match=r"Acme Desk at desk\.example\.com did not answer"):
        await client(handler).request("GET", "t", operation="read_ticket")


async def test_a_401_with_a_request_auth_is_sent_once_more_with_a_new_credential() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer token-1":
            return httpx.Response(401, json={"error": "expired"})
        return httpx.Response(200, json={"ok": True})

    answer = await client(handler, auth=TokenAuth()).request(
        "POST", "t", operation="create_ticket", body={}
    )
    assert answer == {"ok": True}
    assert sent == ["Bearer token-1", "Bearer token-2"]


async def test_a_401_error_is_scrubbed_of_the_credential_sent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": f"bad {request.headers['Authorization']}"})

    auth = TokenAuth()
    auth.tokens = ["only-token"]
    with pytest.raises(ItsmError) as caught:
        await client(handler, auth=auth).request("GET", "t", operation="read_ticket")
    assert "only-token" not in caught.value.message
