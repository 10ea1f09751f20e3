"""Correlation ids against a real Request Tracker 5: the CorrelationId custom field holds a keyed
create's fingerprint, and ``find_correlated``'s TicketSQL finds that very ticket, or none."""

from __future__ import annotations

import uuid
from datetime import UTC

import httpx

from connectors.connection import AuthType, Connection, Credentials
from connectors.fields import TicketField
from connectors.rt import RtConnectorFactory
from tests.rt.conftest import RtStack


async def test_a_keyed_create_is_found_by_its_correlation_id(rt_stack: RtStack) -> None:
    body = {
        "connectionDetails": rt_stack.connection(),
        "ticketJSON": {"Queue": "General", "Subject": f"correlated {uuid.uuid4().hex[:8]}"},
        "ticketFields": ["sysId", "correlationId"],
    }
    headers = {**rt_stack.headers(), "Idempotency-Key": str(uuid.uuid4())}
    answer = await rt_stack.rest("POST", "create", body, headers=headers)
    assert answer.status_code == 201, answer.text
    details = answer.json()["ticketDetails"]
    correlation = details["correlationId"]
    assert correlation.startswith("igw-")

    connection = Connection(
        itsm_type="rt",
        instance_url=rt_stack.rt.url,
        credentials=Credentials(AuthType.API_KEY, api_key=rt_stack.rt.api_token),
    )
    async with httpx.AsyncClient(timeout=30) as http:
        connector = RtConnectorFactory(http).open(connection)
        fields = {TicketField.SYS_ID, TicketField.CORRELATION_ID}
        found = await connector.find_correlated(correlation, fields, UTC)
        none = await connector.find_correlated(f"igw-{uuid.uuid4().hex}", fields, UTC)

    assert found is not None
    assert found.values == {
        TicketField.SYS_ID: details["sysId"],
        TicketField.CORRELATION_ID: correlation,
    }
    assert none is None
