"""Secrets never reach a caller through an ITSM's echo (issue 13, item 8): not whole, not in
another form, and not as the head a quote's cut left behind."""

from __future__ import annotations

import base64
import html
import json
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from connectors.errors import ItsmError
from connectors.http import (
    Resilience,
    ResiliencePolicy,
    Scrubber,
    VendorAnswers,
    VendorClient,
    scrub_body,
)

SECRET = "Pa55/word+with spaces&<odd>"


@pytest.mark.parametrize(
    "echo",
    [
        SECRET,
        SECRET.upper(),
        SECRET.lower(),
        quote(SECRET, safe=""),
        quote(SECRET, safe="").lower(),  # %2f as well as %2F
        quote_plus(SECRET, safe=""),
        html.escape(SECRET),
        json.dumps(SECRET)[1:-1],
        base64.b64encode(SECRET.encode()).decode(),
        base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
    ],
    ids=[
        "raw",
        "upper",
        "lower",
        "percent",
        "percent-lower",
        "plus",
        "html",
        "json",
        "b64",
        "b64url",
    ],
)
def test_a_secret_is_removed_in_every_form_an_itsm_may_echo(echo: str) -> None:
    text = f"login failed for {echo} at 10:00"
    assert Scrubber([SECRET])(text) == "login failed for *** at 10:00"


def test_the_longest_secret_goes_first_and_other_text_stays() -> None:
    scrub = Scrubber(["abc", "abcdef-long"])
    assert scrub("x abcdef-long y abc z") == "x *** y *** z"
    assert Scrubber([])("untouched") == "untouched"


def test_a_body_is_scrubbed_through_and_through() -> None:
    body = {"error": {"message": f"bad {SECRET}", SECRET: [SECRET, 3, None]}}
    assert scrub_body(body, Scrubber([SECRET])) == {
        "error": {"message": "bad ***", "***": ["***", 3, None]}
    }


class CuttingAnswers(VendorAnswers):
    """A vendor whose quote cuts its error message at 40 characters, as every real one does."""

    def quote(self, body: object) -> str:
        return str(body.get("error", ""))[:40] if isinstance(body, dict) else ""


class CuttingClient(VendorClient[Any]):
    vendor = "Acme Desk"
    itsm_type = "acme"
    api_path = "/api/"
    answers = CuttingAnswers()

    def success(self, response: httpx.Response, name: str) -> Any:
        return self.answers.json_body(response, name)


async def test_a_quote_cut_short_keeps_no_head_of_a_secret() -> None:
    secret = "Zq9-very-long-password-of-the-profile"
    # The cut at 40 would fall inside the secret, leaving "Zq9-very-lon..." unscrubbable.
    message = "x" * 28 + secret

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": message})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = CuttingClient(
        http,
        instance_url="https://desk.example.com",
        host="desk.example.com",
        headers={},
        scrub=Scrubber([secret]),
        resilience=Resilience(ResiliencePolicy.disabled()),
    )
    with pytest.raises(ItsmError) as raised:
        await client.request("GET", "tickets", operation="read_ticket")
    assert "x" * 28 + "***" in raised.value.message
    assert secret[:4] not in raised.value.message
