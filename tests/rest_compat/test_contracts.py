import pytest

from connectors.errors import BadInput
from rest_compat.contracts import CreateRequest, FetchRequest, UpdateRequest, parse_contract

CONNECTION = {"itsmType": "servicenow", "instanceUrl": "https://acme.service-now.com"}


def refusal(model: type, body: object) -> str:
    with pytest.raises(BadInput) as error:
        parse_contract(model, body)
    return error.value.message


def test_a_misspelt_key_is_refused_not_ignored() -> None:
    message = refusal(
        CreateRequest, {"connectionDetails": CONNECTION, "ticketJson": {"short_description": "x"}}
    )
    assert "ticketJson is not a known key" in message
    assert (
        "valid keys are connectionDetails, ticketJSON, ticketFields, itsmTimeZoneOffset" in message
    )
    assert "ticketJSON is required" in message


def test_nested_keys_are_named_with_their_path() -> None:
    message = refusal(
        FetchRequest,
        {"ticketNumber": "INC1", "connectionDetails": {**CONNECTION, "pasword": "x"}},
    )
    assert message.startswith("connectionDetails.pasword is not a known key; valid keys are")


def test_types_are_strict() -> None:
    message = refusal(
        UpdateRequest,
        {"sysId": 5, "connectionDetails": CONNECTION, "ticketJSON": [], "ticketFields": ["a", 1]},
    )
    assert "sysId must be a string" in message
    assert "ticketJSON must be a JSON object" in message
    assert "ticketFields[1] must be a string" in message


def test_the_body_must_be_an_object() -> None:
    assert refusal(FetchRequest, ["INC1"]) == "the request body must be a JSON object"


def test_a_valid_contract_parses() -> None:
    body = parse_contract(
        UpdateRequest,
        {"sysId": "a" * 32, "connectionDetails": CONNECTION, "ticketJSON": {"urgency": "1"}},
    )
    assert body.ticketFields is None
    assert body.connectionDetails.to_details().instance_url == CONNECTION["instanceUrl"]
