"""What a write asks of Jira, and what is refused before anything is sent."""

from __future__ import annotations

import pytest

from connectors.errors import BadInput
from connectors.jira.adf import text_to_adf
from connectors.jira.writes import NewComment, StatusTarget, plan_write
from connectors.model import WriteRequest


def plan(native: dict | None = None, canonical: dict | None = None, *, creating: bool = False):
    return plan_write(
        WriteRequest(native=native or {}, canonical=canonical or {}), creating=creating
    )


def test_native_fields_go_as_given_and_text_descriptions_become_adf() -> None:
    result = plan(
        {
            "summary": "Disk full",
            "description": "Only 2% left.\nSince 02:00.",
            "priority": {"name": "High"},
            "labels": ["disk"],
            "customfield_10050": "Database",
            "issuetype": "Task",
        },
        creating=True,
    )
    assert result.fields == {
        "summary": "Disk full",
        "description": text_to_adf("Only 2% left.\nSince 02:00."),
        "priority": {"name": "High"},
        "labels": ["disk"],
        "customfield_10050": "Database",
        "issuetype": {"name": "Task"},
    }
    assert (result.status, result.resolution, result.comments) == (None, None, ())


def test_an_adf_description_is_sent_as_given_and_empty_text_clears_it() -> None:
    document = {"type": "doc", "version": 1, "content": []}
    assert plan({"description": document}).fields == {"description": document}
    assert plan({"description": ""}).fields == {"description": None}
    assert plan(canonical={"longDescription": ""}).fields == {"description": None}


def test_canonical_values_are_translated() -> None:
    result = plan(
        canonical={
            "shortDescription": "Mail down",
            "longDescription": "All of it",
            "ticketStatus": " In Progress ",
            "comments": "Looking",
            "workNotes": "Restarted MTA",
        }
    )
    assert result.fields == {"summary": "Mail down", "description": text_to_adf("All of it")}
    assert result.status == StatusTarget("In Progress", None, "ticketStatus")
    assert result.comments == (NewComment("Looking", True), NewComment("Restarted MTA", False))
    assert result.needs_service_desk


@pytest.mark.parametrize(
    ("value", "target"),
    [
        ("Resolved", StatusTarget("Resolved", None, "ticketJSON.status")),
        ({"name": "Resolved"}, StatusTarget("Resolved", None, "ticketJSON.status")),
        ({"id": 5}, StatusTarget(None, "5", "ticketJSON.status")),
    ],
)
def test_native_status_asks_for_a_transition(value: object, target: StatusTarget) -> None:
    result = plan({"status": value, "resolution": {"name": "Done"}})
    assert result.status == target
    assert result.fields == {}
    assert result.resolution == {"name": "Done"}


def test_resolution_without_a_status_goes_in_the_fields() -> None:
    result = plan({"resolution": {"name": "Done"}})
    assert result.fields == {"resolution": {"name": "Done"}} and result.resolution is None


def test_native_comments() -> None:
    document = text_to_adf("rich")
    assert plan({"comment": "hi"}).comments == (NewComment("hi", True),)
    assert plan({"comment": {"body": "psst", "public": False}}).comments == (
        NewComment("psst", False),
    )
    assert plan({"comment": {"body": document}}).comments == (NewComment(document, True),)


@pytest.mark.parametrize(
    ("native", "canonical", "words"),
    [
        ({}, {}, "at least one field"),
        (
            {"created": "x", "creator": {}},
            {},
            "ticketJSON.created, ticketJSON.creator: set by Jira",
        ),
        ({"project": {"key": "OPS"}}, {}, "the project is connectionDetails.table"),
        ({"summary x": 1}, {}, "not Jira field ids: 'summary x'"),
        ({"": 1}, {}, "not Jira field ids"),
        ({"summary": "a"}, {"shortDescription": "b"}, "shortDescription and ticketJSON.summary"),
        ({"comment": "a"}, {"workNotes": "b"}, "workNotes and ticketJSON.comment"),
        ({"status": ""}, {}, "ticketJSON.status must be"),
        ({"status": {"name": "A", "id": "1"}}, {}, "ticketJSON.status must be"),
        ({}, {"ticketStatus": ""}, "ticketStatus must name"),
        ({}, {"urgency": 3}, "urgency must be a string"),
        ({}, {"priority": "High"}, "Unknown ticket input fields: priority"),
        ({"comment": ""}, {}, "ticketJSON.comment must be a non-empty text"),
        ({"comment": {"body": "x", "public": "no"}}, {}, "public must be true or false"),
        ({"comment": {"body": {"type": "doc"}, "public": False}}, {}, "comment.body must be"),
        ({"comment": 3}, {}, "ticketJSON.comment must be a text"),
        ({}, {"comments": "  "}, "comments must be a non-empty text"),
        ({"description": 3}, {}, "ticketJSON.description must be text or"),
        ({"summary": " "}, {}, "Jira needs a summary"),
        ({"issuetype": " "}, {}, "must name an issue type"),
    ],
)
def test_refusals(native: dict, canonical: dict, words: str) -> None:
    with pytest.raises(BadInput) as error:
        plan(native, canonical)
    assert words in error.value.message


def test_a_create_needs_a_summary_and_sets_no_status() -> None:
    with pytest.raises(BadInput, match="needs a summary"):
        plan({"priority": {"name": "High"}}, creating=True)
    with pytest.raises(BadInput, match="first status"):
        plan({"summary": "x"}, {"ticketStatus": "Resolved"}, creating=True)
    assert plan({}, {"shortDescription": "x"}, creating=True).fields == {"summary": "x"}


def test_the_project_refusal_names_the_table_as_the_callers_door_does() -> None:
    # The GraphQL door's argument is `connection`; REST's object (the default) is connectionDetails.
    with pytest.raises(BadInput) as error:
        plan_write(
            WriteRequest(native={"project": {"key": "OPS"}}),
            creating=True,
            project_key="connection.table",
        )

    assert "the project is connection.table (its key" in error.value.message
    assert "connectionDetails" not in error.value.message
