import pytest

from connectors.errors import BadInput
from connectors.fields import ALL_FIELDS, FIELD_NAMES, TicketField
from resolvers.field_sets import parse_ticket_fields


def test_the_vocabulary_has_the_25_canonical_fields() -> None:
    assert len(FIELD_NAMES) == 25
    assert FIELD_NAMES[0] == "ticketNumber" and FIELD_NAMES[-1] == "closedBy"


def test_empty_or_absent_means_every_field() -> None:
    assert parse_ticket_fields(None) == ALL_FIELDS
    assert parse_ticket_fields([]) == ALL_FIELDS


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
