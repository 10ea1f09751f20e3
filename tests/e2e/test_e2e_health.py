"""Liveness, readiness, request ids and the access log, end to end (docs/operations.md)."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import socket
import uuid
from typing import Any

import pytest

from emulators.servicenow.seed import INC_NEW
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import SN_PASSWORD, SN_USER, Stack
from tests.support.servers import serving, wait_until_ready

GENERATED_ID = r"[0-9a-f]{32}"


def closed_port() -> int:
    """A loopback port nothing listens on (bound by us, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch_body(stack: Stack) -> dict[str, Any]:
    return {
        "ticketNumber": INC_NEW[0],
        "connectionDetails": stack.connection(),
        "ticketFields": ["ticketNumber", "shortDescription"],
    }


# -- liveness and readiness ----------------------------------------------------------------------


async def test_healthz_needs_no_token(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.gateway_url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_is_ready_once_the_keys_are_loaded(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.gateway_url}/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"keycloak_signing_keys": "ok"}


async def test_an_unreachable_issuer_makes_the_gateway_unready_but_alive(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    issuer = f"http://127.0.0.1:{closed_port()}/realms/smartops"
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
    )
    caplog.set_level(logging.WARNING)
    async with serving(create_app(settings)) as gateway_url:
        # Bounded wait for the first attempt to load the keys to have failed.
        for _ in range(200):
            if any("cannot load Keycloak signing keys" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the gateway never reported that it could not load the signing keys")

        ready = await stack.http.get(f"{gateway_url}/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "not ready"
        assert set(body["checks"]) == {"keycloak_signing_keys"}
        assert body["checks"]["keycloak_signing_keys"] != "ok"

        alive = await stack.http.get(f"{gateway_url}/healthz")
        assert alive.status_code == 200
        assert alive.json()["status"] == "ok"

        # A token for that issuer cannot be verified: Keycloak unreachable, nothing cached.
        token = stack.issuer.mint(extra_claims={"iss": issuer})
        refused = await stack.http.request(
            "GET",
            f"{gateway_url}/itsm/v1/ticket/fetch",
            json=fetch_body(stack),
            headers=stack.headers(token),
        )
        assert refused.status_code == 503
        assert token not in refused.text
    assert stack.table_requests() == []


# -- request ids ---------------------------------------------------------------------------------

ANSWERS = [
    pytest.param("GET", "/healthz", False, None, 200, id="healthz"),
    pytest.param("GET", "/readyz", False, None, 200, id="readyz"),
    pytest.param("GET", "/itsm/v1/ticket/fetch", True, "fetch", 200, id="rest-200"),
    pytest.param("GET", "/itsm/v1/ticket/fetch", False, "fetch", 401, id="rest-401"),
    pytest.param("POST", "/itsm/v1/ticket/fetch", True, "{", 400, id="rest-bad-json"),
    pytest.param("DELETE", "/itsm/v1/ticket/fetch", True, None, 405, id="rest-405"),
    pytest.param("POST", "/graphql", True, "query", 200, id="graphql-200"),
    pytest.param("POST", "/graphql", False, "query", 401, id="graphql-401"),
    pytest.param("GET", "/graphql", False, None, 200, id="graphiql"),
    pytest.param("GET", "/nowhere", False, None, 404, id="not-found"),
    pytest.param("POST", "/healthz", False, None, 405, id="wrong-method"),
]


async def answer(
    stack: Stack,
    method: str,
    path: str,
    token: bool,
    body: str | None,
    headers: dict[str, str] | None = None,
) -> Any:
    sent = {"Accept": "text/html"} if path == "/graphql" and method == "GET" else {}
    if token:
        sent.update(stack.headers())
    sent.update(headers or {})
    kwargs: dict[str, Any] = {"headers": sent}
    if body == "fetch":
        kwargs["json"] = fetch_body(stack)
    elif body == "query":
        kwargs["json"] = {
            "query": "query($n: String!, $c: ConnectionInput!) "
            "{ ticket(number: $n, connection: $c) { ticketNumber } }",
            "variables": {"n": INC_NEW[0], "c": stack.connection()},
        }
    elif body is not None:
        kwargs["content"] = body.encode()
        sent["Content-Type"] = "application/json"
    return await stack.http.request(method, f"{stack.gateway_url}{path}", **kwargs)


@pytest.mark.parametrize(("method", "path", "token", "body", "status"), ANSWERS)
async def test_every_answer_carries_a_request_id(
    stack: Stack, method: str, path: str, token: bool, body: str | None, status: int
) -> None:
    response = await answer(stack, method, path, token, body)
    assert response.status_code == status, response.text
    assert response.headers.get("X-Request-ID"), dict(response.headers)


@pytest.mark.parametrize(
    "request_id",
    [str(uuid.uuid4()), "smartops-ui:7f3a.2/b+c=", "x" * 128],
    ids=["uuid", "punctuated", "128-chars"],
)
@pytest.mark.parametrize(("method", "path", "token", "body", "status"), ANSWERS[:3])
async def test_a_sane_request_id_is_echoed(
    stack: Stack,
    request_id: str,
    method: str,
    path: str,
    token: bool,
    body: str | None,
    status: int,
) -> None:
    response = await answer(stack, method, path, token, body, {"X-Request-ID": request_id})
    assert response.status_code == status
    assert response.headers["X-Request-ID"] == request_id


@pytest.mark.parametrize(
    "request_id",
    ["x" * 500, "x" * 129, "two words", "tab\there", "semi;colon", "<script>", ""],
    ids=["500-chars", "129-chars", "space", "tab", "semicolon", "markup", "empty"],
)
async def test_an_insane_request_id_is_replaced(stack: Stack, request_id: str) -> None:
    response = await stack.http.get(
        f"{stack.gateway_url}/healthz", headers={"X-Request-ID": request_id}
    )
    assert response.status_code == 200
    replaced = response.headers["X-Request-ID"]
    assert replaced != request_id
    assert re.fullmatch(GENERATED_ID, replaced), replaced


async def test_a_request_id_with_non_ascii_bytes_is_replaced(stack: Stack) -> None:
    response = await stack.http.get(
        f"{stack.gateway_url}/healthz", headers={b"X-Request-ID": "caf\xe9".encode("latin-1")}
    )
    assert response.status_code == 200
    assert re.fullmatch(GENERATED_ID, response.headers["X-Request-ID"])


async def test_each_request_gets_its_own_generated_id(stack: Stack) -> None:
    ids = {
        (await stack.http.get(f"{stack.gateway_url}/healthz")).headers["X-Request-ID"]
        for _ in range(5)
    }
    assert len(ids) == 5


# -- the access log ------------------------------------------------------------------------------


async def test_the_access_log_names_request_status_and_user_and_no_secret(
    stack: Stack, caplog: pytest.LogCaptureFixture, production_logging: logging.Handler
) -> None:
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
    )
    token = stack.issuer.mint("alice.operator")
    request_id = f"access-log-{uuid.uuid4()}"
    async with serving(create_app(settings)) as gateway_url:
        await wait_until_ready(gateway_url)
        caplog.clear()
        response = await stack.http.request(
            "GET",
            f"{gateway_url}/itsm/v1/ticket/fetch",
            json=fetch_body(stack),
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
        )
    assert response.status_code == 200, response.text
    assert response.json()["ticketDetails"]["ticketNumber"] == INC_NEW[0]
    assert response.headers["X-Request-ID"] == request_id

    access = [r for r in caplog.records if r.name == "itsm_gateway.access"]
    [line] = [r for r in access if getattr(r, "request_id", None) == request_id]
    assert line.status == 200  # type: ignore[attr-defined]
    assert line.user == "alice.operator"  # type: ignore[attr-defined]
    assert "/itsm/v1/ticket/fetch" in line.getMessage()

    basic = base64.b64encode(f"{SN_USER}:{SN_PASSWORD}".encode()).decode()
    secrets = [token, token.split(".")[2], SN_PASSWORD, basic]
    assert caplog.records
    for record in caplog.records:
        written = production_logging.format(record)
        everything = f"{written} {record.__dict__!r}"
        for secret in secrets:
            assert secret not in everything, f"{record.name} logged a secret: {written}"
