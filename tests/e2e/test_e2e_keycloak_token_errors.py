"""Issue 18, item 6 (Keycloak's side), over real HTTP: Keycloak's token endpoint failing (5xx,
an HTML error page, a JSON error) while the gateway exchanges an offline token. The caller gets
503 naming Keycloak and what it answered, never a 401 that would make it throw its offline token
away; and the failure is not remembered as a refusal: once Keycloak answers again, the same
offline token works. The gateway sees the real development issuer (discovery, JWKS, exchanges)
through a stand-in that answers the token endpoint itself when told (``answering_proxy``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import orjson
import pytest

from emulators.token_issuer import DEFAULT_CLIENT_ID, TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.settings import Settings
from tests.support.answering_proxy import AnsweringProxy, Scripted
from tests.support.servers import serving, wait_until_ready

CONNECTORS = {"query": "{ connectors { itsmType } }"}


@dataclass
class Lab:
    gateway: str
    issuer: TokenIssuer
    keycloak: AnsweringProxy
    token_path: str
    http: httpx.AsyncClient

    def fail_token_endpoint(self, answer: Scripted) -> None:
        self.keycloak.scripts[self.token_path] = answer

    def recover(self) -> None:
        self.keycloak.scripts.clear()

    async def graphql(self, offline_token: str) -> httpx.Response:
        return await self.http.post(
            f"{self.gateway}/graphql", json=CONNECTORS, headers={"X-Offline-Token": offline_token}
        )

    async def rest(self, offline_token: str) -> httpx.Response:
        return await self.http.post(
            f"{self.gateway}/itsm/v1/ticket/fetch",
            json={"ticketNumber": "INC0010001", "connectionDetails": {}},
            headers={"X-Offline-Token": offline_token},
        )


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    issuer = TokenIssuer()
    async with serving(create_issuer_app(issuer)) as issuer_url:
        keycloak = AnsweringProxy(issuer_url)
        async with keycloak.running() as keycloak_url:
            issuer.bind(keycloak_url)  # every URL it gives, its iss included, is the stand-in's
            token_path = httpx.URL(f"{issuer.issuer}/protocol/openid-connect/token").path
            settings = Settings(
                keycloak_issuer=issuer.issuer,
                keycloak_audience=issuer.audience,
                keycloak_client_id=DEFAULT_CLIENT_ID,
            )
            async with (
                serving(create_app(settings)) as gateway,
                httpx.AsyncClient(timeout=30) as http,
            ):
                await wait_until_ready(gateway)
                yield Lab(gateway, issuer, keycloak, token_path, http)


FAILURES = [
    pytest.param(
        Scripted(503, b"<html><body>Service Unavailable</body></html>", "text/html"),
        "HTTP 503",
        id="503-html",
    ),
    pytest.param(
        Scripted(500, orjson.dumps({"error": "unknown_error", "error_description": "db down"})),
        "unknown_error: db down",
        id="500-json",
    ),
    pytest.param(Scripted(502, b""), "HTTP 502", id="502-empty"),
]


@pytest.mark.parametrize(("answer", "said"), FAILURES)
async def test_a_failing_token_endpoint_is_503_naming_keycloak_and_not_remembered(
    lab: Lab, answer: Scripted, said: str
) -> None:
    offline = lab.issuer.mint_offline("reader")
    lab.fail_token_endpoint(answer)

    response = await lab.graphql(offline)

    assert response.status_code == 503, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert error["message"] == (
        f"Keycloak at {lab.issuer.issuer} failed to exchange the offline token ({said})"
    )
    assert "WWW-Authenticate" not in response.headers  # not a credential problem
    assert lab.keycloak.answered == [("POST", lab.token_path)]

    lab.recover()
    exchanges = lab.issuer.refresh_exchanges
    assert (await lab.graphql(offline)).status_code == 200  # the same token, not refused
    assert lab.issuer.refresh_exchanges == exchanges + 1


async def test_the_rest_door_answers_the_same_failure_in_its_envelope(lab: Lab) -> None:
    lab.fail_token_endpoint(Scripted(503, b"<html>down</html>", "text/html"))

    response = await lab.rest(lab.issuer.mint_offline("reader"))

    assert response.status_code == 503
    assert response.json() == {
        "statusCode": "503",
        "statusMessage": (
            f"Keycloak at {lab.issuer.issuer} failed to exchange the offline token (HTTP 503)"
        ),
        "ticketDetails": {},
    }


async def test_a_refused_client_is_the_operators_problem_not_the_callers(lab: Lab) -> None:
    lab.fail_token_endpoint(
        Scripted(401, orjson.dumps({"error": "invalid_client", "error_description": "bad"}))
    )

    response = await lab.graphql(lab.issuer.mint_offline("reader"))

    assert response.status_code == 503
    (error,) = response.json()["errors"]
    assert error["message"] == (
        f"Keycloak refused the gateway's exchange as client {DEFAULT_CLIENT_ID} "
        "(invalid_client: bad); the operators must check the client's settings"
    )
