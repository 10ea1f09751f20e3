"""GraphQL enums for the connection values the gateway knows: ``ItsmType`` and ``AuthType``.

Written out, as ``ConnectionInput`` is (strawberry needs a class for its SDL); the vocabulary is
the source, and ``tests/graph/test_enums.py`` holds each enum to it: ``ItsmType`` to the shipped
connectors (``connectors.catalog.itsm_types``), ``AuthType`` to
``connectors.connection_keys.AuthType``. A connector or auth type added there fails that test
until it is added here, and ``schema.graphql`` is exported again.

The GraphQL names are the values themselves, lowercase (``servicenow``, ``oauth_password``), not
the usual SCREAMING_CASE: they are what REST's ``connectionDetails`` and the profiles spell, so a
client that sends ``{"itsmType": "servicenow"}`` in its variables keeps working, and the two doors
name a value alike. (Both are valid GraphQL names.) Unlike REST's strings, they are
case-sensitive: GraphQL compares enum names exactly.

A member's ``value`` is the REST string it names (``ConnectionInput.to_details`` passes that on).
"""

from __future__ import annotations

import enum

import strawberry


@strawberry.enum(name="ItsmType", description="The ITSM tools this gateway has a connector for.")
class ItsmType(enum.Enum):
    jira = strawberry.enum_value(
        "jira", description="Jira Cloud or Data Center; JSM service desks add SLAs."
    )
    rt = strawberry.enum_value("rt", description="Request Tracker 5, through its REST 2 API.")
    servicenow = strawberry.enum_value(
        "servicenow", description="ServiceNow, through its Table API."
    )


@strawberry.enum(
    name="AuthType",
    description="How the gateway signs in to the ITSM; each needs its own ConnectionInput keys.",
)
class AuthType(enum.Enum):
    basic = strawberry.enum_value("basic", description="username and password on every call.")
    oauth_password = strawberry.enum_value(
        "oauth_password",
        description="OAuth 2.0 password grant: username, password, clientId, clientSecret.",
    )
    oauth_client_credentials = strawberry.enum_value(
        "oauth_client_credentials",
        description="OAuth 2.0 client credentials grant: clientId and clientSecret.",
    )
    api_key = strawberry.enum_value(
        "api_key", description="An API key in apiKey (ServiceNow's x-sn-apikey)."
    )
    bearer = strawberry.enum_value("bearer", description="A bearer token for the ITSM in token.")


def values_of(graphql_enum: type[enum.Enum]) -> list[str]:
    """The strings an enum names, in its order. (Statically a member's value is the
    ``enum_value`` it was declared with; strawberry has replaced each by its plain value.)"""
    return [str(member.value) for member in graphql_enum]
