"""The REST contracts (the legacy three, and search) as pydantic models: exact keys,
case-sensitive, nothing extra.

A misspelt key must be refused, not ignored: ``ticketJson`` silently dropped would create an empty
ticket. Values are strict (no coercion of numbers into strings) so a caller learns about a wrong
type instead of getting a surprising write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from connectors.connection_keys import CONNECTION_KEYS, MAX_VALUE_LENGTH, ConnectionKey
from connectors.errors import BadInput
from resolvers.connections import ConnectionDetails
from resolvers.search import MAX_FILTER_VALUES
from resolvers.search import MAX_VALUE_LENGTH as MAX_FILTER_VALUE_LENGTH
from resolvers.tickets import MAX_ID_LENGTH


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# Longest values a caller may send (the connection's come from connectors.connection_keys, shared
# with GraphQL): a list of a hundred thousand field names would otherwise be echoed in an error.
MAX_TICKET_FIELDS = 100  # the 25 names, each may repeat (duplicates are harmless: asked once)
MAX_FIELD_NAME_LENGTH = 64


class _ConnectionDetailsBase(_Strict):
    """Where the ITSM is and how to sign in; or ``connectionId``, a connection configured on
    the gateway, with no URL and no credentials."""

    def to_details(self) -> ConnectionDetails:
        return ConnectionDetails(
            **{key.attribute: getattr(self, key.name) for key in CONNECTION_KEYS}
        )


def _field(key: ConnectionKey) -> Any:
    """One key as a pydantic field: an optional string of at most ``max_length`` characters,
    kept out of ``repr`` when it is a secret."""
    value = Annotated[str, Field(max_length=key.max_length)] | None
    return (value, Field(default=None, repr=not key.secret, description=key.description))


# Built from the connection vocabulary, so that a key added there is a REST key (and in the
# OpenAPI) with no edit here. Type checkers see the base, which has what callers use.
if TYPE_CHECKING:
    ConnectionDetailsModel = _ConnectionDetailsBase
else:
    ConnectionDetailsModel = create_model(
        "ConnectionDetailsModel",
        __base__=_ConnectionDetailsBase,
        __doc__=_ConnectionDetailsBase.__doc__,
        __module__=__name__,
        **{key.name: _field(key) for key in CONNECTION_KEYS},
    )


TicketFields = Annotated[
    list[Annotated[str, Field(max_length=MAX_FIELD_NAME_LENGTH)]] | None,
    Field(
        max_length=MAX_TICKET_FIELDS,
        description=(
            "canonical field names to answer with; empty or absent: the contract's original "
            "fields (every field but correlationId, which is answered when named)"
        ),
    ),
]
TicketJson = Annotated[
    dict[str, Any],
    Field(description="the ITSM's own field names and values, sent as given"),
]
# The use case owns these values' rules (``resolvers.tickets``: a ticket number or record id is
# present and at most MAX_ID_LENGTH long; ``resolvers.timezones``: what a zone is, never echoed).
# The contract trusts it: it states the limit for the OpenAPI document and does not enforce it.
_Id = Annotated[str, Field(json_schema_extra={"maxLength": MAX_ID_LENGTH})]
ZoneOffset = Annotated[
    Annotated[str, Field(json_schema_extra={"maxLength": MAX_VALUE_LENGTH})] | None,
    Field(
        description="the ITSM's local zone: Z, UTC, +05:30, -0400 or an IANA name; absent: UTC",
    ),
]


class CreateRequest(_Strict):
    """Create a ticket from ``ticketJSON``; answer with ``ticketFields`` of the new ticket."""

    connectionDetails: ConnectionDetailsModel
    ticketJSON: TicketJson
    ticketFields: TicketFields = None
    itsmTimeZoneOffset: ZoneOffset = None


class UpdateRequest(_Strict):
    """Update the ticket with this ``sysId``; answer with ``ticketFields`` of it."""

    sysId: Annotated[_Id, Field(description="the record id")]
    connectionDetails: ConnectionDetailsModel
    ticketJSON: TicketJson
    ticketFields: TicketFields = None
    itsmTimeZoneOffset: ZoneOffset = None


class FetchRequest(_Strict):
    """Fetch the ticket with this number."""

    ticketNumber: Annotated[_Id, Field(description="the human number, INC0010001")]
    connectionDetails: ConnectionDetailsModel
    ticketFields: TicketFields = None
    itsmTimeZoneOffset: ZoneOffset = None


# Search (docs/contract.md#search): the filter's keys are the canonical names both doors share;
# ``resolvers.search`` owns the values' rules (times, emptiness) and the page bound.
_FilterValue = Annotated[str, Field(max_length=MAX_FILTER_VALUE_LENGTH)]
_FilterList = Annotated[
    list[_FilterValue] | None, Field(max_length=MAX_FILTER_VALUES, description="any of these")
]
_FilterTime = Annotated[
    _FilterValue | None,
    Field(description="ISO 8601 with its offset, e.g. 2026-01-02T03:04:05Z"),
]


class SearchFilter(_Strict):
    """Which tickets a search answers: every key given must hold; any value of a list may.
    People and groups as a write takes them; statuses and priorities as labels or codes;
    ``*After`` inclusive, ``*Before`` exclusive; ``active``: not resolved or closed; ``text``:
    in the short description. A value the ITSM's query language cannot carry safely is a 400."""

    numbers: _FilterList = None
    statuses: _FilterList = None
    priorities: _FilterList = None
    assignedTo: _FilterValue | None = None
    assignedGroup: _FilterValue | None = None
    caller: _FilterValue | None = None
    correlationId: _FilterValue | None = None
    createdAfter: _FilterTime = None
    createdBefore: _FilterTime = None
    updatedAfter: _FilterTime = None
    updatedBefore: _FilterTime = None
    active: bool | None = None
    text: _FilterValue | None = None


class SearchOrder(_Strict):
    """One ordering key; the ticket number is always added last."""

    field: Literal["ticketNumber", "createdTime", "updatedTime", "ticketPriority"]
    descending: bool = False


class SearchRequest(_Strict):
    """Search tickets: a page of those matching ``filter``, in ``orderBy``'s order (newest
    first by default), each with ``ticketFields``; ``after``: the ``nextCursor`` of the page
    before, valid only with the same connection, filter and orderBy."""

    connectionDetails: ConnectionDetailsModel
    filter: SearchFilter | None = None
    first: Annotated[
        int | None, Field(ge=1, description="the page size: default 20, at most the gateway's")
    ] = None
    after: Annotated[str | None, Field(max_length=2048)] = None
    orderBy: Annotated[list[SearchOrder] | None, Field(max_length=4)] = None
    ticketFields: TicketFields = None
    itsmTimeZoneOffset: ZoneOffset = None


ModelT = TypeVar("ModelT", bound=BaseModel)

_TYPE_WORDS = {
    "string_type": "a string",
    "list_type": "a list of strings",
    "dict_type": "a JSON object",
    "model_type": "a JSON object",
    "model_attributes_type": "a JSON object",
}


def parse_contract(model: type[ModelT], body: object) -> ModelT:
    """The validated request, or ``BadInput`` with one sentence per problem, naming each key."""
    if not isinstance(body, dict):
        raise BadInput("the request body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise BadInput(_describe(model, error)) from None


# An answer names at most this many problems, each key cut to this length: a body of many long
# unknown keys must not get an answer ten times its size.
_MAX_PROBLEMS = 10
_MAX_KEY_SHOWN = 80


def _describe(model: type[BaseModel], error: ValidationError) -> str:
    problems: list[str] = []
    items = error.errors(include_url=False, include_input=False)
    for item in items[:_MAX_PROBLEMS]:
        where = _path(item["loc"])
        kind = item["type"]
        if kind == "extra_forbidden":
            parent = _model_at(model, item["loc"][:-1])
            valid = ", ".join(parent.model_fields) if parent else ""
            problems.append(f"{where} is not a known key; valid keys are {valid}")
        elif kind == "missing":
            problems.append(f"{where} is required")
        elif kind in _TYPE_WORDS:
            problems.append(f"{where} must be {_TYPE_WORDS[kind]}")
        elif kind == "string_too_long":
            # Never the value: it may be a password.
            most = item["ctx"]["max_length"]
            problems.append(f"{where} is too long; at most {most} characters are accepted")
        elif kind == "too_long":
            most, given = item["ctx"]["max_length"], item["ctx"]["actual_length"]
            problems.append(f"{where} has {given} entries; at most {most} are accepted")
        else:
            problems.append(f"{where}: {item['msg']}")
    if len(items) > _MAX_PROBLEMS:
        problems.append(f"and {len(items) - _MAX_PROBLEMS} more problems")
    return "; ".join(problems)


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, str) and len(part) > _MAX_KEY_SHOWN:
            part = part[:_MAX_KEY_SHOWN] + "..."
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _model_at(model: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    current: type[BaseModel] = model
    for part in path:
        annotation = current.model_fields[str(part)].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        current = annotation
    return current
