"""The connector contract: what every connector shows, whatever the tool behind it, through both
doors. Each behaviour runs where the tool's declared capabilities say it applies, and a field the
tool does not provide is expected to be refused (400), never silently fetched as empty.
"""

from __future__ import annotations

import re
import socket
import uuid
from typing import Any

import pytest

from connectors.capabilities import Operation
from connectors.fields import (
    DEFAULT_FIELD_NAMES,
    DEFAULT_FIELDS,
    FieldKind,
    TicketField,
    WritableField,
)
from tests.contract.conftest import Contract
from tests.e2e.doors import DOOR_IDS, DOORS, NOTE_SUBFIELDS, GraphQLDoor, RestDoor, selection

UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}")
Door = RestDoor | GraphQLDoor


def readable(tool: Contract) -> list[str]:
    return [f.value for f in TicketField if f in tool.backend.capabilities.readable]


def supports(tool: Contract, *fields: TicketField) -> bool:
    return all(field in tool.backend.capabilities.readable for field in fields)


def needs(tool: Contract, operation: Operation) -> None:
    if operation not in tool.backend.capabilities.operations:
        pytest.skip(f"{tool.backend.name} does not {operation.value}")


def summary() -> str:
    return f"contract {uuid.uuid4().hex[:12]}"


# -- fetch ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_fetch_answers_exactly_the_asked_fields(tool: Contract, door: Door) -> None:
    seeded = await tool.backend.seeded()
    asked = ["ticketNumber", "sysId", "shortDescription"]
    outcome = await door.fetch(tool, seeded.number, asked)
    assert outcome.status == 200, outcome.message
    assert outcome.details == {
        "ticketNumber": seeded.number,
        "sysId": seeded.sys_id,
        "shortDescription": seeded.short_description,
    }


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_every_declared_field_reads_in_its_canonical_shape(
    tool: Contract, door: Door
) -> None:
    seeded = await tool.backend.seeded()
    fields = readable(tool)
    outcome = await door.fetch(tool, seeded.number, fields)
    assert outcome.status == 200, outcome.message
    assert list(outcome.details) == fields
    for name in fields:
        value = outcome.details[name]
        kind = TicketField(name).kind
        if kind is FieldKind.DATETIME:
            assert value == "" or UTC_TIME.fullmatch(value), (name, value)
        elif kind in (FieldKind.COMMENTS, FieldKind.WORK_NOTES, FieldKind.CLOSURE_NOTES):
            assert isinstance(value, list), (name, value)
            keys = NOTE_SUBFIELDS[name].split()
            for note in value:
                assert list(note) == keys, (name, note)
                assert UTC_TIME.fullmatch(note[keys[1]]), (name, note)
        else:
            assert isinstance(value, str), (name, value)


async def test_every_field_means_every_field_with_the_missing_ones_empty(tool: Contract) -> None:
    seeded = await tool.backend.seeded()
    outcome = await RestDoor().fetch(tool, seeded.number, [])
    assert outcome.status == 200, outcome.message
    assert list(outcome.details) == list(DEFAULT_FIELD_NAMES)
    for field in DEFAULT_FIELDS:
        if field not in tool.backend.capabilities.readable:
            assert outcome.details[field.value] in ("", []), field


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_field_the_tool_cannot_provide_is_refused_before_any_call(
    tool: Contract, door: Door
) -> None:
    missing = [f for f in TicketField if f not in tool.backend.capabilities.readable]
    if not missing:
        pytest.skip(f"{tool.backend.name} provides every canonical field")
    seeded = await tool.backend.seeded()
    before = await tool.itsm_calls()
    outcome = await door.fetch(tool, seeded.number, ["ticketNumber", missing[0].value])
    assert outcome.status == 400
    assert f"cannot provide {missing[0].value}" in outcome.message
    assert await tool.itsm_calls() == before


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_refused_optional_read_leaves_the_rest_answered(tool: Contract, door: Door) -> None:
    optional = tool.backend.optional_read
    if optional is None:
        pytest.skip(
            f"{tool.backend.name} has no optional read: every field it provides comes from a "
            "read the ticket itself needs"
        )
    seeded = await tool.backend.seeded()
    fields = readable(tool)
    whole = await door.fetch(tool, seeded.number, fields)
    assert whole.status == 200, whole.message
    tool.backend.refuse_optional_read()
    others = {name: value for name, value in whole.details.items() if name != optional.value}

    if isinstance(door, RestDoor):
        outcome = await door.fetch(tool, seeded.number, fields)
        assert outcome.status == 200, outcome.message
        assert outcome.details == {**others, optional.value: ""}
        assert f"{optional.value} left empty: " in outcome.message
        assert "the account lacks read access" in outcome.message
    else:
        query = (
            "query($n: String!, $c: ConnectionInput!) { ticket(number: $n, connection: $c) "
            f"{{ {selection(fields)} }} }}"
        )
        response = await tool.graphql(query, {"n": seeded.number, "c": tool.connection()})
        assert response.status_code == 200
        payload = response.json()
        ticket = payload["data"]["ticket"]
        assert ticket[optional.value] is None
        assert {k: v for k, v in ticket.items() if k != optional.value}.keys() == others.keys()
        assert ticket["ticketNumber"] == seeded.number
        [error] = payload["errors"]
        assert error["path"] == ["ticket", optional.value]
        assert error["extensions"] == {"code": "OPTIONAL_READ_REFUSED", "statusCode": 502}
        assert "the account lacks read access" in error["message"]


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_comments_and_work_notes_are_kept_apart(tool: Contract, door: Door) -> None:
    if not supports(tool, TicketField.COMMENTS, TicketField.WORK_NOTES):
        pytest.skip(f"{tool.backend.name} does not read both comments and work notes")
    seeded = await tool.backend.seeded()
    assert seeded.comment and seeded.work_note
    outcome = await door.fetch(tool, seeded.number, ["comments", "workNotes"])
    assert outcome.status == 200, outcome.message
    comments = [note["comment"] for note in outcome.details["comments"]]
    work_notes = [note["workNote"] for note in outcome.details["workNotes"]]
    assert seeded.comment in comments and seeded.comment not in work_notes
    assert seeded.work_note in work_notes and seeded.work_note not in comments


async def test_only_what_is_asked_is_fetched(tool: Contract) -> None:
    """One call for the ticket's own fields; the journal and the SLA only when asked for."""
    seeded = await tool.backend.seeded()
    door = RestDoor()

    async def calls_for(fields: list[str]) -> float:
        before = await tool.itsm_calls()
        outcome = await door.fetch(tool, seeded.number, fields)
        assert outcome.status == 200, outcome.message
        return await tool.itsm_calls() - before

    wanted = ("ticketNumber", "shortDescription", "ticketStatus")
    plain: list[str] = [f for f in wanted if f in readable(tool)]
    assert await calls_for(plain) == 1
    if supports(tool, TicketField.COMMENTS):
        assert await calls_for([*plain, "comments"]) > 1
    if supports(tool, TicketField.TICKET_BUSINESS_TIME_LEFT):
        assert await calls_for([*plain, "ticketBusinessTimeLeft"]) == 2


# -- writes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_create_answers_the_new_ticket_and_it_can_be_fetched(
    tool: Contract, door: Door
) -> None:
    needs(tool, Operation.CREATE)
    text = summary()
    before = await tool.backend.ticket_count()
    created = await door.create(
        tool, tool.backend.create_json(text), ["ticketNumber", "sysId", "shortDescription"]
    )
    assert created.status == (201 if door.name == "rest" else 200), created.message
    assert created.details["shortDescription"] == text
    assert created.details["ticketNumber"] and created.details["sysId"]
    assert await tool.backend.ticket_count() == before + 1
    fetched = await door.fetch(tool, created.details["ticketNumber"], ["sysId", "shortDescription"])
    assert fetched.details == {"sysId": created.details["sysId"], "shortDescription": text}


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_update_changes_the_ticket(tool: Contract, door: Door) -> None:
    needs(tool, Operation.UPDATE)
    seeded = await tool.backend.seeded()
    text = summary()
    updated = await door.update(
        tool, seeded.sys_id, tool.backend.update_json(text), ["ticketNumber", "shortDescription"]
    )
    assert updated.status == 200, updated.message
    assert updated.details == {"ticketNumber": seeded.number, "shortDescription": text}
    fetched = await door.fetch(tool, seeded.number, ["shortDescription"])
    assert fetched.details == {"shortDescription": text}


async def test_canonical_comment_and_work_note_land_apart(tool: Contract) -> None:
    writable = tool.backend.capabilities.writable
    if not (WritableField.COMMENTS in writable and WritableField.WORK_NOTES in writable):
        pytest.skip(f"{tool.backend.name} cannot write both comments and work notes")
    needs(tool, Operation.UPDATE)
    seeded = await tool.backend.seeded()
    comment, work_note = f"public {uuid.uuid4().hex}", f"internal {uuid.uuid4().hex}"
    query = (
        "mutation($s: String!, $c: ConnectionInput!, $t: TicketInput) "
        "{ updateTicket(sysId: $s, connection: $c, ticket: $t) "
        "{ comments { comment commentTime } workNotes { workNote workNoteTime } } }"
    )
    response = await tool.graphql(
        query,
        {
            "s": seeded.sys_id,
            "c": tool.connection(),
            "t": {"comments": comment, "workNotes": work_note},
        },
    )
    body = response.json()
    assert "errors" not in body, body
    ticket = body["data"]["updateTicket"]
    comments = [note["comment"] for note in ticket["comments"]]
    work_notes = [note["workNote"] for note in ticket["workNotes"]]
    assert comment in comments and comment not in work_notes
    assert work_note in work_notes and work_note not in comments
    # Oldest first: what was just written is last.
    assert comments[-1] == comment and work_notes[-1] == work_note


# -- correlation ids -----------------------------------------------------------------------------


def needs_correlation(tool: Contract) -> None:
    needs(tool, Operation.CREATE)
    if WritableField.CORRELATION_ID not in tool.backend.capabilities.writable:
        pytest.skip(f"{tool.backend.name} holds no correlation id here")


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_correlation_id_set_on_create_reads_back(tool: Contract, door: Door) -> None:
    needs_correlation(tool)
    correlation = f"MON-{uuid.uuid4().hex[:12]}"
    query = (
        "mutation($c: ConnectionInput!, $j: JSON, $t: TicketInput) "
        "{ createTicket(connection: $c, ticketJSON: $j, ticket: $t) "
        "{ ticketNumber correlationId } }"
    )
    response = await tool.graphql(
        query,
        {
            "c": tool.connection(),
            "j": tool.backend.create_json(summary()),
            "t": {"correlationId": correlation},
        },
    )
    body = response.json()
    assert "errors" not in body, body
    created = body["data"]["createTicket"]
    assert created["correlationId"] == correlation
    fetched = await door.fetch(tool, created["ticketNumber"], ["correlationId"])
    assert fetched.details == {"correlationId": correlation}


async def test_a_keyed_create_writes_a_digest_of_its_key(tool: Contract) -> None:
    needs_correlation(tool)
    key = str(uuid.uuid4())
    created = await RestDoor().create(
        tool,
        tool.backend.create_json(summary()),
        ["ticketNumber", "correlationId"],
        headers={"Idempotency-Key": key},
    )
    assert created.status == 201, created.message
    correlation = created.details["correlationId"]
    assert correlation.startswith("igw-") and key not in correlation
    fetched = await RestDoor().fetch(tool, created.details["ticketNumber"], ["correlationId"])
    assert fetched.details == {"correlationId": correlation}


async def test_a_lost_create_answer_is_settled_by_the_correlation_id(tool: Contract) -> None:
    needs_correlation(tool)
    asked = ["ticketNumber", "sysId", "shortDescription", "correlationId"]
    # A first create fills the gateway's caches (choices, people), so that the next call to
    # the tool is the create itself.
    warm = await RestDoor().create(tool, tool.backend.create_json(summary()), asked)
    assert warm.status == 201, warm.message
    if not tool.backend.lose_next_create_answer():
        pytest.skip(f"{tool.backend.name}: a lost create answer cannot be provoked here")
    key = str(uuid.uuid4())
    before = await tool.backend.ticket_count()
    ticket_json = tool.backend.create_json(summary())

    first = await RestDoor().create(tool, ticket_json, asked, headers={"Idempotency-Key": key})

    assert first.status == 201, first.message  # not "outcome unknown": the look-up found it
    assert await tool.backend.ticket_count() == before + 1
    retried = await RestDoor().create(tool, ticket_json, asked, headers={"Idempotency-Key": key})
    assert retried.status == 201, retried.message
    assert retried.details == first.details
    assert await tool.backend.ticket_count() == before + 1


# -- writes that did not take, and errors after a write -----------------------------------------


def _assert_reported(tool: Contract, door: Door, outcome: Any, field: str, status: int) -> None:
    """The ticket answered with the write's own status, and the value that did not take named
    with what the tool holds: REST in statusMessage, GraphQL in a WRITE_NOT_TAKEN error on the
    mutation's path (checked by the door) with untaken and the ticket's ids."""
    assert outcome.status == status, outcome.message
    assert outcome.details["ticketNumber"] and outcome.details["sysId"], outcome
    assert " did not take: " in outcome.message, outcome.message
    assert f"{field} " in outcome.message and "(it holds " in outcome.message, outcome.message
    if isinstance(door, GraphQLDoor):
        assert outcome.code == "WRITE_NOT_TAKEN"
        assert outcome.extensions["ticket"] == {
            "ticketNumber": outcome.details["ticketNumber"],
            "sysId": outcome.details["sysId"],
        }
        named = [value["field"] for value in outcome.extensions["untaken"]]
        assert field in named, outcome.extensions
        for value in outcome.extensions["untaken"]:
            assert set(value) == {"field", "sent", "held", "reason"}
    else:
        assert outcome.code is None


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_a_create_that_did_not_take_whole_is_reported(tool: Contract, door: Door) -> None:
    needs(tool, Operation.CREATE)
    not_taking = tool.backend.not_taking(creating=True)
    ticket_json = {**tool.backend.create_json(summary()), **not_taking.ticket_json}
    before = await tool.backend.ticket_count()
    counted = await tool.metric("itsm_gateway_writes_not_taken_total")

    outcome = await door.create(tool, ticket_json, ["ticketNumber", "sysId", "shortDescription"])

    _assert_reported(tool, door, outcome, not_taking.field, 201)
    assert await tool.backend.ticket_count() == before + 1  # it exists, as the answer says
    assert await tool.metric("itsm_gateway_writes_not_taken_total") == counted + 1


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_an_update_that_did_not_take_whole_is_reported(tool: Contract, door: Door) -> None:
    needs(tool, Operation.UPDATE)
    seeded = await tool.backend.seeded()
    text = summary()
    not_taking = tool.backend.not_taking(creating=False)
    ticket_json = {**tool.backend.update_json(text), **not_taking.ticket_json}

    outcome = await door.update(
        tool, seeded.sys_id, ticket_json, ["ticketNumber", "sysId", "shortDescription"]
    )

    _assert_reported(tool, door, outcome, not_taking.field, 200)
    assert outcome.details["shortDescription"] == text  # the rest of the write took


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_after_a_write_an_error_still_names_the_ticket(tool: Contract, door: Door) -> None:
    needs(tool, Operation.CREATE)
    if not tool.backend.fail_reads_after_writes():
        pytest.skip(f"{tool.backend.name}: a failure after a write cannot be provoked here")
    before = await tool.backend.ticket_count()

    outcome = await door.create(tool, tool.backend.create_json(summary()), ["sysId"])

    assert outcome.status >= 500, outcome
    assert set(outcome.details) == {"ticketNumber", "sysId"}, outcome
    assert all(outcome.details.values()), outcome
    assert await tool.backend.ticket_count() == before + 1
    fetched = await door.fetch(tool, outcome.details["ticketNumber"], ["sysId"])
    assert fetched.details == {"sysId": outcome.details["sysId"]}


# -- errors, and nothing written on bad input ----------------------------------------------------


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_an_unknown_ticket_is_404(tool: Contract, door: Door) -> None:
    seeded = await tool.backend.seeded()
    unknown = re.sub(r"\d", "9", seeded.number) + "9"
    outcome = await door.fetch(tool, unknown, ["ticketNumber"])
    assert outcome.status == 404, outcome.message
    assert unknown in outcome.message


@pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
async def test_credentials_the_tool_refuses_are_502_without_the_secret(
    tool: Contract, door: Door
) -> None:
    seeded = await tool.backend.seeded()
    connection = tool.backend.wrong_credentials()
    outcome = await door.fetch(tool, seeded.number, ["ticketNumber"], connection=connection)
    assert outcome.status == 502, outcome.message
    assert outcome.response is not None
    for secret in ("password", "token", "apiKey", "clientSecret"):
        value = connection.get(secret)
        if value:
            assert value not in outcome.response.text


async def test_an_unreachable_tool_is_503(tool: Contract) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens once the socket closes
    seeded = await tool.backend.seeded()
    connection = tool.connection(instanceUrl=f"http://127.0.0.1:{port}")
    outcome = await RestDoor().fetch(tool, seeded.number, ["ticketNumber"], connection=connection)
    assert outcome.status == 503, outcome.message


BAD_WRITES: list[tuple[str, dict[str, Any]]] = [
    ("unknown-field", {"ticketFields": ["ticketNumbr"]}),
    ("bad-zone", {"itsmTimeZoneOffset": "Mars/Olympus"}),
    ("read-only", {}),
]


@pytest.mark.parametrize(("case", "extra"), BAD_WRITES, ids=[case for case, _ in BAD_WRITES])
async def test_bad_input_writes_nothing(tool: Contract, case: str, extra: dict[str, Any]) -> None:
    needs(tool, Operation.CREATE)
    before = await tool.backend.ticket_count()
    calls = await tool.itsm_calls()
    ticket_json = (
        tool.backend.read_only_json() if case == "read-only" else tool.backend.create_json("x")
    )
    body = {"connectionDetails": tool.connection(), "ticketJSON": ticket_json, **extra}
    response = await tool.rest("POST", "create", body)
    assert response.status_code == 400, response.text
    assert response.json()["ticketDetails"] == {}
    assert await tool.backend.ticket_count() == before
    assert await tool.itsm_calls() == calls  # judged before any call to the tool
