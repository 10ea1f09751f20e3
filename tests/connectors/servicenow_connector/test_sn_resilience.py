"""The ServiceNow connector through ``connectors.http``: reads retried, writes whose outcome
is unknown flagged and never resent, 429s waited for, the breaker failing fast (token fetches
included), and the concurrency limit never deadlocking with the OAuth token fetch.

Sleep, clock and jitter are injected; recorded ServiceNow payloads stand for the instance."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC
from typing import Any

import httpx
import pytest

from connectors.connection import AuthType
from connectors.errors import ItsmError, ItsmTimeout, RateLimited, Unavailable
from connectors.fields import TicketField
from connectors.http import Resilience, ResiliencePolicy
from connectors.model import WriteRequest, WrittenTicket
from connectors.servicenow import ServiceNowConnectorFactory
from tests.connectors.servicenow_connector.conftest import vendor_calls

pytestmark = pytest.mark.usefixtures("lookups")

INSTANCE = "https://acme.service-now.com"
TABLE = re.compile(re.escape(f"{INSTANCE}/api/now/table/incident") + r"(\?.*)?$")
TOKEN_URL = f"{INSTANCE}/oauth_token.do"
SECRETS = ("pa55-Secret!word", "cl1ent-Secret-xyz")
WRITE = WriteRequest(native={"short_description": "Mail server down"})
UNKNOWN = "was sent and may have been applied, so the gateway did not send it again"


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def guarded(http, sleeps, clock):
    """A factory as the app wires it, with the default policy and fake time."""

    def make(**policy: Any) -> ServiceNowConnectorFactory:
        resilience = Resilience(
            ResiliencePolicy(**policy), clock=clock, sleep=sleeps, random=lambda: 0.5
        )
        return ServiceNowConnectorFactory(http, clock=clock, resilience=resilience)

    return make


def failure(message: str, detail: str | None = None) -> dict:
    return {"error": {"message": message, "detail": detail}, "status": "failure"}


def created(payload) -> dict:
    return {"result": payload("incident_new")["result"][0]}


def table_requests(httpx_mock) -> list[httpx.Request]:
    """Table API calls, without the lookups made before a write (``sys_choice``)."""
    return [r for r in vendor_calls(httpx_mock) if "/api/now/table/" in str(r.url)]


async def fetch(connector) -> Any:
    return await connector.fetch("INC0010001", {TicketField.SHORT_DESCRIPTION}, UTC)


async def create(connector) -> Any:
    return await connector.create(WRITE, {TicketField.SYS_ID}, UTC)


async def test_a_fetch_is_retried_after_5xx_and_succeeds(
    httpx_mock, guarded, connection, payload, sleeps
):
    httpx_mock.add_response(url=TABLE, status_code=500, json=failure("Transaction cancelled"))
    httpx_mock.add_response(url=TABLE, status_code=502, text="<html>Bad gateway</html>")
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))

    ticket = await fetch(guarded().open(connection()))

    assert ticket.get(TicketField.SHORT_DESCRIPTION)
    assert len(table_requests(httpx_mock)) == 3
    assert sleeps == [0.1, 0.2]  # 0.2 s backoff doubled, jitter 0.5


async def test_a_fetch_gives_up_after_the_retries_with_the_last_error(
    httpx_mock, guarded, connection
):
    for _ in range(3):
        httpx_mock.add_response(url=TABLE, status_code=500, json=failure("Still broken"))

    with pytest.raises(ItsmError, match="answered 500 \\(Still broken\\)") as raised:
        await fetch(guarded().open(connection()))

    assert not raised.value.outcome_unknown  # a read: nothing to be unsure about


async def test_a_create_answered_500_is_not_resent_and_says_its_outcome_is_unknown(
    httpx_mock, guarded, connection
):
    httpx_mock.add_response(
        method="POST",
        url=TABLE,
        status_code=500,
        json=failure("Transaction cancelled", f"for svc.gateway/{SECRETS[0]}"),
    )

    with pytest.raises(ItsmError) as raised:
        await create(guarded().open(connection()))

    error = raised.value
    assert error.outcome_unknown
    assert error.status == 502
    assert "ServiceNow at acme.service-now.com answered 500" in error.message
    assert f"the POST {UNKNOWN}" in error.message
    assert SECRETS[0] not in error.message
    assert len(table_requests(httpx_mock)) == 1


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        (httpx.ReadTimeout("timed out"), ItsmTimeout),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), ItsmError),
        (httpx.ReadError("connection reset"), Unavailable),
    ],
)
async def test_an_update_that_got_no_answer_is_not_resent(
    httpx_mock, guarded, connection, exception, kind
):
    sys_id = "9d385017c611228701d22104cc95c371"
    httpx_mock.add_exception(exception, method="PATCH")

    with pytest.raises(kind) as raised:
        await (
            guarded()
            .open(connection())
            .update(sys_id, WriteRequest(native={"impact": "1"}), set(), UTC)
        )

    assert raised.value.outcome_unknown
    assert f"the PATCH {UNKNOWN}" in raised.value.message
    assert len(table_requests(httpx_mock)) == 1


async def test_a_dropped_connection_is_named_as_such(httpx_mock, guarded, connection):
    httpx_mock.add_exception(
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        method="POST",
    )

    with pytest.raises(ItsmError, match="closed the connection without a valid HTTP answer"):
        await create(guarded().open(connection()))


async def test_a_create_refused_at_connect_is_sent_again(httpx_mock, guarded, connection, payload):
    httpx_mock.add_exception(httpx.ConnectError("Connection refused"), method="POST")
    httpx_mock.add_response(method="POST", url=TABLE, status_code=201, json=created(payload))

    ticket = await create(guarded().open(connection()))

    assert ticket.get(TicketField.SYS_ID) == "9d385017c611228701d22104cc95c371"
    assert len(table_requests(httpx_mock)) == 2


async def test_a_create_throttled_with_a_short_retry_after_waits_and_succeeds(
    httpx_mock, guarded, connection, payload, sleeps
):
    httpx_mock.add_response(
        method="POST",
        url=TABLE,
        status_code=429,
        headers={"Retry-After": "2"},
        json=failure("Rate limit exceeded"),
    )
    httpx_mock.add_response(method="POST", url=TABLE, status_code=201, json=created(payload))

    await create(guarded().open(connection()))

    assert sleeps == [2.0]
    assert len(table_requests(httpx_mock)) == 2


async def test_a_retry_after_beyond_the_cap_is_passed_on_at_once(
    httpx_mock, guarded, connection, sleeps
):
    httpx_mock.add_response(
        url=TABLE, status_code=429, headers={"Retry-After": "600"}, json=failure("Rate limit")
    )

    with pytest.raises(RateLimited) as raised:
        await fetch(guarded(retry_after_cap_seconds=10).open(connection()))

    assert raised.value.retry_after == 600
    assert raised.value.headers == {"Retry-After": "600"}
    assert not raised.value.outcome_unknown
    assert sleeps == []


async def test_an_open_breaker_answers_503_without_calling_servicenow(
    httpx_mock, guarded, connection, clock
):
    factory = guarded(breaker_failures=2, retries=0, breaker_reset_seconds=30)
    httpx_mock.add_exception(httpx.ConnectError("Connection refused"), is_reusable=True)
    for _ in range(2):
        with pytest.raises(Unavailable, match="Could not reach"):
            await fetch(factory.open(connection()))
    clock.now += 12

    with pytest.raises(Unavailable) as raised:
        await fetch(factory.open(connection()))

    assert len(httpx_mock.get_requests()) == 2
    assert raised.value.status == 503
    assert raised.value.headers == {"Retry-After": "18"}
    assert raised.value.message == (
        "ServiceNow at acme.service-now.com is failing: the gateway stopped calling it after 2 "
        "failures in a row (connection errors, timeouts, 5xx or non-JSON answers) and will try "
        "it again in 18 s"
    )


async def test_an_open_breaker_also_stops_the_oauth_token_fetch(
    httpx_mock, guarded, connection, payload
):
    factory = guarded(breaker_failures=1, retries=0)
    httpx_mock.add_response(url=TOKEN_URL, status_code=503, json=failure("Service Unavailable"))
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))

    with pytest.raises(ItsmError, match="503"):
        await fetch(factory.open(connection(AuthType.OAUTH_CLIENT_CREDENTIALS)))
    with pytest.raises(Unavailable, match="stopped calling it"):
        await fetch(factory.open(connection(AuthType.OAUTH_CLIENT_CREDENTIALS)))
    # Another account on the same instance has its own breaker (issue 13): it is not stopped.
    await fetch(factory.open(connection(AuthType.BASIC)))

    assert len(httpx_mock.get_requests()) == 2


async def test_the_token_fetch_is_retried_like_a_read(httpx_mock, guarded, connection, payload):
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), url=TOKEN_URL)
    httpx_mock.add_response(
        url=TOKEN_URL, json={"access_token": "at-1", "expires_in": 1799, "token_type": "Bearer"}
    )
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))

    await fetch(guarded().open(connection(AuthType.OAUTH_PASSWORD)))

    assert [str(r.url).split("?")[0].rsplit("/", 1)[-1] for r in httpx_mock.get_requests()] == [
        "oauth_token.do",
        "oauth_token.do",
        "incident",
    ]


async def test_one_slot_is_enough_for_a_call_and_its_token_fetch(
    httpx_mock, guarded, connection, payload
):
    """The token is fetched before the Table API call takes its slot: no deadlock at 1."""
    httpx_mock.add_response(
        url=TOKEN_URL, json={"access_token": "at-1", "expires_in": 1799, "token_type": "Bearer"}
    )
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"), is_reusable=True)
    factory = guarded(max_concurrency_per_instance=1)

    async with asyncio.timeout(10):  # a guard against a hang, not a measurement
        await asyncio.gather(
            *(fetch(factory.open(connection(AuthType.OAUTH_CLIENT_CREDENTIALS))) for _ in range(3))
        )

    assert len(httpx_mock.get_requests()) == 4


async def test_concurrent_calls_to_one_instance_are_bounded(guarded, connection, payload):
    in_flight, most, release = 0, 0, asyncio.Event()
    answer = payload("incident_resolved")

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await release.wait()
        in_flight -= 1
        return httpx.Response(200, json=answer)

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as http:
        factory = ServiceNowConnectorFactory(
            http, resilience=Resilience(ResiliencePolicy(max_concurrency_per_instance=3))
        )
        calls = [asyncio.create_task(fetch(factory.open(connection()))) for _ in range(8)]
        for _ in range(50):
            await asyncio.sleep(0)
        assert in_flight == 3
        release.set()
        await asyncio.gather(*calls)

    assert most == 3


async def test_retries_are_logged_without_secrets_or_queries(
    httpx_mock, guarded, connection, payload, caplog
):
    httpx_mock.add_response(url=TABLE, status_code=503, json=failure("Service Unavailable"))
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))

    with caplog.at_level("INFO", logger="itsm_gateway.resilience"):
        await fetch(guarded().open(connection()))

    [line] = [r for r in caplog.records if r.name == "itsm_gateway.resilience"]
    text = line.getMessage() + repr(vars(line))
    assert "GET" in text and "acme.service-now.com" in text and "answer 503" in text
    assert "INC0010001" not in text and "sysparm" not in text
    for secret in SECRETS:
        assert secret not in text
    assert "Authorization" not in text


async def test_a_create_answered_201_without_a_record_is_flagged(httpx_mock, guarded, connection):
    httpx_mock.add_response(method="POST", url=TABLE, status_code=201, json={"records": []})

    with pytest.raises(ItsmError, match="without a result") as raised:
        await create(guarded().open(connection()))

    assert raised.value.outcome_unknown
    assert len(table_requests(httpx_mock)) == 1


async def test_a_create_whose_read_back_fails_says_it_was_created(
    httpx_mock, guarded, connection, payload
):
    """The incident exists: failing its journal read must not invite a second create."""
    journal = re.compile(re.escape(f"{INSTANCE}/api/now/table/sys_journal_field") + r"\?.*$")
    httpx_mock.add_response(method="POST", url=TABLE, status_code=201, json=created(payload))
    httpx_mock.add_response(url=journal, status_code=500, json=failure("Boom"), is_reusable=True)

    with pytest.raises(ItsmError) as raised:
        await guarded().open(connection()).create(WRITE, {TicketField.COMMENTS}, UTC)

    error = raised.value
    assert error.outcome_unknown
    assert error.message.startswith(
        "ServiceNow at acme.service-now.com created the incident INC0010002, but reading it "
        "back failed: ServiceNow at acme.service-now.com answered 500 (Boom)"
    )
    assert "do not send the write again, fetch the incident instead" in error.message
    assert [r.method for r in table_requests(httpx_mock)] == ["POST", "GET", "GET", "GET"]
    # and in machine-readable form, for both doors to answer (issue 12)
    row = created(payload)["result"]
    assert error.written == WrittenTicket(row["number"]["value"], row["sys_id"]["value"])


async def test_an_update_whose_sla_read_fails_carries_the_ticket(
    httpx_mock, guarded, connection, payload
):
    sla = re.compile(re.escape(f"{INSTANCE}/api/now/table/task_sla") + r"\?.*$")
    sys_id = "9d385017c611228701d22104cc95c371"
    record = re.compile(re.escape(f"{INSTANCE}/api/now/table/incident/{sys_id}") + r"\?.*$")
    httpx_mock.add_response(method="PATCH", url=record, json=created(payload))
    httpx_mock.add_response(url=sla, status_code=500, json=failure("Boom"), is_reusable=True)

    with pytest.raises(ItsmError) as raised:
        await (
            guarded()
            .open(connection())
            .update(sys_id, WRITE, {TicketField.TICKET_BUSINESS_TIME_LEFT}, UTC)
        )

    assert raised.value.written == WrittenTicket("INC0010002", sys_id)


async def test_a_write_answer_without_ids_carries_no_ticket(httpx_mock, guarded, connection):
    httpx_mock.add_response(method="POST", url=TABLE, status_code=201, json={"result": []})

    with pytest.raises(ItsmError) as raised:
        await create(guarded().open(connection()))

    assert raised.value.written is None
