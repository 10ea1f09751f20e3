import pytest

from connectors.errors import BadInput
from connectors.fields import DEFAULT_FIELD_NAMES, DEFAULT_FIELDS, FIELD_NAMES, TicketField
from resolvers.field_sets import parse_ticket_fields


def test_the_vocabulary_has_the_25_canonical_fields() -> None:
    assert len(DEFAULT_FIELD_NAMES) == 25
    assert DEFAULT_FIELD_NAMES[0] == "ticketNumber" and DEFAULT_FIELD_NAMES[-1] == "closedBy"


def test_empty_or_absent_means_every_field() -> None:
    assert parse_ticket_fields(None) == DEFAULT_FIELDS
    assert parse_ticket_fields([]) == DEFAULT_FIELDS


def test_correlation_id_is_answered_only_when_named() -> None:
    assert FIELD_NAMES == (*DEFAULT_FIELD_NAMES, "correlationId")
    assert TicketField.CORRELATION_ID not in parse_ticket_fields([])
    assert parse_ticket_fields(["correlationId"]) == {TicketField.CORRELATION_ID}


def test_names_are_case_sensitive_and_unknown_ones_listed() -> None:
    assert parse_ticket_fields(["sysId", "comments"]) == {
        TicketField.SYS_ID,
        TicketField.COMMENTS,
    }
    with pytest.raises(BadInput) as error:
        parse_ticket_fields(["ticketNumbr", "SysId", "sysId"])
    message = error.value.message
    assert message.startswith("ticketFields has unknown names: ticketNumbr, SysId;")
    assert "valid names are ticketNumber, ticketStatus" in message
