"""GraphQL tells a client which ITSM tools the gateway serves and what each supports."""

from __future__ import annotations

from connectors.fields import TicketField, WritableField
from tests.e2e.conftest import Stack

QUERY = """
query Tools {
  connectors { itsmType name operations fields { field mapsTo } writableFields { field mapsTo } }
}
"""


async def test_graphql_lists_the_connectors_and_their_fields(stack: Stack) -> None:
    response = await stack.graphql(QUERY)
    assert response.status_code == 200, response.text
    tools = {tool["itsmType"]: tool for tool in response.json()["data"]["connectors"]}
    servicenow = tools["servicenow"]
    assert servicenow["name"] == "ServiceNow"
    assert servicenow["operations"] == ["fetch", "create", "update", "search"]
    assert [f["field"] for f in servicenow["fields"]] == [f.value for f in TicketField]
    mapped = {f["field"]: f["mapsTo"] for f in servicenow["fields"]}
    assert mapped["shortDescription"] == "<table>.short_description"
    assert "task_sla" in mapped["ticketBusinessTimeLeft"]
    assert [f["field"] for f in servicenow["writableFields"]] == [f.value for f in WritableField]


async def test_the_list_needs_a_token(stack: Stack) -> None:
    response = await stack.graphql(QUERY, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
