"""Every error status of docs/contract.md#errors the gateway gives today, end to end, through
both doors.

Each test runs the same failing request through the REST door and the GraphQL door (``DOORS``)
and holds them to one behaviour: the status, the GraphQL ``extensions.code`` that goes with it,
the REST envelope (checked by ``Outcome``), an ``X-Request-ID`` on the answer, and a message that
names what was wrong and what to do. Bad input must never reach the ITSM as a write; input the
gateway can judge on its own must not reach the ITSM at all.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from connectors.fields import FIELD_NAMES
from emulators.servicenow.seed import INC_NEW, INC_RESOLVED
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import Stack
from tests.e2e.doors import DOOR_IDS, DOORS, GraphQLDoor, Outcome, RestDoor
from tests.support.servers import serving, wait_until_ready

# The GraphQL extensions.code that goes with each status (docs/contract.md#errors).
CODES = {
    400: "BAD_USER_INPUT",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "BAD_USER_INPUT",
    429: "RATE_LIMITED",
    502: "ITSM_ERROR",
    503: "UNAVAILABLE",
    504: "ITSM_TIMEOUT",
}

NEW_NUMBER, NEW_SYS_ID = INC_NEW  # INC0010001: New, no close_code / close_notes
RESOLVED_SYS_ID = INC_RESOLVED[1]  # INC0010004: Resolved, has close_code and close_notes
UNKNOWN_SYS_ID = "0123456789abcdef0123456789abcdef"  # well-formed, matches no record
WRITE = {"short_description": "Printer on fire"}
CLOSE = {"close_code": "Resolved by caller", "close_notes": "Caller fixed it"}

Door = RestDoor | GraphQLDoor
Call = Callable[[Door, Stack], Awaitable[Outcome]]
doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
BY_NAME = dict(zip(DOOR_IDS, DOORS, strict=True))


# -- helpers ---------------------------------------------------------------------------------


def assert_error(outcome: Outcome, status: int, *words: str) -> None:
    """The answer is the error ``status`` in the door's shape, names ``words`` and has an id."""
    assert outcome.status == status, outcome.message
    if outcome.code is not None:  # GraphQL; REST's envelope was checked by the door
        assert outcome.code == CODES[status], outcome.code
    assert outcome.details == {}
    assert outcome.response is not None
    assert outcome.response.headers.get("X-Request-ID"), "every answer carries X-Request-ID"
    for word in words:
        assert word in outcome.message, f"{word!r} not in {outcome.message!r}"


def rest_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """A REST answer that is the error ``status`` in the legacy envelope."""
    payload = response.json()
    assert response.status_code == status, payload
    assert payload == {
        "statusCode": str(status),
        "statusMessage": payload["statusMessage"],
        "ticketDetails": {},
    }
    assert response.headers.get("X-Request-ID")
    for word in words:
        assert word in payload["statusMessage"], payload["statusMessage"]
    return payload


def unused_port() -> int:
    """A loopback port nothing listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def incident_numbers(stack: Stack) -> list[str]:
    return sorted(row["number"] for row in stack.emulator.records("incident"))


# -- 400: input the gateway judges -----------------------------------------------------------


def fetch(**kwargs: Any) -> Call:
    return lambda door, stack: door.fetch(stack, NEW_NUMBER, **kwargs)


def create(ticket_json: dict[str, Any], **kwargs: Any) -> Call:
    return lambda door, stack: door.create(stack, ticket_json, **kwargs)


def update(ticket_json: dict[str, Any], sys_id: str = NEW_SYS_ID, **kwargs: Any) -> Call:
    return lambda door, stack: door.update(stack, sys_id, ticket_json, **kwargs)


def fetch_with(**details: Any) -> Call:
    """A fetch whose connection is the stack's changed by ``details`` (``None`` drops a key)."""
    return lambda door, stack: door.fetch(stack, NEW_NUMBER, connection=stack.connection(**details))


SYSTEM_FIELDS = {
    "sys_id": UNKNOWN_SYS_ID,
    "number": "INC0123456",
    "sys_created_on": "2020-01-01 00:00:00",
}

# (the call, words its message must hold): all judged before any ITSM call.
BAD_INPUT: list[Any] = [
    pytest.param(fetch(fields=["ticketNumbr"]), ("ticketNumbr",), id="unknown-field-fetch"),
    pytest.param(
        create(WRITE, fields=["ticketNumbr"]), ("ticketNumbr",), id="unknown-field-create"
    ),
    pytest.param(
        fetch(zone="Mars/Olympus"),
        # The value itself is not echoed (a secret pasted in the wrong place must not be).
        ("itsmTimeZoneOffset is not a time zone", "+05:30", "America/Los_Angeles"),
        id="zone-unknown-name",
    ),
    pytest.param(fetch(zone="+25:00"), ("itsmTimeZoneOffset", "out of range"), id="zone-range"),
    *(
        pytest.param(
            operation({**WRITE, name: value}),
            (f"ticketJSON.{name}", "cannot be written", "remove"),
            id=f"system-field-{operation.__name__}-{name}",
        )
        for operation in (create, update)
        for name, value in SYSTEM_FIELDS.items()
    ),
    pytest.param(
        create({**WRITE, "state": "6"}),
        ("close_code", "close_notes", "add"),
        id="resolve-on-create-without-close",
    ),
    pytest.param(
        create({**WRITE, "state": "7", "close_code": "Duplicate"}),
        ("close_notes",),
        id="close-on-create-without-close-notes",
    ),
    pytest.param(
        fetch_with(itsmType="remedy"),
        ("itsmType", "remedy", "servicenow"),
        id="unknown-itsm-type",
    ),
    pytest.param(
        fetch_with(instanceUrl="https://evil.example.com"),
        ("instanceUrl", "evil.example.com", "not an allowed", "ITSM_GATEWAY_ITSM_ALLOWED_URLS"),
        id="instance-url-foreign-host",
    ),
    pytest.param(
        fetch_with(instanceUrl="http://10.0.0.1"),
        ("instanceUrl", "10.0.0.1", "ITSM_GATEWAY_ITSM_ALLOWED_URLS"),
        id="instance-url-private-address",
    ),
    pytest.param(
        fetch_with(password=None),
        ("basic", "<connection>.password"),
        id="basic-without-password",
    ),
    pytest.param(
        fetch_with(authType="oauth_client_credentials", clientSecret=None),
        (
            "oauth_client_credentials",
            "<connection>.clientId",
            "<connection>.clientSecret",
        ),
        id="oauth-without-client",
    ),
    pytest.param(
        # ServiceNow's table names are lower case: its rule, declared on its capabilities,
        # refuses this at the use case, before any call, whichever door it came through.
        fetch_with(table="Incident"),
        ("<connection>.table 'Incident' is not a ServiceNow table name",),
        id="table-name-not-servicenows",
    ),
    pytest.param(
        fetch_with(table="sys user"),
        ("<connection>.table 'sys user' is not a table name",),
        id="table-name-not-a-name",
    ),
    pytest.param(create({}), ("ticketJSON", "at least one field"), id="empty-ticket-json-create"),
    pytest.param(update({}), ("ticketJSON", "at least one field"), id="empty-ticket-json-update"),
    pytest.param(
        update(WRITE, sys_id="not-a-sys-id"), ("sysId", "32 hexadecimal"), id="malformed-sys-id"
    ),
]


@doors
@pytest.mark.parametrize(("call", "words"), BAD_INPUT)
async def test_bad_input_is_refused_before_any_itsm_call(
    stack: Stack, door: Door, call: Call, words: tuple[str, ...]
) -> None:
    outcome = await call(door, stack)

    # A connection key is named as the door names its object: connectionDetails.<key> (REST),
    # connection.<key> (GraphQL's argument), whichever layer refused it.
    named = (word.replace("<connection>", door.connection_object) for word in words)
    assert_error(outcome, 400, *named)
    assert stack.emulator.requests == []


@doors
async def test_unknown_field_message_names_the_valid_ones(stack: Stack, door: Door) -> None:
    outcome = await door.fetch(stack, NEW_NUMBER, fields=["ticketNumbr"])

    assert_error(outcome, 400, "ticketNumbr")
    if door.name == "rest":
        assert "valid names are" in outcome.message
        assert all(name in outcome.message for name in FIELD_NAMES)
    else:
        # GraphQL validates the selection against the schema, which is the list of valid
        # names; its message suggests the nearest one.
        assert "ticketNumber" in outcome.message


@doors
async def test_resolving_a_record_without_close_values_is_refused_unwritten(
    stack: Stack, door: Door
) -> None:
    # INC0010001 has neither close_code nor close_notes: the gateway must read it to know.
    outcome = await door.update(stack, NEW_SYS_ID, {"state": "6"})

    assert_error(outcome, 400, "close_code", "close_notes", "add")
    assert stack.writes() == []
    row = stack.emulator.get("incident", NEW_SYS_ID)
    assert row is not None
    assert row["state"] == "1"


@doors
@pytest.mark.parametrize(
    ("sys_id", "ticket_json"),
    [
        pytest.param(RESOLVED_SYS_ID, {"state": "6"}, id="record-has-close-values"),
        pytest.param(NEW_SYS_ID, {"state": "6", **CLOSE}, id="same-write-sets-them"),
    ],
)
async def test_resolving_with_close_values_succeeds(
    stack: Stack, door: Door, sys_id: str, ticket_json: dict[str, str]
) -> None:
    outcome = await door.update(stack, sys_id, ticket_json, fields=["ticketStatus"])

    assert outcome.status == 200, outcome.message
    assert outcome.details == {"ticketStatus": "Resolved"}
    assert len(stack.writes()) == 1


# -- 400: REST only (the GraphQL door has no such body to get wrong) --------------------------


async def post_raw(
    stack: Stack, operation: str, content: bytes, content_type: str
) -> httpx.Response:
    return await stack.http.post(
        f"{stack.gateway_url}/itsm/v1/ticket/{operation}",
        content=content,
        headers={**stack.headers(), "Content-Type": content_type},
    )


async def test_rest_body_that_is_not_json(stack: Stack) -> None:
    response = await post_raw(stack, "create", b'{"ticketJSON": {', "application/json")

    rest_error(response, 400, "not valid JSON")
    assert stack.emulator.requests == []


async def test_rest_body_sent_as_text_plain(stack: Stack) -> None:
    # A valid create contract: the Content-Type is the only thing wrong.
    body = json.dumps({"connectionDetails": stack.connection(), "ticketJSON": WRITE}).encode()
    response = await post_raw(stack, "create", body, "text/plain")

    rest_error(response, 415, "Content-Type", "application/json", "text/plain")
    assert stack.emulator.requests == []


async def test_rest_body_sent_as_curls_default_form_says_how_to_fix_it(stack: Stack) -> None:
    """Issue 17, item 7: curl -d without a Content-Type sends a form."""
    body = json.dumps({"connectionDetails": stack.connection(), "ticketJSON": WRITE}).encode()
    response = await post_raw(stack, "create", body, "application/x-www-form-urlencoded")
    rest_error(response, 415, "Content-Type: application/json")
    assert stack.emulator.requests == []


@pytest.mark.parametrize("operation", ["fetch", "create", "update", "search"])
async def test_rest_paths_take_a_trailing_slash(stack: Stack, operation: str) -> None:
    """Issue 17, item 7: the same door, not a 404 (and no redirect a POST would not follow)."""
    response = await stack.rest("POST", operation + "/", {})
    assert response.status_code == 400  # the contract's own refusal of an empty body
    assert response.json()["statusCode"] == "400"


async def test_head_on_the_fetch_is_405_naming_the_methods(stack: Stack) -> None:
    response = await stack.http.head(
        f"{stack.gateway_url}/itsm/v1/ticket/fetch", headers=stack.headers()
    )
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


async def test_rest_misspelt_ticket_json_creates_nothing(stack: Stack) -> None:
    before = incident_numbers(stack)
    body = {"connectionDetails": stack.connection(), "ticketJson": WRITE}

    response = await stack.rest("POST", "create", body)

    # It names the misspelt key and the right spelling, and says ticketJSON is missing.
    rest_error(response, 400, "ticketJson is not a known key", "ticketJSON is required")
    assert stack.emulator.requests == []
    assert incident_numbers(stack) == before


async def test_rest_fetch_by_query_without_ticket_number(stack: Stack) -> None:
    response = await stack.http.get(
        f"{stack.gateway_url}/itsm/v1/ticket/fetch",
        params={"ticketFields": "ticketNumber,ticketStatus"},
        headers=stack.headers(),
    )

    rest_error(response, 400, "ticketNumber is required")
    assert stack.emulator.requests == []


# -- 401: who may call -----------------------------------------------------------------------


async def call_without_authorization(stack: Stack, door: Door) -> httpx.Response:
    """A fetch with no Authorization header at all (the door helpers always add one)."""
    connection = stack.connection()
    if door.name == "rest":
        return await stack.http.request(
            "GET",
            f"{stack.gateway_url}/itsm/v1/ticket/fetch",
            json={"ticketNumber": NEW_NUMBER, "connectionDetails": connection},
        )
    query = (
        "query($n: String!, $c: ConnectionInput!) { ticket(number: $n, connection: $c) { sysId } }"
    )
    return await stack.http.post(
        f"{stack.gateway_url}/graphql",
        json={"query": query, "variables": {"n": NEW_NUMBER, "c": connection}},
    )


def assert_unauthenticated(response: httpx.Response, *words: str) -> None:
    # The HTTP status says 401 through GraphQL too: authentication runs before GraphQL does.
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.headers.get("X-Request-ID")
    payload = response.json()
    if "errors" in payload:
        (error,) = payload["errors"]
        assert error["extensions"] == {"code": "UNAUTHENTICATED", "statusCode": 401}
        message = error["message"]
    else:
        message = rest_error(response, 401)["statusMessage"]
    for word in words:
        assert word in message, message


@doors
async def test_no_authorization_header(stack: Stack, door: Door) -> None:
    response = await call_without_authorization(stack, door)

    assert_unauthenticated(
        response, "missing credentials", "Authorization: Bearer", "X-Offline-Token"
    )
    assert stack.emulator.requests == []


BAD_TOKENS = [
    pytest.param({"lifetime": -3600}, ("expired",), id="expired"),
    pytest.param({"audience": "some-other-service"}, ("audience", "itsm-gateway"), id="audience"),
    pytest.param({"typ": "ID"}, ("ID token", "access token"), id="id-token"),
]


@doors
@pytest.mark.parametrize(("mint", "words"), BAD_TOKENS)
async def test_bad_token(
    stack: Stack, door: Door, mint: dict[str, Any], words: tuple[str, ...]
) -> None:
    assert stack.issuer is not None
    token = stack.issuer.mint("smartops.operator", **mint)

    outcome = await door.create(stack, WRITE, headers={"Authorization": f"Bearer {token}"})

    assert outcome.response is not None
    assert_unauthenticated(outcome.response, *words)
    assert token not in outcome.response.text
    assert stack.emulator.requests == []


# -- 404 and 409: what the ITSM holds --------------------------------------------------------


@doors
async def test_unknown_number(stack: Stack, door: Door) -> None:
    outcome = await door.fetch(stack, "INC9999999")

    assert_error(outcome, 404, "INC9999999")


@doors
async def test_update_of_unknown_sys_id(stack: Stack, door: Door) -> None:
    before = stack.emulator.records("incident")

    outcome = await door.update(stack, UNKNOWN_SYS_ID, WRITE)

    assert_error(outcome, 404, UNKNOWN_SYS_ID)
    assert stack.emulator.records("incident") == before


@doors
async def test_number_matching_two_records(stack: Stack, door: Door) -> None:
    # The API cannot make a duplicate number; real instances end up with them (imports, clones).
    stack.emulator.insert_raw("incident", {"number": NEW_NUMBER, "short_description": "Twin"})

    outcome = await door.fetch(stack, NEW_NUMBER)

    assert_error(outcome, 409, NEW_NUMBER, "more than one", "sysId")


# -- 413: the body limit ---------------------------------------------------------------------


OVER_THE_LIMIT = {"short_description": "x" * (1_048_576 + 1)}  # max_body_bytes: 1 MiB


@doors
async def test_body_over_the_limit(stack: Stack, door: Door) -> None:
    outcome = await door.create(stack, OVER_THE_LIMIT)

    # aiohttp refuses the body before either door parses it; both say the limit alike.
    assert_error(outcome, 413, "larger than the 1048576 bytes", "smaller body")
    assert outcome.response is not None
    assert outcome.response.status_code == 413
    assert stack.emulator.requests == []


# -- 429, 502, 503: the ITSM refuses, fails or is not there ----------------------------------


@doors
async def test_itsm_rate_limit(stack: Stack, door: Door) -> None:
    stack.emulator.faults.hourly_limit = 0

    outcome = await door.fetch(stack, NEW_NUMBER)

    assert_error(outcome, 429, "ServiceNow", "rate-limiting", "retry later")
    assert outcome.response is not None
    if door.name == "rest":
        assert int(outcome.response.headers["Retry-After"]) > 0


async def test_graphql_rate_limit_says_when_to_retry(stack: Stack) -> None:
    stack.emulator.faults.hourly_limit = 0

    outcome = await BY_NAME["graphql"].fetch(stack, NEW_NUMBER)

    assert outcome.status == 429
    assert outcome.response is not None
    (error,) = outcome.response.json()["errors"]
    retry_after = int(outcome.response.headers["Retry-After"])
    assert retry_after > 0
    assert error["extensions"]["retryAfter"] == retry_after


@doors
async def test_itsm_answers_5xx(stack: Stack, door: Door) -> None:
    stack.emulator.faults.fail_status = 500

    outcome = await door.fetch(stack, NEW_NUMBER)

    assert_error(outcome, 502, "ServiceNow", "500")


@doors
async def test_itsm_hibernating(stack: Stack, door: Door) -> None:
    stack.emulator.faults.hibernating = True

    outcome = await door.fetch(stack, NEW_NUMBER)

    assert_error(outcome, 502, "ServiceNow", "HTML", "hibernating")


@doors
async def test_wrong_servicenow_password(stack: Stack, door: Door) -> None:
    password = "not-the-password-7f3c9a"

    outcome = await door.fetch(stack, NEW_NUMBER, connection=stack.connection(password=password))

    assert_error(outcome, 502, "ServiceNow", "rejected the gateway's credentials")
    assert outcome.response is not None
    assert password not in outcome.response.text


@doors
async def test_wrong_oauth_client_secret(stack: Stack, door: Door) -> None:
    secret = "not-the-client-secret-41be0d"
    connection = stack.connection(
        authType="oauth_client_credentials",
        clientId="gateway-client",
        clientSecret=secret,
        username=None,
        password=None,
    )

    outcome = await door.fetch(stack, NEW_NUMBER, connection=connection)

    assert_error(outcome, 502, "ServiceNow", "OAuth credentials", "clientSecret")
    assert outcome.response is not None
    assert secret not in outcome.response.text
    assert stack.table_requests() == []


@doors
async def test_itsm_unreachable(stack: Stack, door: Door) -> None:
    connection = stack.connection(instanceUrl=f"http://127.0.0.1:{unused_port()}")

    outcome = await door.fetch(stack, NEW_NUMBER, connection=connection)

    assert_error(outcome, 503, "Could not reach ServiceNow")


# -- 504: a gateway that waits less than the ITSM takes --------------------------------------


@pytest.fixture(scope="module")
async def impatient(stack: Stack) -> AsyncIterator[Stack]:
    """The stack, but served by a second gateway whose ITSM read timeout is 0.3 s."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        itsm_read_timeout_seconds=0.3,
    )
    async with serving(create_app(settings)) as url:
        await wait_until_ready(url)
        yield dataclasses.replace(stack, gateway_url=url)


@doors
async def test_itsm_too_slow(impatient: Stack, door: Door) -> None:
    impatient.emulator.faults.latency_ms = 1500
    try:
        outcome = await door.fetch(impatient, NEW_NUMBER)
    finally:
        impatient.emulator.faults.latency_ms = 0

    assert_error(outcome, 504, "ServiceNow", "did not answer in time")


# -- X-Request-ID on errors ------------------------------------------------------------------

REQUEST_ID = "e2e-errors-7c1d"
ECHOED = {"X-Request-ID": REQUEST_ID}


@doors
@pytest.mark.parametrize(
    ("call", "status"),
    [
        pytest.param(
            lambda door, stack: door.fetch(stack, NEW_NUMBER, zone="Mars/Olympus", headers=ECHOED),
            400,
            id="judged-by-the-gateway",
        ),
        pytest.param(
            lambda door, stack: door.fetch(
                stack, NEW_NUMBER, headers={**ECHOED, "Authorization": "Bearer not-a-jwt"}
            ),
            401,
            id="unauthenticated",
        ),
        pytest.param(
            lambda door, stack: door.fetch(stack, "INC9999999", headers=ECHOED),
            404,
            id="from-the-itsm",
        ),
    ],
)
async def test_caller_request_id_is_echoed_on_errors(
    stack: Stack, door: Door, call: Call, status: int
) -> None:
    outcome = await call(door, stack)

    assert outcome.status == status
    assert outcome.response is not None
    assert outcome.response.headers["X-Request-ID"] == REQUEST_ID
