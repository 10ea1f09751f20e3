"""Issue 13, item 10: an error answer is bounded in size, whatever the request holds. A body of
many long unknown keys once got an answer ten times its size (every key quoted in full)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack

MAX_ANSWER = 4096


@pytest.mark.parametrize(
    "where",
    ["top", "connectionDetails"],
)
async def test_a_body_of_many_long_unknown_keys_gets_a_short_answer(
    stack: Stack, where: str
) -> None:
    junk = {f"k{i:05d}" + "x" * 600: 1 for i in range(1000)}  # about 600 KB of keys
    body: dict[str, object] = {
        "ticketNumber": "INC0010001",
        "connectionDetails": stack.connection(),
        "ticketFields": ["ticketNumber"],
    }
    if where == "top":
        body.update(junk)
    else:
        body["connectionDetails"] = {**stack.connection(), **junk}
    response = await stack.rest("POST", "fetch", body)
    assert response.status_code == 400
    assert len(response.content) < MAX_ANSWER, len(response.content)
    message = response.json()["statusMessage"]
    assert "is not a known key" in message and "and 990 more problems" in message
    assert stack.table_requests() == []


async def test_graphql_variables_of_many_long_unknown_keys_get_a_short_answer(
    stack: Stack,
) -> None:
    junk = {f"k{i:05d}" + "x" * 600: "1" for i in range(1000)}
    query = 'query($c: ConnectionInput!) { ticket(number: "INC0010001", connection: $c) { sysId } }'
    response = await stack.graphql(query, {"c": {**stack.connection(), **junk}})
    payload = response.json()
    assert len(response.content) < 8 * MAX_ANSWER, len(response.content)
    assert payload["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert stack.table_requests() == []
