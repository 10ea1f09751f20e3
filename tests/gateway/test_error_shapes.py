"""Each door's one error renderer, and the error trees drawn in the modules' docstrings."""

from __future__ import annotations

import re
from types import ModuleType

import orjson
import pytest
from aiohttp import web

import connectors.errors
import gateway.errors
from connectors.errors import GatewayError, RateLimited
from gateway.errors import error_response as gateway_error_response
from graph.errors import error_response as graphql_error_response
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
