"""Behaviours of ``resolvers/field_sets.py`` that ``make mutate`` found no test holding
(docs/mutation.md)."""

from connectors.fields import TicketField
from resolvers.field_sets import in_canonical_order


def test_fields_come_back_in_the_vocabulary_order_whatever_order_they_were_named_in() -> None:
    # REST answers list the fields in this order (rest_compat/envelope.py), not in the order of
    # the request or of a set's iteration.
    named = [TicketField.CLOSED_BY, TicketField.TICKET_NUMBER, TicketField.COMMENTS]
    assert in_canonical_order(named) == [
        TicketField.TICKET_NUMBER,
        TicketField.COMMENTS,
        TicketField.CLOSED_BY,
    ]


def test_only_the_named_fields_come_back() -> None:
    assert in_canonical_order({TicketField.SYS_ID}) == [TicketField.SYS_ID]
    assert in_canonical_order([]) == []
