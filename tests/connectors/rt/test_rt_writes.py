"""Writes (``connectors.rt.writes``): what is refused before anything is sent, how canonical
values are translated, and how what RT holds afterwards is judged against what was sent."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.errors import BadInput
from connectors.fields import WritableField
from connectors.model import WriteRequest
from connectors.rt.writes import SYSTEM_FIELDS, Refused, check, plan
from tests.connectors.rt.conftest import item


def native(**fields: Any) -> WriteRequest:
    return WriteRequest(native=fields)


@pytest.mark.parametrize("name", sorted(SYSTEM_FIELDS))
def test_system_fields_are_refused(name: str) -> None:
    with pytest.raises(BadInput, match=f"ticketJSON.{name}: set by Request Tracker"):
        plan(native(Subject="x", **{name: "1"}), creating=False)


def test_a_field_rt_would_ignore_silently_is_refused() -> None:
    with pytest.raises(BadInput, match="does not take: Bogus, subject; valid names are Subject"):
        plan(native(subject="x", Bogus="y"), creating=True)


def test_the_description_is_written_only_at_create() -> None:
    assert plan(native(Content="text"), creating=True).fields["ContentType"] == "text/plain"
    with pytest.raises(BadInput, match="first message, which cannot be changed"):
        plan(native(Content="text"), creating=False)
    with pytest.raises(BadInput, match=r"longDescription: .* cannot be changed"):
        plan(WriteRequest(canonical={"longDescription": "text"}), creating=False)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"Subject": None}, "ticketJSON.Subject is null"),
        ({"Priority": "abc"}, "Priority 'abc' is not a whole number, or one of Low, Medium, High"),
        ({"Priority": "high"}, "(case matters); Request Tracker would store 0 instead"),
        ({"Priority": -1}, "Priority -1 is not a whole number"),
        ({"TimeWorked": "1.5"}, "TimeWorked '1.5' is not a whole number;"),
        ({"TimeLeft": "Low"}, "TimeLeft 'Low' is not a whole number;"),
        ({"Owner": "28"}, "login name (such as agent1), not a numeric id"),
        ({"Owner": " "}, "ticketJSON.Owner must be a non-empty string"),
        ({"Requestor": ""}, "Requestor has an empty name; send [] to remove them all"),
        ({"Cc": ["a@example.com", 3]}, "Cc must be a user name or email address"),
        ({"CustomFields": {"Urgency": None}}, "CustomFields.Urgency must be a string or a list"),
        ({"CustomFields": []}, "CustomFields must be an object"),
        ({"Comment": "  "}, "ticketJSON.Comment must be the text of the message"),
        ({"Queue": True}, "Queue must be a queue name or id"),
        ({"Due": 5}, "ticketJSON.Due must be a string"),
    ],
)
def test_values_rt_would_mangle_are_refused(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(BadInput) as refused:
        plan(native(**fields), creating=True)
    assert words in refused.value.message


def test_values_rt_takes_pass_as_given() -> None:
    fields = {
        "Subject": "VPN",
        "Priority": "High",
        "InitialPriority": 10,
        "TimeWorked": "15",
        "Owner": "agent1",
        "Requestor": ["caller1@example.com"],
        "Cc": [],
        "Due": "2026-12-01 10:00:00",
        "CustomFields": {"Urgency": "1-High", "Tags": ["a", "b"], "SubCategory": ""},
    }
    written = plan(native(**fields, Comment="note", Correspond="reply"), creating=False)
    assert written.fields == fields
    assert (written.comment, written.correspond) == ("note", "reply")


def test_a_create_goes_to_the_general_queue_unless_told() -> None:
    assert plan(native(Subject="x"), creating=True).fields["Queue"] == "General"
    assert plan(native(Subject="x", Queue="Network"), creating=True).fields["Queue"] == "Network"
    assert "Queue" not in plan(native(Subject="x"), creating=False).fields


def test_every_ticket_input_field_is_translated() -> None:
    canonical = {field.value: f"{field.value} value" for field in WritableField}
    written = plan(WriteRequest(canonical=canonical), creating=True)

    assert written.fields == {
        "Status": "ticketStatus value",
        "Subject": "shortDescription value",
        "Content": "longDescription value",
        "ContentType": "text/plain",
        "Owner": "assignedTo value",
        "Queue": "assignedGroup value",
        "Requestor": "callerId value",
        "CustomFields": {
            "Urgency": "urgency value",
            "Severity": "ticketSeverity value",
            "Category": "category value",
            "SubCategory": "subCategory value",
            "ClosureNotes": "closureNotes value",
            "CorrelationId": "correlationId value",
        },
    }
    assert written.correspond == "comments value"  # customer-visible: a reply
    assert written.comment == "workNotes value"  # internal: a comment


@pytest.mark.parametrize(
    ("canonical", "fields", "words"),
    [
        ({"shortDescription": "a"}, {"Subject": "b"}, "ticketInput and ticketJSON.Subject"),
        ({"comments": "a"}, {"Correspond": "b"}, "ticketInput and ticketJSON.Correspond"),
        (
            {"urgency": "1-High"},
            {"CustomFields": {"URGENCY": "2-Medium"}},
            "ticketJSON.CustomFields set the custom field Urgency",
        ),
    ],
)
def test_a_value_given_twice_is_refused(
    canonical: dict[str, str], fields: dict[str, Any], words: str
) -> None:
    with pytest.raises(BadInput, match=words):
        plan(WriteRequest(native=fields, canonical=canonical), creating=False)


def test_an_empty_write_is_refused() -> None:
    with pytest.raises(BadInput, match="at least one field"):
        plan(WriteRequest(), creating=False)


# -- judging what RT holds afterwards (the recorded ticket 7, resolved) --


def test_what_rt_holds_is_applied_and_what_it_does_not_is_refused() -> None:
    """The recorded refused update: RT answered 200 and applied the subject, not the status."""
    ticket = item("ticket_resolved") | {"Subject": "VPN drops (site B)"}

    applied, refused = check({"Status": "bogus", "Subject": "VPN drops (site B)"}, ticket)

    assert applied == ["Subject"]
    assert refused == [Refused("Status", "bogus", "resolved")]


def test_custom_fields_are_judged_one_by_one() -> None:
    sent = {"CustomFields": {"urgency": "2-Medium", "Severity": "3-Minor", "Nope": "x"}}

    applied, refused = check(sent, item("ticket_resolved"))

    assert applied == ["CustomFields.urgency"]
    assert refused == [
        Refused("CustomFields.Severity", "3-Minor", "2-Major"),
        Refused("CustomFields.Nope", "x", "", "no such custom field applies to the ticket's queue"),
    ]


@pytest.mark.parametrize(
    ("sent", "holds"),
    [
        ({"Owner": "AGENT1"}, True),  # RT finds users whatever the case
        ({"Owner": "root"}, False),
        ({"Queue": "network"}, True),
        ({"Queue": 3}, True),
        ({"Queue": "1"}, False),
        ({"Requestor": "caller1@example.com"}, True),  # by email address
        ({"Requestor": ["caller1", "x@example.com"]}, False),
        ({"Requestor": []}, False),
        ({"Priority": "50"}, True),
        ({"Priority": 30}, False),
        ({"Priority": "High"}, True),  # a label's number depends on RT's configuration
        ({"Status": "Resolved"}, True),
        ({"CustomFields": {"Category": ""}}, False),
    ],
)
def test_judging_one_field(sent: dict[str, Any], holds: bool) -> None:
    applied, refused = check(sent, item("ticket_resolved"))
    assert (not refused) is holds
    assert len(applied) + len(refused) == 1


def test_a_date_is_judged_set_or_not_set() -> None:
    ticket = item("ticket_new") | {"Due": "1970-01-01T00:00:00Z"}
    assert check({"Due": "garbage"}, ticket)[1] == [Refused("Due", "garbage", "")]
    assert check({"Due": ""}, ticket) == (["Due"], [])
