"""What a vendor accepts of a connection is declared on its capabilities, and the use case and
the vendor judge alike.

Table names: the generic rule in the use case (``resolvers.tables``), each vendor's refinement
declared as a ``TableRule``, so that the use case, which checks both before opening a
connector, and the vendor, which checks its own when it opens, judge every name alike.
``Incident`` is refused by ServiceNow (its table names are lower case) at either layer, with the
same message. Auth types: each vendor's ``AuthRule``, the same way, named as the door names it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.connection_keys import CREDENTIAL_KEYS
from connectors.errors import BadInput
from connectors.jira import JiraConnectorFactory
from connectors.port import ConnectorFactory
from connectors.registry import ConnectorRegistry
from connectors.rt import RtConnectorFactory
from connectors.servicenow import ServiceNowConnectorFactory
from gateway.outbound.guard import AddressGuard
from gateway.outbound.url_policy import UrlPolicy
from resolvers.connections import ConnectionDetails, ConnectionResolver
from resolvers.tables import is_table_name
from resolvers.tickets import CallContext, TicketService

INSTANCE = "https://desk.example.com"
NUMBERS = {"servicenow": "INC0010001", "jira": "DESK-1", "rt": "1"}
NAMES = [
    "incident",
    "Incident",
    "INCIDENT",
    "sc_req_item",
    "u_custom_2",
    "DESK",
    "desk",
    "10000",
    "0",
    "_hidden",
    "1abc",
    "x" * 80,
    "x" * 81,
    "x" * 256,
    "incident/../oauth_token.do",
    "sys user",
    "inc-ident",
    "ïncident",
    "incident;drop",
]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """Every call answers 503: a name the layers let through goes no further than this."""
    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    async with httpx.AsyncClient(transport=transport) as client:
        yield client


@pytest.fixture
def factories(http: httpx.AsyncClient) -> list[ConnectorFactory]:
    return [ServiceNowConnectorFactory(http), JiraConnectorFactory(http), RtConnectorFactory(http)]


async def use_case_refusal(service: TicketService, itsm_type: str, table: str) -> str | None:
    """What the use case says of the table before any call, or ``None`` when it let it pass."""
    details = ConnectionDetails(
        itsm_type=itsm_type,
        instance_url=INSTANCE,
        auth_type="basic",
        username="gateway",
        password="Secret-pw",
        table=table,
    )
    return await refusal_before_any_call(service, details)


async def refusal_before_any_call(service: TicketService, details: ConnectionDetails) -> str | None:
    """The use case's ``BadInput`` message for a fetch through ``details``, or ``None`` when the
    checks let it pass (it then fails further on: the fake ITSM's 503, or the OAuth token call)."""
    assert details.itsm_type is not None
    try:
        await service.fetch(
            number=NUMBERS[details.itsm_type],
            connection=details,
            fields=["ticketNumber"],
            zone=None,
            context=CallContext(),
        )
    except BadInput as refused:
        return refused.message
    except Exception:  # past the checks
        return None
    return None


def vendor_refusal(factory: ConnectorFactory, table: str) -> str | None:
    credentials = Credentials(AuthType.BASIC, username="gateway", password="Secret-pw")
    try:
        factory.open(Connection(factory.itsm_type, INSTANCE, credentials, table=table))
    except BadInput as refused:
        return refused.message
    return None


@pytest.mark.parametrize("table", NAMES)
async def test_the_use_case_and_the_vendor_judge_a_table_name_alike(
    factories: list[ConnectorFactory], table: str
) -> None:
    resolver = ConnectionResolver(
        AddressGuard(UrlPolicy.from_text(INSTANCE)), ("jira", "rt", "servicenow")
    )
    service = TicketService(ConnectorRegistry(factories), resolver)
    for factory in factories:
        by_use_case = await use_case_refusal(service, factory.itsm_type, table)
        by_vendor = vendor_refusal(factory, table)
        if is_table_name(table):
            # The generic rule lets it through: the vendor's declared rule decides, the same
            # at both layers, with the same words.
            assert by_use_case == by_vendor, factory.itsm_type
        else:
            # A vendor's rule refines the generic one: what the generic rule refuses, every
            # vendor refuses too; the use case says so first, in its generic words.
            assert by_use_case is not None and "is not a table name" in by_use_case
            assert by_vendor is not None, factory.itsm_type


async def test_incident_is_refused_by_servicenow_at_either_layer(
    factories: list[ConnectorFactory],
) -> None:
    resolver = ConnectionResolver(AddressGuard(UrlPolicy.from_text(INSTANCE)), ("servicenow",))
    service = TicketService(ConnectorRegistry(factories[:1]), resolver)

    by_use_case = await use_case_refusal(service, "servicenow", "Incident")

    assert by_use_case == vendor_refusal(factories[0], "Incident")
    assert by_use_case == (
        "connectionDetails.table 'Incident' is not a ServiceNow table name "
        "(lower-case letters, digits and underscores)"
    )


def test_the_generic_rule_is_ascii_letters_digits_and_underscores() -> None:
    assert is_table_name("Incident") and is_table_name("sc_req_item") and is_table_name("10000")
    assert not any(is_table_name(name) for name in ("sys user", "a/b", "ïncident", "_", "a-b"))


# -- auth types ------------------------------------------------------------------------------

EVERY_CREDENTIAL = {key.attribute: f"{key.name}-Secret" for key in CREDENTIAL_KEYS}


async def use_case_auth_refusal(
    service: TicketService, itsm_type: str, auth_type: AuthType, within: str
) -> str | None:
    details = ConnectionDetails.of(
        {
            "itsm_type": itsm_type,
            "instance_url": INSTANCE,
            "auth_type": auth_type.value,
            **EVERY_CREDENTIAL,
        },
        within=within,
    )
    return await refusal_before_any_call(service, details)


def vendor_auth_refusal(factory: ConnectorFactory, auth_type: AuthType, within: str) -> str | None:
    credentials = Credentials(auth_type, values=tuple(EVERY_CREDENTIAL.values()))
    connection = Connection(factory.itsm_type, INSTANCE, credentials, within=within)
    try:
        factory.open(connection)
    except BadInput as refused:
        return refused.message
    return None


@pytest.mark.parametrize("within", ["connectionDetails", "connection"])
@pytest.mark.parametrize("auth_type", list(AuthType))
async def test_the_use_case_and_the_vendor_judge_an_auth_type_alike(
    factories: list[ConnectorFactory],
    auth_type: AuthType,
    within: str,
) -> None:
    resolver = ConnectionResolver(
        AddressGuard(UrlPolicy.from_text(INSTANCE)), ("jira", "rt", "servicenow")
    )
    service = TicketService(ConnectorRegistry(factories), resolver)
    for factory in factories:
        by_use_case = await use_case_auth_refusal(service, factory.itsm_type, auth_type, within)

        assert by_use_case == vendor_auth_refusal(factory, auth_type, within), factory.itsm_type


async def test_request_tracker_refuses_oauth_naming_the_key_as_the_door_does(
    factories: list[ConnectorFactory],
) -> None:
    rt = factories[2]

    assert vendor_auth_refusal(rt, AuthType.BEARER, "connection") == (
        "connection.authType bearer does not work with Request Tracker; use basic (username and "
        "password) or api_key (an RT auth token as apiKey)"
    )
    assert vendor_auth_refusal(rt, AuthType.API_KEY, "connection") is None
