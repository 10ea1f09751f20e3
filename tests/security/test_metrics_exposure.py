"""Issue 13, item 10: ``/metrics`` names the ITSM hosts the gateway serves, so by default (no
``ITSM_GATEWAY_METRICS_TOKEN``) it answers only a caller on the gateway's own host that no proxy
forwarded; with a token, only that bearer."""

from __future__ import annotations

from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request

from gateway.observability.metrics import Metrics, metrics_handler
from tests.e2e.conftest import Stack


def request_from(peer: str, headers: dict[str, str] | None = None) -> object:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (peer, 40000) if name == "peername" else default
    )
    return make_mocked_request("GET", "/metrics", headers=headers or {}, transport=transport)


@pytest.mark.parametrize(
    "peer, headers, status",
    [
        ("127.0.0.1", {}, 200),
        ("::1", {}, 200),
        ("10.1.2.3", {}, 403),  # another host: Prometheus must use the token
        ("192.168.0.9", {}, 403),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}, 403),  # a proxy on this host
        ("127.0.0.1", {"Forwarded": "for=203.0.113.7"}, 403),
    ],
)
async def test_without_a_token_only_local_direct_callers_are_answered(
    peer: str, headers: dict[str, str], status: int
) -> None:
    handler = metrics_handler(Metrics(), token=None)
    response = await handler(request_from(peer, headers))  # type: ignore[arg-type]
    assert response.status == status
    if status == 403:
        assert b"ITSM_GATEWAY_METRICS_TOKEN" in response.body  # type: ignore[operator]


async def test_with_a_token_only_its_bearer_is_answered_wherever_it_comes_from() -> None:
    handler = metrics_handler(Metrics(), token="m" * 32)
    refused = await handler(request_from("127.0.0.1"))  # type: ignore[arg-type]
    assert refused.status == 401
    allowed = await handler(
        request_from("10.1.2.3", {"Authorization": "Bearer " + "m" * 32})  # type: ignore[arg-type]
    )
    assert allowed.status == 200


async def test_the_served_gateway_answers_a_local_scrape_and_refuses_a_forwarded_one(
    stack: Stack,
) -> None:
    local = await stack.http.get(f"{stack.gateway_url}/metrics")
    assert local.status_code == 200 and b"itsm_gateway_requests_total" in local.content
    forwarded = await stack.http.get(
        f"{stack.gateway_url}/metrics", headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert forwarded.status_code == 403
