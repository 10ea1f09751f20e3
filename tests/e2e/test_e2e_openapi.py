"""The REST door's OpenAPI 3.1 document at ``/openapi.json`` (issue 4, item 8).

It must be a valid OpenAPI 3.1 document, be made of the very JSON Schemas of the pydantic models
that validate requests (so it cannot drift), say what docs/contract.md and
docs/security.md say, and describe what the gateway really answers: checked on real answers
here, and by Schemathesis, which fuzzes every operation from the document with a valid token.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from pydantic import BaseModel
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.result import Err, Ok
from schemathesis.schemas import APIOperation

# The OpenAPI 3.1 meta-schema as published by the OpenAPI Initiative, bundled by Schemathesis.
from schemathesis.specs.openapi.definitions import OPENAPI_31

from connectors.fields import DEFAULT_FIELD_NAMES, FIELD_NAMES
from emulators.servicenow.seed import INC_NEW
from rest_compat.contracts import CreateRequest, FetchRequest, SearchRequest, UpdateRequest
from rest_compat.envelope import Envelope, SearchEnvelope
from rest_compat.openapi import REF_TEMPLATE
from tests.e2e.conftest import Stack

CONTRACT_STATUSES = {200, 201, 400, 401, 403, 404, 409, 413, 429, 502, 503, 504}
SEARCH_PATH = "/itsm/v1/ticket/search"
OPERATIONS = {
    ("/itsm/v1/ticket/create", "post"),
    ("/itsm/v1/ticket/update", "post"),
    ("/itsm/v1/ticket/fetch", "get"),
    ("/itsm/v1/ticket/fetch", "post"),
    ("/itsm/v1/ticket/search", "post"),
}
FUZZ_SECONDS = 600.0  # hang guard only


@pytest.fixture(scope="module")
async def document(stack: Stack) -> dict[str, Any]:
    # No credential: the document is public, like the health checks.
    response = await stack.http.get(f"{stack.gateway_url}/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def envelope_validator(document: dict[str, Any]) -> jsonschema_rs.Validator:
    """The document's own Envelope schema, with its references resolved in the document."""
    return jsonschema_rs.Draft202012Validator(
        {"$ref": "#/components/schemas/Envelope", "components": document["components"]}
    )


# -- a valid document ----------------------------------------------------------------------------


def test_it_is_a_valid_openapi_3_1_document(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    jsonschema_rs.validate(OPENAPI_31, document)
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def _operation(result: Ok[APIOperation[Any, Any, Any, Any]] | Err[InvalidSchema]) -> APIOperation:
    """The operation schemathesis loaded; what it could not load fails the test."""
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def test_schemathesis_loads_it_with_every_operation(document: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_dict(document)
    loaded = {
        (operation.path, operation.method.lower())
        for operation in map(_operation, schema.get_all_operations())
    }
    assert loaded == OPERATIONS


# -- it cannot drift from the models -------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "mode"),
    [
        (CreateRequest, "validation"),
        (UpdateRequest, "validation"),
        (FetchRequest, "validation"),
        (SearchRequest, "validation"),
        (Envelope, "serialization"),
        (SearchEnvelope, "serialization"),
    ],
)
def test_every_schema_is_the_models_own(
    document: dict[str, Any], model: type[BaseModel], mode: str
) -> None:
    own = model.model_json_schema(ref_template=REF_TEMPLATE, mode=mode)  # type: ignore[arg-type]
    nested = own.pop("$defs", {})
    schemas = document["components"]["schemas"]
    assert schemas[model.__name__] == own
    for name, schema in nested.items():
        assert schemas[name] == schema, name


def test_the_request_schemas_refuse_what_the_contracts_refuse(document: dict[str, Any]) -> None:
    create = jsonschema_rs.Draft202012Validator(
        {"$ref": "#/components/schemas/CreateRequest", "components": document["components"]}
    )
    connection = {"itsmType": "servicenow", "instanceUrl": "https://acme.service-now.com"}
    assert create.is_valid({"connectionDetails": connection, "ticketJSON": {"urgency": "1"}})
    assert not create.is_valid({"connectionDetails": connection, "ticketJson": {}})
    assert not create.is_valid({"connectionDetails": {**connection, "pasword": "x"}})
    assert not create.is_valid(
        {"connectionDetails": {**connection, "password": "p" * 1025}, "ticketJSON": {}}
    )


def test_ticket_details_has_every_canonical_field_and_nothing_else(
    document: dict[str, Any],
) -> None:
    details = document["components"]["schemas"]["TicketDetails"]
    assert list(details["properties"]) == list(FIELD_NAMES)
    assert details.get("required", []) == []
    assert details["additionalProperties"] is False
    notes = {"comments": "Comment", "workNotes": "WorkNote", "closureNotes": "ClosureNote"}
    for name, schema in details["properties"].items():
        if name in notes:
            assert schema == {
                "type": "array",
                "items": {"$ref": f"#/components/schemas/{notes[name]}"},
                "title": schema["title"],
            }
        else:
            assert schema["type"] == "string", name


# -- it says what the contract says --------------------------------------------------------------


def test_the_three_endpoints_and_the_ways_to_fetch(document: dict[str, Any]) -> None:
    assert {(path, method) for path, method, _ in operations(document)} == OPERATIONS
    by_get = document["paths"]["/itsm/v1/ticket/fetch"]["get"]
    assert by_get["requestBody"]["required"] is False  # a JSON body, or query parameters
    queried = {p["name"] for p in by_get["parameters"] if p["in"] == "query"}
    assert queried == {"ticketNumber", "ticketFields", "itsmTimeZoneOffset", "connectionId"}
    for path, method, operation in operations(document):
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        expected = {
            "create": "CreateRequest",
            "update": "UpdateRequest",
            "search": "SearchRequest",
        }.get(path.rsplit("/", 1)[1], "FetchRequest")
        assert body == {"$ref": f"#/components/schemas/{expected}"}, (path, method)


def test_every_status_of_spec_section_7_answers_in_the_envelope(document: dict[str, Any]) -> None:
    documented: set[int] = set()
    for path, method, operation in operations(document):
        responses = operation["responses"]
        success = 201 if path.endswith("/create") else 200
        assert str(success) in responses, (path, method)
        for status in CONTRACT_STATUSES - {200, 201, 409}:
            assert str(status) in responses, (path, method, status)
        for status, response in responses.items():
            documented.add(int(status))
            # A search that succeeded answers its page; every other answer is the envelope.
            answer = "SearchEnvelope" if (path, status) == (SEARCH_PATH, "200") else "Envelope"
            assert response["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{answer}"
            }
            assert "X-Request-ID" in response["headers"]
        assert "WWW-Authenticate" in responses["401"]["headers"]
        assert "Retry-After" in responses["429"]["headers"]
    assert documented >= CONTRACT_STATUSES


def test_security_and_headers(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["keycloakAccessToken"] == {
        **schemes["keycloakAccessToken"],
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert schemes["keycloakOfflineToken"] == {
        **schemes["keycloakOfflineToken"],
        "type": "apiKey",
        "in": "header",
        "name": "X-Offline-Token",
    }
    either: list[dict[str, list[str]]] = [{"keycloakAccessToken": []}, {"keycloakOfflineToken": []}]
    for path, method, operation in operations(document):
        assert operation["security"] == either
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        expected = (
            {"X-Request-ID", "Idempotency-Key"} if path.endswith("/create") else {"X-Request-ID"}
        )
        assert headers == expected, (path, method)


# -- it describes the real answers ---------------------------------------------------------------


async def test_real_answers_match_the_documented_envelope(
    stack: Stack, document: dict[str, Any]
) -> None:
    validator = envelope_validator(document)
    full = await stack.rest(
        "GET", "fetch", {"ticketNumber": INC_NEW[0], "connectionDetails": stack.connection()}
    )
    assert full.status_code == 200
    assert set(full.json()["ticketDetails"]) == set(DEFAULT_FIELD_NAMES)
    assert full.json()["ticketDetails"]["comments"], "the seed's INC0010001 has a comment"
    created = await stack.rest(
        "POST",
        "create",
        {"connectionDetails": stack.connection(), "ticketJSON": {"short_description": "doc"}},
    )
    assert created.status_code == 201
    refused = [
        await stack.rest("POST", "update", {"sysId": "x"}),
        await stack.rest("GET", "fetch", {"ticketNumber": "INC0", "connectionDetails": {}}),
        await stack.rest("GET", "fetch", None, headers={"Authorization": "Bearer nope"}),
        await stack.http.put(f"{stack.gateway_url}/itsm/v1/ticket/create"),
    ]
    for response in [full, created, *refused]:
        validator.validate(response.json())
        Envelope.model_validate(response.json())
        assert response.headers["X-Request-ID"]
    found = await stack.rest(
        "POST",
        "search",
        {"connectionDetails": stack.connection(), "first": 2, "ticketFields": ["ticketNumber"]},
    )
    assert found.status_code == 200, found.text
    jsonschema_rs.Draft202012Validator(
        {"$ref": "#/components/schemas/SearchEnvelope", "components": document["components"]}
    ).validate(found.json())
    SearchEnvelope.model_validate(found.json())


async def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    stack: Stack, tmp_path: Path
) -> None:
    """Every operation fuzzed from the document with a valid token: no 5xx, every status
    documented, every answer the documented envelope with its documented headers."""
    checks = ",".join(
        [
            "not_a_server_error",
            "status_code_conformance",
            "content_type_conformance",
            "response_headers_conformance",
            "response_schema_conformance",
            "negative_data_rejection",
            "unsupported_method",
            "ignored_auth",
        ]
    )
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{stack.gateway_url}/openapi.json",
        "--header",
        f"Authorization: {stack.headers()['Authorization']}",
        "--checks",
        checks,
        "--max-examples",
        "30",
        "--workers",
        "1",
        "--generation-database",
        "none",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), FUZZ_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    report = out.decode()
    assert process.returncode == 0, report
    assert "passed" in report


async def test_the_document_needs_no_credential_and_answers_head(stack: Stack) -> None:
    async with httpx.AsyncClient() as anonymous:
        response = await anonymous.head(f"{stack.gateway_url}/openapi.json")
    assert response.status_code == 200
