"""The three legacy contracts as pydantic models: exact keys, case-sensitive, nothing extra.

A misspelt key must be refused, not ignored: ``ticketJson`` silently dropped would create an empty
ticket. Values are strict (no coercion of numbers into strings) so a caller learns about a wrong
type instead of getting a surprising write.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.errors import BadInput
from resolvers.connections import ConnectionDetails


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ConnectionDetailsModel(_Strict):
    itsmType: str | None = None
    instanceUrl: str | None = None
    authType: str | None = None
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    clientId: str | None = None
    clientSecret: str | None = Field(default=None, repr=False)
    apiKey: str | None = Field(default=None, repr=False)
    token: str | None = Field(default=None, repr=False)
    table: str | None = None
    connectionId: str | None = None

    def to_details(self) -> ConnectionDetails:
        return ConnectionDetails(
            itsm_type=self.itsmType,
            instance_url=self.instanceUrl,
            auth_type=self.authType,
            username=self.username,
            password=self.password,
            client_id=self.clientId,
            client_secret=self.clientSecret,
            api_key=self.apiKey,
            token=self.token,
            table=self.table,
            connection_id=self.connectionId,
        )


class CreateRequest(_Strict):
    connectionDetails: ConnectionDetailsModel
    ticketJSON: dict[str, Any]
    ticketFields: list[str] | None = None
    itsmTimeZoneOffset: str | None = None


class UpdateRequest(_Strict):
    sysId: str
    connectionDetails: ConnectionDetailsModel
    ticketJSON: dict[str, Any]
    ticketFields: list[str] | None = None
    itsmTimeZoneOffset: str | None = None


class FetchRequest(_Strict):
    ticketNumber: str
    connectionDetails: ConnectionDetailsModel
    ticketFields: list[str] | None = None
    itsmTimeZoneOffset: str | None = None


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


def _describe(model: type[BaseModel], error: ValidationError) -> str:
    problems: list[str] = []
    for item in error.errors(include_url=False, include_input=False):
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
        else:
            problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
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
