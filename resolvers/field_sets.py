"""Which canonical fields a request asks for: REST ``ticketFields`` or a GraphQL selection."""

from __future__ import annotations

from collections.abc import Iterable

from connectors.errors import BadInput
from connectors.fields import DEFAULT_FIELDS, FIELD_NAMES, ORDERED_FIELDS, TicketField

_BY_NAME = {field.value: field for field in TicketField}


def parse_ticket_fields(names: Iterable[str] | None) -> frozenset[TicketField]:
    """The fields named; none named means the contract's original fields (``DEFAULT_FIELDS``:
    a field added since, such as ``correlationId``, is answered only when named, so a client
    that names none sees what it always saw). Names are case-sensitive."""
    if names is None:
        return DEFAULT_FIELDS
    requested = list(names)
    if not requested:
        return DEFAULT_FIELDS
    unknown = [name for name in requested if name not in _BY_NAME]
    if unknown:
        raise BadInput(
            f"ticketFields has unknown names: {', '.join(unknown)}; "
            f"valid names are {', '.join(FIELD_NAMES)}"
        )
    return frozenset(_BY_NAME[name] for name in requested)


def in_canonical_order(fields: Iterable[TicketField]) -> list[TicketField]:
    chosen = set(fields)
    return [field for field in ORDERED_FIELDS if field in chosen]
