"""GraphQL's typed ``TicketInput`` against a real Request Tracker: canonical values translated
to RT's fields, custom fields and messages."""

from __future__ import annotations

import uuid

from tests.rt.conftest import RtStack
from tests.support.rt import AGENT, AGENT_NAME, CALLER_EMAIL, CALLER_NAME

SELECTION = """
  sysId ticketStatus shortDescription longDescription assignedTo assignedGroup callerId
  urgency ticketSeverity category subCategory
  comments { comment commentBy } workNotes { workNote workNoteBy }
  closureNotes { closureNote }
"""
CREATE = f"""
mutation($c: ConnectionInput!, $t: TicketInput) {{
  createTicket(connection: $c, ticket: $t) {{ {SELECTION} }}
}}
"""
UPDATE = f"""
mutation($s: String!, $c: ConnectionInput!, $t: TicketInput, $j: JSON) {{
  updateTicket(sysId: $s, connection: $c, ticket: $t, ticketJSON: $j) {{ {SELECTION} }}
}}
"""


async def test_ticket_input_is_written_as_rt_fields(rt_stack: RtStack) -> None:
    summary = f"Laptop will not boot {uuid.uuid4().hex[:8]}"
    ticket = {
        "shortDescription": summary,
        "longDescription": "Black screen after the logo.",
        "assignedGroup": "Network",
        "assignedTo": AGENT,
        "callerId": CALLER_EMAIL,
        "urgency": "2-Medium",
        "ticketSeverity": "3-Minor",
        "category": "Hardware",
        "subCategory": "Laptop",
        "workNotes": "Asked for the serial number.",
    }

    answer = await rt_stack.graphql(CREATE, {"c": rt_stack.connection(), "t": ticket})

    assert answer.status_code == 200, answer.text
    created = answer.json()["data"]["createTicket"]
    assert created == {
        "sysId": created["sysId"],
        "ticketStatus": "new",
        "shortDescription": summary,
        "longDescription": "Black screen after the logo.",
        "assignedTo": AGENT_NAME,
        "assignedGroup": "Network",
        "callerId": CALLER_NAME,
        "urgency": "2-Medium",
        "ticketSeverity": "3-Minor",
        "category": "Hardware",
        "subCategory": "Laptop",
        "comments": [],
        "workNotes": [{"workNote": "Asked for the serial number.", "workNoteBy": "ITSM Gateway"}],
        "closureNotes": [],
    }

    update = {"ticketStatus": "resolved", "comments": "Replaced the disk.", "closureNotes": "Disk"}
    answer = await rt_stack.graphql(
        UPDATE, {"s": created["sysId"], "c": rt_stack.connection(), "t": update}
    )

    updated = answer.json()["data"]["updateTicket"]
    assert updated["ticketStatus"] == "resolved"
    assert updated["comments"] == [{"comment": "Replaced the disk.", "commentBy": "ITSM Gateway"}]
    assert updated["closureNotes"] == [{"closureNote": "Disk"}]


async def test_the_description_cannot_be_changed(rt_stack: RtStack) -> None:
    answer = await rt_stack.graphql(
        UPDATE,
        {
            "s": "1",
            "c": rt_stack.connection(),
            "t": {"longDescription": "new text", "workNotes": "note"},
        },
    )

    (error,) = answer.json()["errors"]
    assert error["extensions"]["statusCode"] == 400
    assert "keeps the description as the ticket's first message" in error["message"]


async def test_the_same_value_twice_is_refused(rt_stack: RtStack) -> None:
    answer = await rt_stack.graphql(
        UPDATE,
        {
            "s": "1",
            "c": rt_stack.connection(),
            "t": {"urgency": "1-High"},
            "j": {"CustomFields": {"Urgency": "3-Low"}},
        },
    )

    (error,) = answer.json()["errors"]
    assert error["extensions"]["statusCode"] == 400
    assert "set the custom field Urgency" in error["message"]


async def test_a_value_rt_did_not_take_is_an_error_on_the_aliased_field_path(
    rt_stack: RtStack,
) -> None:
    """The ticket is answered as data and the error sits on the mutation's path, under the
    caller's alias, naming the value as the caller named it (``ticketStatus``)."""
    summary = f"Fan noise {uuid.uuid4().hex[:8]}"
    answer = await rt_stack.graphql(
        CREATE, {"c": rt_stack.connection(), "t": {"shortDescription": summary}}
    )
    sys_id = answer.json()["data"]["createTicket"]["sysId"]
    aliased = """
    mutation($s: String!, $c: ConnectionInput!, $t: TicketInput) {
      changed: updateTicket(sysId: $s, connection: $c, ticket: $t) { sysId ticketStatus }
    }
    """

    answer = await rt_stack.graphql(
        aliased,
        {"s": sys_id, "c": rt_stack.connection(), "t": {"ticketStatus": "bogus"}},
    )

    assert answer.status_code == 200, answer.text
    payload = answer.json()
    assert payload["data"] == {"changed": {"sysId": sys_id, "ticketStatus": "new"}}
    (error,) = payload["errors"]
    assert error["path"] == ["changed"]
    assert error["message"].startswith(
        f"Updated ticket {sys_id}, but 1 value did not take: ticketStatus 'bogus' (it holds 'new'"
    )
    extensions = error["extensions"]
    assert (extensions["code"], extensions["statusCode"]) == ("WRITE_NOT_TAKEN", 200)
    assert extensions["ticket"] == {"ticketNumber": sys_id, "sysId": sys_id}
    (untaken,) = extensions["untaken"]
    assert {k: untaken[k] for k in ("field", "sent", "held")} == {
        "field": "ticketStatus",
        "sent": "bogus",
        "held": "new",
    }
    assert "isn't a valid status" in untaken["reason"]
