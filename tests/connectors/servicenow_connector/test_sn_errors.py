"""Every way a ServiceNow answer goes wrong becomes one gateway error
(docs/contract.md#errors) whose message names ServiceNow and the host, quotes ServiceNow, and
carries no secret."""

from __future__ import annotations

import base64
import re
from datetime import UTC

import httpx
import pytest

from connectors.connection import AuthType
from connectors.errors import (
    GatewayError,
    ItsmError,
    ItsmTimeout,
    RateLimited,
    TicketNotFound,
    Unavailable,
)
from connectors.fields import TicketField
from connectors.model import WriteRequest

pytestmark = pytest.mark.usefixtures("lookups")

INSTANCE = "https://acme.service-now.com"
TABLE = re.compile(re.escape(f"{INSTANCE}/api/now/table/incident") + r"(\?.*)?$")
JOURNAL = re.compile(re.escape(f"{INSTANCE}/api/now/table/sys_journal_field") + r"\?.*$")
SLA = re.compile(re.escape(f"{INSTANCE}/api/now/table/task_sla") + r"\?.*$")
PASSWORD = "pa55-Secret!word"
ALL_SECRETS = (
    "pa55-Secret!word",
    "cl1ent-Secret-xyz",
    "now_apikey_Secret_123",
    "bearer-Secret-token-abc",
)


def failure(message: str, detail: str | None = None) -> dict:
    return {"error": {"message": message, "detail": detail}, "status": "failure"}


def assert_clean(error: GatewayError) -> None:
    text = f"{error.message} {error} {error.args}"
    for secret in ALL_SECRETS:
        assert secret not in text
    basic = base64.b64encode(f"svc.gateway:{PASSWORD}".encode()).decode()
    assert basic not in text
    assert "Traceback" not in text


@pytest.fixture
def connector(factory, connection):
    return factory.open(connection(AuthType.BASIC))


async def fetch(connector) -> None:
    await connector.fetch("INC0010001", {TicketField.SHORT_DESCRIPTION}, UTC)


async def test_an_html_page_with_200_is_an_itsm_error(httpx_mock, connector):
    httpx_mock.add_response(
        url=TABLE,
        status_code=200,
        headers={"Content-Type": "text/html;charset=UTF-8"},
        text="<html><head><title>Instance Hibernating page</title></head><body>...</body></html>",
    )

    with pytest.raises(ItsmError, match="HTML page instead of JSON") as raised:
        await fetch(connector)

    assert raised.value.status == 502
    assert "hibernating" in raised.value.message
    assert "acme.service-now.com" in raised.value.message
    assert "<html>" not in raised.value.message


async def test_a_login_page_with_another_status_is_an_itsm_error(httpx_mock, connector):
    httpx_mock.add_response(url=TABLE, status_code=302, text="<!DOCTYPE html><form>login</form>")

    with pytest.raises(ItsmError, match="302 with an HTML page"):
        await fetch(connector)


async def test_other_non_json_is_an_itsm_error(httpx_mock, connector):
    httpx_mock.add_response(
        url=TABLE, headers={"Content-Type": "text/plain"}, text="upstream connect error"
    )

    with pytest.raises(ItsmError, match=r"non-JSON content \(text/plain\)"):
        await fetch(connector)


async def test_json_without_a_result_is_an_itsm_error(httpx_mock, connector):
    httpx_mock.add_response(url=TABLE, json={"records": []})

    with pytest.raises(ItsmError, match="without a result"):
        await fetch(connector)


async def test_5xx_quotes_servicenow(httpx_mock, connector):
    httpx_mock.add_response(
        url=TABLE,
        status_code=500,
        json=failure("Internal server error", f"Login failed for svc.gateway/{PASSWORD}"),
    )

    with pytest.raises(ItsmError) as raised:
        await fetch(connector)

    message = raised.value.message
    assert raised.value.status == 502
    assert "ServiceNow at acme.service-now.com answered 500" in message
    assert "Internal server error" in message
    assert "Login failed for svc.gateway/***" in message
    assert_clean(raised.value)


async def test_429_is_rate_limited_with_retry_after(httpx_mock, connector):
    httpx_mock.add_response(
        url=TABLE,
        status_code=429,
        headers={"Retry-After": "120", "X-RateLimit-Rule": "integrations"},
        json=failure("Rate limit exceeded"),
    )

    with pytest.raises(RateLimited) as raised:
        await fetch(connector)

    assert raised.value.retry_after == 120
    assert raised.value.headers == {"Retry-After": "120"}
    assert raised.value.status == 429


async def test_429_without_retry_after(httpx_mock, connector):
    httpx_mock.add_response(url=TABLE, status_code=429, text="Too many requests")

    with pytest.raises(RateLimited) as raised:
        await fetch(connector)

    assert raised.value.retry_after is None
    assert raised.value.headers == {}


async def test_404_on_the_record_is_not_found(httpx_mock, factory, connection):
    connector = factory.open(connection())
    sys_id = "1c741bd70b2322007518478d83673af3"
    httpx_mock.add_response(
        url=re.compile(re.escape(f"{INSTANCE}/api/now/table/incident/{sys_id}") + r"\?.*"),
        status_code=404,
        json=failure(
            "No Record found", "Record doesn't exist or ACL restricts the record retrieval"
        ),
    )

    with pytest.raises(TicketNotFound) as raised:
        await connector.update(sys_id, WriteRequest(native={"impact": "1"}), set(), UTC)

    assert raised.value.status == 404


async def test_403_is_an_itsm_error_quoting_servicenow(httpx_mock, connector):
    httpx_mock.add_response(url=TABLE, status_code=403, json=failure("Insufficient rights"))

    with pytest.raises(ItsmError, match=r"refused the gateway's account access \(403: Insuff"):
        await fetch(connector)


async def test_403_data_policy_on_a_write_is_named(httpx_mock, connector):
    httpx_mock.add_response(
        method="POST",
        url=TABLE,
        status_code=403,
        json=failure(
            "Operation Failed",
            "Data Policy Exception: \n\tThe following fields are mandatory: Resolution code",
        ),
    )

    with pytest.raises(ItsmError) as raised:
        await connector.create(WriteRequest(native={"short_description": "x"}), set(), UTC)

    assert raised.value.status == 502
    assert "data policy" in raised.value.message
    assert "Data Policy Exception" in raised.value.message
    assert "Resolution code" in raised.value.message


async def test_400_quotes_servicenow(httpx_mock, factory, connection):
    connector = factory.open(connection(table="incidnet"))
    httpx_mock.add_response(
        url=re.compile(r".*/api/now/table/incidnet\?.*"),
        status_code=400,
        json=failure("Invalid table name", "Table does not exist: incidnet"),
    )

    with pytest.raises(ItsmError, match=r"refused the request \(400: Invalid table name: Table"):
        await fetch(connector)


async def test_401_with_basic_is_not_retried(httpx_mock, connector):
    httpx_mock.add_response(
        url=TABLE,
        status_code=401,
        json=failure("User Not Authenticated", "Required to provide Auth information"),
    )

    with pytest.raises(ItsmError, match="rejected the gateway's credentials") as raised:
        await fetch(connector)

    assert "User Not Authenticated" in raised.value.message
    assert len(httpx_mock.get_requests()) == 1


async def test_401_login_page_is_still_about_credentials(httpx_mock, connector):
    httpx_mock.add_response(url=TABLE, status_code=401, text="<html>Login</html>")

    with pytest.raises(ItsmError, match="rejected the gateway's credentials"):
        await fetch(connector)


async def test_a_timeout_is_itsm_timeout(httpx_mock, connector):
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), url=TABLE)

    with pytest.raises(
        ItsmTimeout, match=r"acme\.service-now\.com did not answer in time"
    ) as raised:
        await fetch(connector)

    assert raised.value.status == 504


@pytest.mark.parametrize(
    "exception",
    [httpx.ConnectError("Name or service not known"), httpx.ReadError("connection reset")],
)
async def test_an_unreachable_instance_is_unavailable(httpx_mock, connector, exception):
    httpx_mock.add_exception(exception, url=TABLE)

    with pytest.raises(Unavailable, match=r"Could not reach ServiceNow at acme\.service-now\.com"):
        await fetch(connector)


async def test_a_failing_journal_fails_the_fetch(httpx_mock, connector, payload):
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))
    httpx_mock.add_response(url=JOURNAL, status_code=500, json=failure("Transaction cancelled"))

    with pytest.raises(ItsmError, match="Transaction cancelled"):
        await connector.fetch("INC0010001", {TicketField.COMMENTS}, UTC)


async def test_a_refused_sla_read_leaves_the_field_empty_and_says_why(
    httpx_mock, connector, payload
):
    # Issue 12: a refused optional read never sinks the ticket (it was a 502 before).
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))
    httpx_mock.add_response(url=SLA, status_code=403, json=failure("Insufficient rights"))

    fields = {TicketField.TICKET_BUSINESS_TIME_LEFT, TicketField.SHORT_DESCRIPTION}
    ticket = await connector.fetch("INC0010001", fields, UTC)

    assert ticket.values[TicketField.TICKET_BUSINESS_TIME_LEFT] is None
    assert ticket.values[TicketField.SHORT_DESCRIPTION]
    assert ticket.refused == {
        TicketField.TICKET_BUSINESS_TIME_LEFT: (
            "task_sla: the account lacks read access (role sla_admin or an ACL on task_sla)"
        )
    }


@pytest.mark.parametrize("auth_type", list(AuthType))
async def test_no_secret_in_any_message_whatever_the_auth(
    httpx_mock, factory, connection, auth_type
):
    echo = " ".join(ALL_SECRETS)
    if auth_type in (AuthType.OAUTH_PASSWORD, AuthType.OAUTH_CLIENT_CREDENTIALS):
        httpx_mock.add_response(
            url=f"{INSTANCE}/oauth_token.do",
            json={"access_token": "at-Secret-1", "expires_in": 1799, "token_type": "Bearer"},
        )
        echo += " at-Secret-1"
    httpx_mock.add_response(url=TABLE, status_code=500, json=failure("Boom", echo))

    with pytest.raises(ItsmError) as raised:
        await fetch(factory.open(connection(auth_type)))

    assert_clean(raised.value)
    assert "at-Secret-1" not in raised.value.message
    assert "***" in raised.value.message
