"""Each door's one error renderer, and the error trees drawn in the modules' docstrings."""

from __future__ import annotations

import re
from types import ModuleType

import orjson
import pytest
from aiohttp import web
from graphql import GraphQLError

import connectors.errors
import gateway.errors
from connectors.errors import GatewayError, ItsmError, RateLimited
from connectors.model import WrittenTicket
from gateway.errors import error_response as gateway_error_response
from graph.errors import error_response as graphql_error_response
from graph.errors import translate_errors
from rest_compat.errors import error_response as rest_error_response

_TREE_LINE = re.compile(r"── (?P<name>\w+)\s+(?P<status>\d{3}) (?P<code>[A-Z_]+)")


def _drawn(module: ModuleType) -> dict[str, tuple[int, str]]:
    return {
        match["name"]: (int(match["status"]), match["code"])
        for match in _TREE_LINE.finditer(module.__doc__ or "")
    }


def _declared(module: ModuleType) -> dict[str, tuple[int, str]]:
    return {
        name: (value.status, value.code)
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, GatewayError)
        and value is not GatewayError
        and value.__module__ == module.__name__
    }


def _body(response: web.Response) -> object:
    assert isinstance(response.body, bytes)
    return orjson.loads(response.body)


@pytest.mark.parametrize("module", [connectors.errors, gateway.errors], ids=lambda m: m.__name__)
def test_the_drawn_tree_is_the_declared_one(module: ModuleType) -> None:
    assert _drawn(module) == _declared(module)


def test_a_subclass_keeps_its_parents_status_and_code() -> None:
    class Throttled(RateLimited):
        pass

    assert (Throttled.status, Throttled.code) == (429, "RATE_LIMITED")
    assert Throttled("slow down", retry_after=3).headers == {"Retry-After": "3"}


def test_rest_renders_the_envelope() -> None:
    response = rest_error_response(403, "FORBIDDEN", "no", {"WWW-Authenticate": "Bearer"})
    assert response.status == 403
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert _body(response) == {
        "statusCode": "403",
        "statusMessage": "no",
        "ticketDetails": {},
    }


def test_graphql_renders_one_error_with_its_extensions() -> None:
    response = graphql_error_response(405, "BAD_USER_INPUT", "POST only", {"Allow": "POST"})
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert _body(response) == {
        "errors": [
            {"message": "POST only", "extensions": {"code": "BAD_USER_INPUT", "statusCode": 405}}
        ]
    }


def test_other_paths_render_the_gateways_shape() -> None:
    response = gateway_error_response(404, "NOT_FOUND", "no such file")
    assert response.status == 404
    assert _body(response) == {"error": {"code": "NOT_FOUND", "message": "no such file"}}


def test_after_a_write_each_door_names_the_ticket_in_its_own_place() -> None:
    written = WrittenTicket("DESK-7", "10007")
    rest = rest_error_response(504, "ITSM_TIMEOUT", "slow", written=written)
    graphql = graphql_error_response(504, "ITSM_TIMEOUT", "slow", written=written)

    assert _body(rest) == {
        "statusCode": "504",
        "statusMessage": "slow",
        "ticketDetails": {"ticketNumber": "DESK-7", "sysId": "10007"},
    }
    assert _body(graphql) == {
        "errors": [
            {
                "message": "slow",
                "extensions": {
                    "code": "ITSM_TIMEOUT",
                    "statusCode": 504,
                    "ticket": {"ticketNumber": "DESK-7", "sysId": "10007"},
                },
            }
        ]
    }


def test_a_graphql_error_from_a_resolver_names_the_ticket_too() -> None:
    error = ItsmError("reading it back failed")
    error.written = WrittenTicket("17", "17")
    errors = [GraphQLError("x", path=["createTicket"], original_error=error)]

    translate_errors(errors, None)

    assert errors[0].extensions == {
        "code": "ITSM_ERROR",
        "statusCode": 502,
        "ticket": {"ticketNumber": "17", "sysId": "17"},
    }
