"""The REST door as an OpenAPI 3.1 document, served at ``GET /openapi.json``.

The schemas are the pydantic models' own JSON Schemas: the models that validate requests
(``contracts``) and the one that describes the answer (``envelope.Envelope``). OpenAPI 3.1 uses
JSON Schema 2020-12, which is what pydantic writes, so they go in unchanged and the document cannot
drift from what the handlers accept. What is written here is only what no model knows: paths,
methods, headers, statuses and security.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from resolvers import idempotency, idempotency_store
from rest_compat.contracts import CreateRequest, FetchRequest, SearchRequest, UpdateRequest
from rest_compat.envelope import Envelope, SearchEnvelope

REF_TEMPLATE = "#/components/schemas/{model}"
_ENVELOPE_REF = {"$ref": REF_TEMPLATE.format(model="Envelope")}

# What each status means, as docs/contract.md#errors says it.
_STATUSES: dict[int, str] = {
    200: "fetched or updated",
    201: "created",
    400: (
        "bad JSON, unknown key, missing or invalid value, unknown ticket field, bad time zone, "
        "read-only field in ticketJSON, or a resolution without what the ITSM requires"
    ),
    401: "no credential, or a bad one: expired, wrong audience, unknown key, revoked",
    403: "a valid credential without the role this operation needs",
    404: "no ticket with that number or sysId",
    409: "the number matches more than one record, or an Idempotency-Key reused with another body",
    413: "the body is over the configured limit",
    429: "the caller is over its rate, or the ITSM still refuses after the allowed retries",
    500: "an unexpected error; the message has the request id to quote to the operators",
    502: "the ITSM failed: rejected the gateway's credentials, answered 5xx or non-JSON",
    503: "Keycloak or the ITSM unreachable, or the ITSM's circuit open; nothing to fall back on",
    504: "the ITSM did not answer in time",
}
_ERRORS = (400, 401, 403, 404, 413, 429, 500, 502, 503, 504)

_REQUEST_ID = {
    "name": "X-Request-ID",
    "in": "header",
    "required": False,
    "description": (
        "Correlation id, logged on every line of the request and sent to the ITSM. The gateway "
        "makes one when absent (or not 1-128 of A-Z a-z 0-9 _ . : / + = -) and returns it."
    ),
    "schema": {"type": "string", "maxLength": 128},
}
_IDEMPOTENCY_KEY = {
    "name": idempotency_store.HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes a retried create return the first answer instead of creating a second ticket; "
        "the same key with a different body is 409. Keys expire after "
        f"{idempotency_store.DEFAULT_TTL_SECONDS // 3600} hours by default."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": "^[ -~]*$",  # printable ASCII
    },
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": 'Bearer error="invalid_token", with what was wrong',
            "schema": {"type": "string"},
        }
    },
    403: {
        "WWW-Authenticate": {
            "description": 'Bearer error="insufficient_scope"',
            "schema": {"type": "string"},
        }
    },
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    503: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
}

_SECURITY_SCHEMES = {
    "keycloakAccessToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "A SmartOps Keycloak access token; an offline token is also accepted here, "
            "recognised by its typ claim Offline."
        ),
    },
    "keycloakOfflineToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Offline-Token",
        "description": "A SmartOps Keycloak offline token, exchanged by the gateway.",
    },
}
# Either credential, not both.
_SECURITY: list[dict[str, list[str]]] = [{"keycloakAccessToken": []}, {"keycloakOfflineToken": []}]

_MODELS: tuple[type[BaseModel], ...] = (CreateRequest, UpdateRequest, FetchRequest, SearchRequest)


def component_schemas() -> dict[str, Any]:
    """Every model's JSON Schema, referenced as ``#/components/schemas/<Model>``."""
    _, top = models_json_schema(
        [(model, "validation") for model in _MODELS]
        + [(Envelope, "serialization"), (SearchEnvelope, "serialization")],
        ref_template=REF_TEMPLATE,
    )
    return top["$defs"]


def build_openapi() -> dict[str, Any]:
    schemas = component_schemas()
    fetch = schemas["FetchRequest"]["properties"]
    connection = schemas["ConnectionDetailsModel"]["properties"]
    # aiohttp refuses a request line over 8190 bytes before any handler runs, in plain text. A
    # character may take 12 bytes percent-encoded, so the query form is documented with lengths
    # whose sum fits; the JSON body form has the models' own limits.
    fetch_by_query = [
        _query("ticketNumber", fetch["ticketNumber"], max_length=128),
        _query(
            "ticketFields",
            {"type": "string", "pattern": "^[A-Za-z, ]*$"},
            "canonical field names, comma-separated",
            max_length=2048,
        ),
        _query("itsmTimeZoneOffset", fetch["itsmTimeZoneOffset"], max_length=64),
        _query("connectionId", connection["connectionId"], max_length=128),
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "itsm-gateway: the legacy REST door",
            "version": _version(),
            "description": (
                "Create, update and fetch tickets in an ITSM (ServiceNow). Every answer, errors "
                "included, is the envelope {statusCode, statusMessage, ticketDetails}; "
                "statusCode is the HTTP status as text."
            ),
        },
        "paths": {
            "/itsm/v1/ticket/create": {
                "post": _operation(
                    "createTicket",
                    "Create a ticket",
                    CreateRequest,
                    success=201,
                    errors=(*_ERRORS, 409),
                    headers=[_IDEMPOTENCY_KEY],
                )
            },
            "/itsm/v1/ticket/update": {
                "post": _operation(
                    "updateTicket", "Update a ticket by its sysId", UpdateRequest, success=200
                )
            },
            "/itsm/v1/ticket/fetch": {
                "get": _operation(
                    "fetchTicket",
                    "Fetch a ticket by its number: the contract as a JSON body, or "
                    "ticketNumber and connectionId as query parameters (a connection configured "
                    "on the gateway); the request line may be at most 8190 bytes",
                    FetchRequest,
                    success=200,
                    errors=(*_ERRORS, 409),
                    body_required=False,
                    query=fetch_by_query,
                ),
                "post": _operation(
                    "fetchTicketByPost",
                    "Fetch a ticket by its number, the contract sent by POST",
                    FetchRequest,
                    success=200,
                    errors=(*_ERRORS, 409),
                ),
            },
            "/itsm/v1/ticket/search": {"post": _search_operation()},
        },
        "components": {"schemas": schemas, "securitySchemes": _SECURITY_SCHEMES},
        "security": _SECURITY,
    }


def _search_operation() -> dict[str, Any]:
    """Search: its success answers in ``SearchEnvelope``, its errors in ``Envelope``."""
    operation = _operation(
        "searchTickets",
        "Search tickets: a page of those matching the filter, and the cursor of the next",
        SearchRequest,
        success=200,
    )
    operation["responses"]["200"] = {
        **operation["responses"]["200"],
        "content": {
            "application/json": {
                "schema": {"$ref": REF_TEMPLATE.format(model=SearchEnvelope.__name__)}
            }
        },
    }
    return operation


def _operation(
    operation_id: str,
    summary: str,
    model: type[BaseModel],
    *,
    success: int,
    errors: tuple[int, ...] = _ERRORS,
    headers: Sequence[dict[str, Any]] = (),
    body_required: bool = True,
    query: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [_REQUEST_ID, *headers, *query],
        "requestBody": {
            "required": body_required,
            "content": {
                "application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=model.__name__)}}
            },
        },
        "responses": {str(status): _response(status) for status in sorted({success, *errors})},
        "security": _SECURITY,
    }


def _response(status: int) -> dict[str, Any]:
    return {
        "description": _STATUSES[status],
        "headers": {
            "X-Request-ID": {"description": "the request's id", "schema": {"type": "string"}},
            **_HEADERS.get(status, {}),
        },
        "content": {"application/json": {"schema": _ENVELOPE_REF}},
    }


def _query(
    name: str, schema: dict[str, Any], description: str | None = None, *, max_length: int
) -> dict[str, Any]:
    """A query parameter with a property's schema: its string branch (a query has no null)."""
    branches = schema.get("anyOf", [schema])
    [text] = [branch for branch in branches if branch.get("type") == "string"]
    description = description or schema.get("description")
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {
            **{k: v for k, v in text.items() if k not in ("description", "title")},
            "maxLength": max_length,
        },
        **({"description": description} if description else {}),
    }


def _version() -> str:
    try:
        return importlib.metadata.version("itsm-gateway")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "0.0.0"
