"""Canonical people written to Jira (``connectors.jira.people``): found by exact display name,
email address or account id before anything is written."""

from __future__ import annotations

from datetime import UTC

import pytest

from connectors.errors import BadInput
from connectors.fields import TicketField
from connectors.jira import JiraConnectorFactory
from connectors.jira.people import is_account_id
from connectors.model import WriteRequest
from tests.connectors.jira.conftest import SITE, connection

SEARCH = f"{SITE}/rest/api/3/user/search"
BETH = {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Beth Anglin"}
OTHER_BETH = {
    "accountId": "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
    "displayName": "Beth Anglin",
    "emailAddress": "beth@elsewhere.example",
}


@pytest.fixture
def connector(factory: JiraConnectorFactory):
    return factory.open(connection())


def assign(person: str) -> WriteRequest:
    return WriteRequest(canonical={"assignedTo": person})


async def test_several_users_with_that_name_are_listed_and_nothing_is_written(
    httpx_mock, connector
) -> None:
    httpx_mock.add_response(
        url=SEARCH,
        match_params={"query": "Beth Anglin", "maxResults": "20"},
        json=[BETH, OTHER_BETH],
    )

    with pytest.raises(BadInput) as refused:
        await connector.update("10001", assign("Beth Anglin"), {TicketField.SYS_ID}, UTC)

    assert refused.value.message == (
        "assignedTo 'Beth Anglin' names 2 Jira users: Beth Anglin (5b10ac8d82e05b22cc7d4ef5), "
        "Beth Anglin (557058:f58131cb-b67d-43c7-b30d-6b58d40bd077, beth@elsewhere.example); give "
        "the account id of the one meant; nothing was written"
    )
    assert [r.method for r in httpx_mock.get_requests()] == ["GET"]  # the search alone


async def test_a_prefix_match_is_no_match(httpx_mock, connector) -> None:
    httpx_mock.add_response(
        url=SEARCH, match_params={"query": "Beth", "maxResults": "20"}, json=[BETH]
    )
    with pytest.raises(BadInput, match="callerId 'Beth': no Jira user has that display name"):
        await connector.update(
            "10001", WriteRequest(canonical={"callerId": "Beth"}), {TicketField.SYS_ID}, UTC
        )


@pytest.mark.parametrize(
    ("value", "account"),
    [
        ("5b10ac8d82e05b22cc7d4ef5", True),
        ("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", True),
        ("qm:1f4e2a9c-5b3d-4c7e-8a6f-2d1c0b9a8e7f:5e8c0f2a1b3d4c5e6f7a8b9c", True),
        ("Beth Anglin", False),
        ("beth.anglin@acme.example", False),
    ],
)
def test_account_ids_are_recognised(value: str, account: bool) -> None:
    assert is_account_id(value) is account


async def test_an_empty_caller_is_refused_before_any_call(connector) -> None:
    with pytest.raises(BadInput, match="callerId must name a Jira user"):
        await connector.update(
            "10001", WriteRequest(canonical={"callerId": " "}), {TicketField.SYS_ID}, UTC
        )
