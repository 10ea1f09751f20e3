"""GraphQL types: the canonical ticket as a client selects it, and the inputs.

Types only; ``graph.schema`` fills them from the use cases' answers.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NewType, cast

import strawberry
from strawberry.types.scalar import ScalarDefinition

from connectors.capabilities import Capabilities, Operation
from connectors.connection_keys import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    CONNECTION_ID,
    CONNECTION_KEYS,
    GRAPHQL_ARGUMENT,
    INSTANCE_URL,
    PASSWORD,
    TABLE,
    TOKEN,
    USERNAME,
    ConnectionKey,
    key_path,
)
from connectors.errors import BadInput
from connectors.fields import FieldKind, TicketField, WritableField, snake_case
from connectors.model import Note, Ticket
from graph.descriptions import NOTES, READ, WRITTEN, described
from graph.enums import AuthType, ItsmType
from graph.errors import OptionalReadRefused
from graph.inputs import built_directly
from resolvers.connections import ConnectionDetails
from resolvers.formatting import format_utc

# A UTC time in the contract's format (docs/contract.md#times); its scalar definition is in
# ``SCALARS``, given to the schema.
UtcDateTime = NewType("UtcDateTime", datetime)


def _refuse_input(value: object) -> datetime:
    raise ValueError("UtcDateTime is an output type")


SCALARS: dict[object, ScalarDefinition] = {
    UtcDateTime: strawberry.scalar(
        name="UtcDateTime",
        description=(
            "A UTC time as YYYY-MM-DDTHH:MM:SS.ffffff: six fraction digits, no zone suffix."
        ),
        serialize=format_utc,
        parse_value=_refuse_input,
    )
}


@described(NOTES)
@strawberry.type(description="A customer-visible note, oldest first.")
class Comment:
    comment_by: str | None
    comment_time: UtcDateTime | None
    comment: str


@described(NOTES)
@strawberry.type(description="An internal note, oldest first.")
class WorkNote:
    work_note_by: str | None
    work_note_time: UtcDateTime | None
    work_note: str


@described(NOTES)
@strawberry.type(description="The resolution note, with who resolved (or closed) and when.")
class ClosureNote:
    closure_note_by: str | None
    closure_note_time: UtcDateTime | None
    closure_note: str


@described(READ)
@strawberry.type(
    name="Ticket",
    description=(
        "A ticket in the canonical model. Only the selected fields are fetched from the ITSM: "
        "selecting comments or workNotes adds one journal call, ticketBusinessTimeLeft one SLA "
        "call. A value the ITSM does not have is null."
    ),
)
class TicketType:
    """The SDL's ``Ticket``; named apart from :class:`connectors.model.Ticket`, the canonical
    ticket it is filled from."""

    ticket_number: str | None = None
    ticket_status: str | None = None
    ticket_priority: str | None = None
    ticket_business_duration: str | None = strawberry.field(
        default=None, description="Business time spent, whole seconds as a decimal string."
    )
    ticket_business_time_left: str | None = strawberry.field(
        default=None,
        description="Business seconds left before the first active SLA breaches.",
    )
    sys_id: str | None = None
    assigned_to: str | None = None
    assigned_group: str | None = None
    short_description: str | None = None
    long_description: str | None = None
    category: str | None = None
    sub_category: str | None = None
    caller_id: str | None = None
    urgency: str | None = None
    ticket_severity: str | None = None
    comments: list[Comment] | None = None
    work_notes: list[WorkNote] | None = None
    closure_notes: list[ClosureNote] | None = None
    created_time: UtcDateTime | None = None
    updated_time: UtcDateTime | None = None
    resolved_time: UtcDateTime | None = None
    created_by: str | None = None
    updated_by: str | None = None
    resolved_by: str | None = None
    closed_by: str | None = None
    correlation_id: str | None = strawberry.field(
        default=None,
        description=(
            "The caller's own reference for the ticket; on a create with an idempotency key, "
            "the key's fingerprint (never the key)."
        ),
    )
    # attribute -> why the ITSM refused that optional read; ``field_value`` raises it on the
    # field's path, so the field is null with its own error and the rest is answered.
    refused_reads: strawberry.Private[Mapping[str, str]] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_canonical(cls, ticket: Ticket) -> TicketType:
        values: dict[str, Any] = {  # each attribute's own type, as _ATTRIBUTE pairs them
            "refused_reads": {_ATTRIBUTE[field]: why for field, why in ticket.refused.items()}
        }
        for field, value in ticket.values.items():
            attribute = _ATTRIBUTE[field]
            kind = field.kind
            if kind is FieldKind.COMMENTS:
                values[attribute] = [
                    Comment(comment_by=n.author, comment_time=_shown(n.time), comment=n.text)
                    for n in _notes(value)
                ]
            elif kind is FieldKind.WORK_NOTES:
                values[attribute] = [
                    WorkNote(work_note_by=n.author, work_note_time=_shown(n.time), work_note=n.text)
                    for n in _notes(value)
                ]
            elif kind is FieldKind.CLOSURE_NOTES:
                values[attribute] = [
                    ClosureNote(
                        closure_note_by=n.author,
                        closure_note_time=_shown(n.time),
                        closure_note=n.text,
                    )
                    for n in _notes(value)
                ]
            else:
                values[attribute] = value
        return cls(**values)


def field_value(source: object, name: str) -> object:
    """The schema's default resolver: the attribute, as strawberry's own (``getattr``), except
    that a ticket's refused optional read raises ``OptionalReadRefused`` on that field's path."""
    refused: Mapping[str, str] | None = getattr(source, "refused_reads", None)
    if refused and name in refused:
        raise OptionalReadRefused(refused[name])
    return getattr(source, name)


def _shown(moment: datetime | None) -> UtcDateTime | None:
    """A note's time as the scalar shows it (a cast: no conversion happens)."""
    return cast("UtcDateTime | None", moment)


def _notes(value: object) -> tuple[Note, ...]:
    return value if isinstance(value, tuple) else ()


_ATTRIBUTE: dict[TicketField, str] = {field: snake_case(field.value) for field in TicketField}


def _described(key: ConnectionKey) -> Any:
    """An optional input field described as the connection vocabulary describes ``key``."""
    return strawberry.field(default=None, description=key.description)


def _plain(value: object) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


@built_directly
@strawberry.input(description="Where the ITSM is and how to sign in: REST's connectionDetails.")
class ConnectionInput:
    """Written out because strawberry needs a class for the SDL; the connection vocabulary
    (``connectors.connection_keys``) is the source, and a test holds this class to it: a key
    added there fails that test until it is added here, with the same name and nullability."""

    # The two enums' own descriptions list their values; the table's speak of strings.
    itsm_type: ItsmType | None = strawberry.field(
        default=None, description="The ITSM tool (connectionDetails.itsmType)."
    )
    instance_url: str | None = _described(INSTANCE_URL)
    auth_type: AuthType | None = strawberry.field(
        default=None, description="How to sign in (connectionDetails.authType)."
    )
    username: str | None = _described(USERNAME)
    password: str | None = _described(PASSWORD)
    client_id: str | None = _described(CLIENT_ID)
    client_secret: str | None = _described(CLIENT_SECRET)
    api_key: str | None = _described(API_KEY)
    token: str | None = _described(TOKEN)
    table: str | None = _described(TABLE)
    connection_id: str | None = _described(CONNECTION_ID)

    def to_details(self) -> ConnectionDetails:
        """The use cases' ``ConnectionDetails``, whose messages name keys as this door does
        (``connection.password``: the argument is ``connection``); an enum's value is the REST
        string it names."""
        values = {key.attribute: _plain(getattr(self, key.attribute)) for key in CONNECTION_KEYS}
        for key in CONNECTION_KEYS:
            value = values[key.attribute]
            if value is not None and len(value) > key.max_length:
                # Never the value: it may be a password.
                raise BadInput(
                    f"{key_path(key, GRAPHQL_ARGUMENT)} is too long; at most {key.max_length} "
                    "characters are accepted"
                )
        return ConnectionDetails(within=GRAPHQL_ARGUMENT, **values)


@built_directly
@described(WRITTEN)
@strawberry.input(
    description=(
        "The writable canonical fields; the connector translates them to the ITSM's own. "
        "comments and workNotes append one entry; closureNotes sets the resolution note."
    )
)
class TicketInput:
    ticket_status: str | None = None
    urgency: str | None = None
    ticket_severity: str | None = None
    short_description: str | None = None
    long_description: str | None = None
    category: str | None = None
    sub_category: str | None = None
    assigned_to: str | None = None
    assigned_group: str | None = None
    caller_id: str | None = None
    comments: str | None = None
    work_notes: str | None = None
    closure_notes: str | None = None
    correlation_id: str | None = strawberry.field(
        default=None,
        description="Settable on create; not together with an idempotency key (it writes there).",
    )

    def to_canonical(self) -> dict[str, str]:
        return {
            field.value: value
            for field in WritableField
            if (value := getattr(self, snake_case(field.value))) is not None
        }


@strawberry.type(description="A canonical field and how a connector maps it to its tool.")
class FieldSupport:
    field: str = strawberry.field(description="The canonical field (ticketStatus).")
    maps_to: str = strawberry.field(description="The tool's own field it maps to (state).")


@strawberry.type(description="One ITSM tool: its operations and the canonical fields it supports.")
class ConnectorInfo:
    itsm_type: ItsmType = strawberry.field(description="connectionDetails.itsmType")
    name: str = strawberry.field(description="The tool's name, as people say it (ServiceNow).")
    operations: list[str] = strawberry.field(description="What it can do: fetch, create, ...")
    fields: list[FieldSupport] = strawberry.field(description="what it can read")
    writable_fields: list[FieldSupport] = strawberry.field(description="TicketInput it can write")

    @classmethod
    def of(cls, capabilities: Capabilities) -> ConnectorInfo:
        return cls(
            itsm_type=ItsmType(capabilities.itsm_type),
            name=capabilities.name,
            operations=[op.value for op in Operation if op in capabilities.operations],
            fields=[
                FieldSupport(field=field.value, maps_to=capabilities.readable[field])
                for field in TicketField
                if field in capabilities.readable
            ],
            writable_fields=[
                FieldSupport(field=field.value, maps_to=capabilities.writable[field])
                for field in WritableField
                if field in capabilities.writable
            ],
        )
