"""Issue 18, item 6 (ServiceNow's side), through both doors over real HTTP: ServiceNow's OAuth
token endpoint failing in the ways instances do, while its Table API works. Each is a 502 naming
ServiceNow and what went wrong, with no Table API call made and no secret quoted back; a 5xx is
retried (a token request is safe to repeat). The emulator serves everything but
``/oauth_token.do``, which a stand-in in front of it answers (``answering_proxy``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, GraphQLDoor, RestDoor
from tests.support.answering_proxy import AnsweringProxy, Scripted

Door = RestDoor | GraphQLDoor
doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
TOKEN_PATH = "/oauth_token.do"
SECRET = "gateway-client-secret"  # the emulator's, as the connection sends it


@pytest.fixture
async def instance(stack: Stack) -> AsyncIterator[AnsweringProxy]:
    proxy = AnsweringProxy(stack.emulator_url)
    async with proxy.running():
        yield proxy


def oauth(stack: Stack, instance: AnsweringProxy) -> dict[str, object]:
    return stack.connection(
        instanceUrl=instance.url,
        authType="oauth_client_credentials",
        clientId="gateway-client",
        clientSecret=SECRET,
        username=None,
        password=None,
    )


CASES = [
    pytest.param(
        Scripted(500, orjson.dumps({"error": {"message": "Transaction cancelled"}})),
        ("ServiceNow", "500", "Transaction cancelled"),
        3,  # the first try and ITSM_GATEWAY_ITSM_RETRIES (2) more
        id="500-json",
    ),
    pytest.param(
        Scripted(200, orjson.dumps({"token_type": "Bearer", "expires_in": 1799})),
        ("ServiceNow", "token endpoint without a token"),
        1,
        id="200-without-token",
    ),
    pytest.param(
        Scripted(200, b"<html><body>Your instance is hibernating</body></html>", "text/html"),
        ("ServiceNow", "HTML page"),
        1,
        id="200-html",
    ),
    pytest.param(
        Scripted(
            401,
            orjson.dumps(
                {"error": "invalid_client", "error_description": f"client_secret={SECRET} unknown"}
            ),
        ),
        ("ServiceNow", "refused the gateway's OAuth credentials", "clientSecret"),
        1,
        id="401-echoing-the-secret",
    ),
]


@doors
@pytest.mark.parametrize(("answer", "words", "tries"), CASES)
async def test_a_failing_token_endpoint_is_a_502_before_any_table_call(
    stack: Stack,
    instance: AnsweringProxy,
    door: Door,
    answer: Scripted,
    words: tuple[str, ...],
    tries: int,
) -> None:
    instance.scripts[TOKEN_PATH] = answer

    outcome = await door.fetch(stack, "INC0010001", connection=oauth(stack, instance))

    assert outcome.status == 502, outcome.message
    assert outcome.code in (None, "ITSM_ERROR")
    for word in words:
        assert word in outcome.message, f"{word!r} not in {outcome.message!r}"
    assert outcome.response is not None and SECRET not in outcome.response.text, outcome.message
    assert instance.answered == [("POST", TOKEN_PATH)] * tries
    assert stack.table_requests() == []


async def test_with_the_token_endpoint_back_the_same_connection_works(
    stack: Stack, instance: AnsweringProxy
) -> None:
    instance.scripts[TOKEN_PATH] = Scripted(503, b"<html>maintenance</html>", "text/html")
    failed = await DOORS[0].fetch(stack, "INC0010001", connection=oauth(stack, instance))
    assert failed.status == 502, failed.message
    assert "answered 503 with an HTML page" in failed.message
    assert len(instance.answered) == 3  # a 503 refused before doing anything: retried

    instance.scripts.clear()
    outcome = await DOORS[0].fetch(
        stack, "INC0010001", ["ticketNumber"], connection=oauth(stack, instance)
    )
    assert outcome.status == 200, outcome.message  # the failure was not cached as a refusal
    assert outcome.details == {"ticketNumber": "INC0010001"}
