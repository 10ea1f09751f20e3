"""Authenticating to ServiceNow: the five auth types, and the OAuth token cache in the factory."""

from __future__ import annotations

import asyncio
import base64
import re
from datetime import UTC
from urllib.parse import parse_qs

import httpx
import pytest

from connectors.connection import AuthType
from connectors.errors import ItsmError
from connectors.fields import TicketField
from connectors.servicenow import ServiceNowConnectorFactory
from tests.connectors.servicenow_connector.conftest import SECRETS

INSTANCE = "https://acme.service-now.com"
TOKEN_URL = f"{INSTANCE}/oauth_token.do"
TABLE = re.compile(re.escape(f"{INSTANCE}/api/now/table/incident") + r"\?.*$")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def token_answer(token: str, expires_in: int = 1799) -> dict:
    return {
        "access_token": token,
        "refresh_token": "rt-" + token,
        "scope": "useraccount",
        "token_type": "Bearer",
        "expires_in": expires_in,
    }


def form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


def table_requests(httpx_mock) -> list[httpx.Request]:
    return [r for r in httpx_mock.get_requests() if "/api/now/table/" in str(r.url)]


def token_requests(httpx_mock) -> list[httpx.Request]:
    return [r for r in httpx_mock.get_requests() if str(r.url) == TOKEN_URL]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def oauth_factory(http, clock) -> ServiceNowConnectorFactory:
    return ServiceNowConnectorFactory(http, clock=clock)


async def fetch(connector) -> None:
    await connector.fetch("INC0010001", {TicketField.SYS_ID}, UTC)


async def test_basic(httpx_mock, factory, connection, payload):
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))

    await fetch(factory.open(connection(AuthType.BASIC)))

    expected = base64.b64encode(b"svc.gateway:pa55-Secret!word").decode()
    assert httpx_mock.get_request().headers["Authorization"] == f"Basic {expected}"


async def test_api_key(httpx_mock, factory, connection, payload):
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))

    await fetch(factory.open(connection(AuthType.API_KEY)))

    request = httpx_mock.get_request()
    assert request.headers["x-sn-apikey"] == "now_apikey_Secret_123"
    assert "Authorization" not in request.headers


async def test_bearer(httpx_mock, factory, connection, payload):
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))

    await fetch(factory.open(connection(AuthType.BEARER)))

    assert httpx_mock.get_request().headers["Authorization"] == "Bearer bearer-Secret-token-abc"


async def test_oauth_password_form_and_reuse_across_connectors(
    httpx_mock, oauth_factory, connection, payload
):
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-1"))
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"), is_reusable=True)

    # two requests of the gateway, two connectors, one factory: one token fetch
    await fetch(oauth_factory.open(connection(AuthType.OAUTH_PASSWORD)))
    await fetch(oauth_factory.open(connection(AuthType.OAUTH_PASSWORD)))

    (token_call,) = token_requests(httpx_mock)
    assert token_call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(token_call) == {
        "grant_type": "password",
        "client_id": "gateway-client",
        "client_secret": "cl1ent-Secret-xyz",
        "username": "svc.gateway",
        "password": "pa55-Secret!word",
    }
    assert [r.headers["Authorization"] for r in table_requests(httpx_mock)] == ["Bearer at-1"] * 2


async def test_oauth_client_credentials_form(httpx_mock, oauth_factory, connection, payload):
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-cc"))
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))

    await fetch(oauth_factory.open(connection(AuthType.OAUTH_CLIENT_CREDENTIALS)))

    assert form(token_requests(httpx_mock)[0]) == {
        "grant_type": "client_credentials",
        "client_id": "gateway-client",
        "client_secret": "cl1ent-Secret-xyz",
    }
    assert table_requests(httpx_mock)[0].headers["Authorization"] == "Bearer at-cc"


async def test_the_token_is_refreshed_ahead_of_expiry(
    httpx_mock, oauth_factory, connection, clock, payload
):
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-1", 1800))
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-2", 1800))
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"), is_reusable=True)
    connector = oauth_factory.open(connection(AuthType.OAUTH_PASSWORD))

    await fetch(connector)
    clock.now += 1739  # still more than 60 s left
    await fetch(connector)
    clock.now += 1  # 60 s before expiry: replaced
    await fetch(connector)

    assert len(token_requests(httpx_mock)) == 2
    assert [r.headers["Authorization"] for r in table_requests(httpx_mock)] == [
        "Bearer at-1",
        "Bearer at-1",
        "Bearer at-2",
    ]


async def test_a_401_drops_the_token_and_retries_once(
    httpx_mock, oauth_factory, connection, payload
):
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-revoked"))
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-2"))
    httpx_mock.add_response(
        url=TABLE,
        match_headers={"Authorization": "Bearer at-revoked"},
        status_code=401,
        json={"error": {"message": "User Not Authenticated", "detail": None}, "status": "failure"},
    )
    httpx_mock.add_response(
        url=TABLE, match_headers={"Authorization": "Bearer at-2"}, json=payload("incident_resolved")
    )

    await fetch(oauth_factory.open(connection(AuthType.OAUTH_PASSWORD)))

    assert len(table_requests(httpx_mock)) == 2


async def test_a_second_401_is_an_itsm_error(httpx_mock, oauth_factory, connection):
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-1"))
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-2"))
    httpx_mock.add_response(
        url=TABLE,
        status_code=401,
        json={"error": {"message": "User Not Authenticated", "detail": None}, "status": "failure"},
        is_reusable=True,
    )

    with pytest.raises(ItsmError, match="rejected the gateway's credentials") as raised:
        await fetch(oauth_factory.open(connection(AuthType.OAUTH_PASSWORD)))

    assert raised.value.status == 502
    assert len(table_requests(httpx_mock)) == 2  # one retry, no more


async def test_a_refused_token_request_quotes_servicenow_without_secrets(
    httpx_mock, oauth_factory, connection
):
    httpx_mock.add_response(
        method="POST",
        url=TOKEN_URL,
        status_code=401,
        json={"error": "access_denied", "error_description": "bad secret cl1ent-Secret-xyz"},
    )

    with pytest.raises(ItsmError) as raised:
        await fetch(oauth_factory.open(connection(AuthType.OAUTH_PASSWORD)))

    message = raised.value.message
    assert raised.value.status == 502
    assert "refused the gateway's OAuth credentials" in message
    assert "access_denied: bad secret ***" in message
    assert "cl1ent-Secret-xyz" not in message
    assert table_requests(httpx_mock) == []


async def test_a_token_refusal_cut_short_keeps_no_head_of_the_secret(
    httpx_mock, oauth_factory, connection
):
    # ServiceNow's quote is cut at 300 characters: here inside the echoed client secret.
    echo = "y" * 290 + SECRETS["client_secret"]
    httpx_mock.add_response(
        method="POST",
        url=TOKEN_URL,
        status_code=401,
        json={"error": "invalid_client", "error_description": echo},
    )

    with pytest.raises(ItsmError) as raised:
        await fetch(oauth_factory.open(connection(AuthType.OAUTH_CLIENT_CREDENTIALS)))

    assert "y" * 290 + "***" in raised.value.message
    assert SECRETS["client_secret"][:5] not in raised.value.message


async def test_a_hibernating_token_endpoint_is_an_html_error(httpx_mock, oauth_factory, connection):
    httpx_mock.add_response(method="POST", url=TOKEN_URL, text="<html>Hibernating</html>")

    with pytest.raises(ItsmError, match="HTML page"):
        await fetch(oauth_factory.open(connection(AuthType.OAUTH_CLIENT_CREDENTIALS)))


async def test_one_token_fetch_however_many_requests_wait(
    httpx_mock, oauth_factory, connection, payload
):
    async def slow_token(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return httpx.Response(200, json=token_answer("at-1"))

    httpx_mock.add_callback(slow_token, method="POST", url=TOKEN_URL)
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"), is_reusable=True)

    await asyncio.gather(
        *(fetch(oauth_factory.open(connection(AuthType.OAUTH_PASSWORD))) for _ in range(20))
    )

    assert len(token_requests(httpx_mock)) == 1
    assert len(table_requests(httpx_mock)) == 20


async def test_waiting_requests_share_a_refusal_instead_of_asking_again(
    httpx_mock, oauth_factory, connection
):
    async def refuse(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return httpx.Response(401, json={"error": "access_denied", "error_description": None})

    httpx_mock.add_callback(refuse, method="POST", url=TOKEN_URL)

    outcomes = await asyncio.gather(
        *(fetch(oauth_factory.open(connection(AuthType.OAUTH_PASSWORD))) for _ in range(5)),
        return_exceptions=True,
    )

    assert all(isinstance(outcome, ItsmError) for outcome in outcomes)
    assert len(token_requests(httpx_mock)) == 1


async def test_different_accounts_get_different_tokens(
    httpx_mock, oauth_factory, connection, payload
):
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-password"))
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-client"))
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"), is_reusable=True)

    await fetch(oauth_factory.open(connection(AuthType.OAUTH_PASSWORD)))
    await fetch(oauth_factory.open(connection(AuthType.OAUTH_CLIENT_CREDENTIALS)))

    assert len(token_requests(httpx_mock)) == 2


async def test_the_cache_key_holds_no_secret(oauth_factory, connection):
    from connectors.servicenow.auth import OAuthGrant

    grant = OAuthGrant.of(INSTANCE, connection(AuthType.OAUTH_PASSWORD).credentials)

    assert "pa55-Secret!word" not in repr(grant.key) and "cl1ent" not in repr(grant.key)
    assert "Secret" not in repr(grant)


async def test_aclose_forgets_tokens_and_leaves_the_client_open(
    httpx_mock, http, oauth_factory, connection, payload
):
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-1"))
    httpx_mock.add_response(method="POST", url=TOKEN_URL, json=token_answer("at-2"))
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"), is_reusable=True)
    await fetch(oauth_factory.open(connection(AuthType.OAUTH_PASSWORD)))

    await oauth_factory.aclose()
    await fetch(oauth_factory.open(connection(AuthType.OAUTH_PASSWORD)))

    assert not http.is_closed
    assert len(token_requests(httpx_mock)) == 2
