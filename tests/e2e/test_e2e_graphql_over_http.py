"""GraphQL over HTTP as specified (docs/contract.md#graphql-over-http): ``Accept:
application/graphql-response+json`` gets that media type and its statuses, request errors answer
no ``data`` under both media types, ``application/json`` keeps today's statuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from emulators.servicenow.seed import INC_NEW
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.support.servers import serving, wait_until_ready

GRAPHQL_RESPONSE = "application/graphql-response+json"
FETCH = (
    "query($n: String!, $c: ConnectionInput!) "
    "{ ticket(number: $n, connection: $c) { ticketNumber } }"
)

# (document, variables) pairs GraphQL refuses before executing them.
REQUEST_ERRORS = [
    pytest.param("query { ticket(", None, id="parse"),
    pytest.param("query { nothingHere }", None, id="validation"),
    pytest.param(FETCH, {"n": INC_NEW[0], "c": {"itsmType": "remedy"}}, id="variable"),
]


def accepting(media_type: str) -> dict[str, str]:
    return {"Accept": media_type}


def without_data(response: httpx.Response) -> dict[str, Any]:
    payload: dict[str, Any] = response.json()
    assert "data" not in payload, payload
    [error] = payload["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "statusCode": 400}, error
    return error


@pytest.mark.parametrize(("document", "given"), REQUEST_ERRORS)
async def test_a_request_error_is_400_without_data_in_the_graphql_response_type(
    stack: Stack, document: str, given: dict[str, Any] | None
) -> None:
    variables = given and {**given, "c": stack.connection(**given["c"])}
    response = await stack.graphql(document, variables, headers=accepting(GRAPHQL_RESPONSE))

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    without_data(response)


@pytest.mark.parametrize(("document", "given"), REQUEST_ERRORS)
async def test_a_request_error_is_200_without_data_in_json(
    stack: Stack, document: str, given: dict[str, Any] | None
) -> None:
    variables = given and {**given, "c": stack.connection(**given["c"])}
    response = await stack.graphql(document, variables, headers=accepting("application/json"))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    without_data(response)


async def test_an_executed_request_is_200_with_its_errors_beside_the_data(stack: Stack) -> None:
    response = await stack.graphql(
        FETCH, {"n": "INC0099999", "c": stack.connection()}, headers=accepting(GRAPHQL_RESPONSE)
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    payload = response.json()
    assert payload["data"] == {"ticket": None}
    [error] = payload["errors"]
    assert error["path"] == ["ticket"] and error["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "accept",
    [GRAPHQL_RESPONSE, f"{GRAPHQL_RESPONSE}, application/json;q=0.9", "application/json, */*"],
)
async def test_an_answer_is_in_the_media_type_asked_for(stack: Stack, accept: str) -> None:
    response = await stack.graphql(
        FETCH, {"n": INC_NEW[0], "c": stack.connection()}, headers=accepting(accept)
    )

    assert response.status_code == 200, response.text
    expected = GRAPHQL_RESPONSE if accept.startswith(GRAPHQL_RESPONSE) else "application/json"
    assert response.headers["content-type"].split(";")[0] == expected
    assert response.json() == {"data": {"ticket": {"ticketNumber": INC_NEW[0]}}}


async def test_any_media_type_is_answered_as_json(stack: Stack) -> None:
    response = await stack.http.post(
        f"{stack.gateway_url}/graphql",
        content=b'{"query": "{ connectors { itsmType } }"}',
        headers={**stack.headers(), "Content-Type": "application/json", "Accept": "*/*"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"


async def test_the_views_own_refusal_is_in_the_media_type_asked_for(stack: Stack) -> None:
    response = await stack.http.get(
        f"{stack.gateway_url}/graphql",
        params={"query": "mutation { updateTicket { sysId } }"},
        headers={**stack.headers(), "Accept": GRAPHQL_RESPONSE},
    )

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in response.json()


@pytest.mark.parametrize("body", [b'{"query": ', b"\xff\xfe", b'{"query": "{ a }",}'])
async def test_a_body_that_is_not_json_is_a_400_in_the_views_shape(
    stack: Stack, body: bytes
) -> None:
    response = await stack.http.post(
        f"{stack.gateway_url}/graphql",
        content=body,
        headers={**stack.headers(), "Content-Type": "application/json"},
    )

    assert response.status_code == 400, response.text
    payload = response.json()
    assert "data" not in payload
    assert payload["errors"][0]["message"] == "Unable to parse request body as JSON"


@pytest.fixture(scope="module")
async def guarded(stack: Stack) -> AsyncIterator[Stack]:
    """The same stack, behind a gateway whose writes need the role itsm-writer."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        read_roles=("itsm-reader",),
        write_roles=("itsm-writer",),
    )
    async with serving(create_app(settings)) as url:
        await wait_until_ready(url)
        yield replace(stack, gateway_url=url)


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, "application/json"])
async def test_an_operation_refused_for_the_callers_role_is_403(
    guarded: Stack, accept: str
) -> None:
    assert guarded.issuer is not None
    reader = guarded.issuer.mint("someone", roles=["itsm-reader"])
    response = await guarded.graphql(
        "mutation($c: ConnectionInput!) { createTicket(connection: $c) { sysId } }",
        {"c": guarded.connection()},
        headers={"Authorization": f"Bearer {reader}", "Accept": accept},
    )

    assert response.status_code == 403, response.text
    assert response.headers["content-type"].split(";")[0] == accept
    payload = response.json()
    [error] = payload["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN", "statusCode": 403}
    if accept == GRAPHQL_RESPONSE:
        assert "data" not in payload  # a refused request, as the spec wants for a 4xx
    else:
        assert payload["data"] == {"createTicket": None}  # today's answer for old clients
    assert not guarded.writes()
