"""Canonical and native input to the body ServiceNow gets, and every refusal made before a write."""

from __future__ import annotations

from datetime import UTC

import pytest

from connectors.errors import BadInput
from connectors.fields import WritableField
from connectors.model import WriteRequest
from connectors.servicenow.writes import missing_close, native_body
from tests.connectors.servicenow_connector.conftest import vendor_calls

pytestmark = pytest.mark.usefixtures("lookups")

SYS_ID = "1c741bd70b2322007518478d83673af3"


def test_every_canonical_field_has_its_column():
    canonical = {
        "ticketStatus": "On Hold",
        "urgency": "1",
        "ticketSeverity": "2 - Medium",
        "shortDescription": "Mail down",
        "longDescription": "Nobody receives mail.",
        "category": "network",
        "subCategory": "email",
        "assignedTo": "Beth Anglin",
        "assignedGroup": "d625dccec0a8016700a222a0f7900d06",
        "callerId": "Fred Luddy",
        "comments": "We are on it.",
        "workNotes": "Exchange queue stuck.",
        "closureNotes": "Restarted transport service.",
        "correlationId": "MON-4711",
    }
    assert set(canonical) == {field.value for field in WritableField}

    assert native_body(WriteRequest(canonical=canonical)) == {
        "state": "3",
        "urgency": "1",
        "severity": "2",
        "short_description": "Mail down",
        "description": "Nobody receives mail.",
        "category": "network",
        "subcategory": "email",
        "assigned_to": "Beth Anglin",
        "assignment_group": "d625dccec0a8016700a222a0f7900d06",
        "caller_id": "Fred Luddy",
        "comments": "We are on it.",
        "work_notes": "Exchange queue stuck.",
        "close_notes": "Restarted transport service.",
        "correlation_id": "MON-4711",
    }


def test_native_values_are_sent_as_given():
    native = {
        "short_description": "x",
        "u_custom": 3,
        "active": True,
        "impact": None,
        "u_rate": 1.5,
    }

    assert native_body(WriteRequest(native=native)) == native


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("New", "1"),
        ("in progress", "2"),
        ("IN PROGRESS", "2"),
        ("Resolved", "6"),
        ("Closed", "7"),
        ("Canceled", "8"),
        ("2", "2"),
        ("101", "101"),
    ],
)
def test_status_labels_and_codes(label, code):
    assert native_body(WriteRequest(canonical={"ticketStatus": label})) == {"state": code}


def test_an_unknown_status_label_lists_the_labels():
    with pytest.raises(BadInput, match="New, In Progress, On Hold, Resolved, Closed, Canceled"):
        native_body(WriteRequest(canonical={"ticketStatus": "Pending vendor"}))


@pytest.mark.parametrize("value", ["2", "2 - Medium", "Medium", "medium", "2-medium", " 2 "])
def test_urgency_and_severity_forms(value):
    body = native_body(WriteRequest(canonical={"urgency": value, "ticketSeverity": value}))

    assert body == {"urgency": "2", "severity": "2"}


@pytest.mark.parametrize("value", ["4", "2 - High", "Critical", "", "two"])
def test_bad_urgency_is_refused_listing_the_labels(value):
    with pytest.raises(BadInput, match=r"urgency .* use one of 1 - High, 2 - Medium, 3 - Low"):
        native_body(WriteRequest(canonical={"urgency": value}))


def test_an_empty_write_is_refused():
    with pytest.raises(BadInput, match="ticketJSON needs at least one field"):
        native_body(WriteRequest())


@pytest.mark.parametrize(
    "key", ["sys_id", "number", "sys_created_on", "sys_updated_by", "sys_mod_count", "priority"]
)
def test_system_and_computed_columns_are_refused(key):
    with pytest.raises(BadInput, match=f"ticketJSON.{key}: set by ServiceNow"):
        native_body(WriteRequest(native={key: "x", "short_description": "y"}))


def test_all_refused_columns_are_named_at_once():
    with pytest.raises(BadInput) as refused:
        native_body(WriteRequest(native={"number": "INC1", "sys_id": "x", "priority": "1"}))

    message = refused.value.message
    assert "ticketJSON.number" in message and "ticketJSON.sys_id" in message
    assert "ticketJSON.priority" in message and "impact and urgency" in message


@pytest.mark.parametrize("value", [{"value": "x"}, ["a", "b"]])
def test_objects_and_lists_are_refused(value):
    with pytest.raises(BadInput, match=r"ticketJSON\.caller_id: ServiceNow columns take"):
        native_body(WriteRequest(native={"caller_id": value}))


def test_a_canonical_and_a_native_value_for_one_column_are_refused():
    write = WriteRequest(native={"short_description": "a"}, canonical={"shortDescription": "b"})

    with pytest.raises(BadInput, match=r"shortDescription and ticketJSON\.short_description"):
        native_body(write)


def test_an_unknown_canonical_field_is_refused():
    with pytest.raises(BadInput, match="Unknown ticket input fields: priority"):
        native_body(WriteRequest(canonical={"priority": "1"}))


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"state": "6"}, ("close_code", "close_notes")),
        ({"state": 7, "close_code": "Solution provided"}, ("close_notes",)),
        ({"state": "6", "close_code": "x", "close_notes": "  "}, ("close_notes",)),
        ({"state": "Resolved", "close_notes": "y"}, ("close_code",)),
        ({"state": "6", "close_code": "x", "close_notes": "y"}, ()),
        ({"state": "2"}, ()),
        ({"short_description": "x"}, ()),
    ],
)
def test_missing_close_columns(body, missing):
    assert missing_close(body) == missing


# --- nothing is sent when the connector refuses -------------------------------------------------

REFUSED = [
    WriteRequest(),
    WriteRequest(native={"sys_created_on": "2020-01-01 00:00:00"}),
    WriteRequest(native={"number": "INC0000001", "short_description": "x"}),
    WriteRequest(native={"caller_id": {"value": "x"}}),
    WriteRequest(canonical={"ticketStatus": "Done"}),
    WriteRequest(canonical={"urgency": "urgent"}),
    WriteRequest(native={"description": "a"}, canonical={"longDescription": "b"}),
]


@pytest.mark.parametrize("write", REFUSED)
async def test_create_refusals_send_nothing(httpx_mock, factory, connection, write):
    connector = factory.open(connection())

    with pytest.raises(BadInput):
        await connector.create(write, set(), UTC)

    assert vendor_calls(httpx_mock) == []  # at most a lookup (sys_choice), nothing written


@pytest.mark.parametrize("write", REFUSED)
async def test_update_refusals_send_nothing(httpx_mock, factory, connection, write):
    connector = factory.open(connection())

    with pytest.raises(BadInput):
        await connector.update(SYS_ID, write, set(), UTC)

    assert vendor_calls(httpx_mock) == []  # at most a lookup (sys_choice), nothing written
