"""A refused optional read in the GraphQL door: the field resolves to an error of its own (null
with ``OPTIONAL_READ_REFUSED`` on its path), every other field to its value."""

from __future__ import annotations

import pytest

from connectors.fields import TicketField
from connectors.model import Ticket
from graph.errors import OptionalReadRefused
from graph.types import TicketType, field_value

WHY = "task_sla: the account lacks read access (role sla_admin or an ACL on task_sla)"


def test_the_refused_field_raises_its_error_and_the_others_resolve() -> None:
    ticket = Ticket(
        values={
            TicketField.TICKET_NUMBER: "INC0010003",
            TicketField.TICKET_BUSINESS_TIME_LEFT: None,
        },
        refused={TicketField.TICKET_BUSINESS_TIME_LEFT: WHY},
    )
    shown = TicketType.from_canonical(ticket)

    assert field_value(shown, "ticket_number") == "INC0010003"
    with pytest.raises(OptionalReadRefused) as raised:
        field_value(shown, "ticket_business_time_left")
    assert raised.value.message == WHY
    assert (raised.value.status, raised.value.code) == (502, "OPTIONAL_READ_REFUSED")


def test_a_ticket_without_refusals_resolves_every_field() -> None:
    shown = TicketType.from_canonical(Ticket(values={TicketField.TICKET_BUSINESS_TIME_LEFT: "60"}))
    assert field_value(shown, "ticket_business_time_left") == "60"
    assert field_value(shown, "comments") is None
