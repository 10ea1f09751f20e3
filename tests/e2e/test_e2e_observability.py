"""What an operator sees: Prometheus metrics, one JSON access line per request, one debug line per
ITSM call, and OpenTelemetry spans with the trace carried to the ITSM; never a secret.

Each test runs its own gateway (fresh metrics) beside the session's emulator and token issuer, and
sends the same scripted mix: a fetch that succeeds, one of a ticket that does not exist (404), one
without a token (401), one while the instance fails with 500 (502 after the retries), and a
GraphQL fetch.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from emulators.servicenow.seed import INC_NEW
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.conftest import SN_PASSWORD, SN_USER, Stack
from tests.support.servers import serving, wait_until_ready

MISSING = "INC0999999"
USER = "olivia.observer"
TOKEN_SENTINEL = "metrics-token-sentinel-0123456789"


@asynccontextmanager
async def own_gateway(
    stack: Stack, provider: trace.TracerProvider | None = None, **settings: Any
) -> AsyncIterator[str]:
    assert stack.issuer is not None
    config = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        itsm_retry_backoff_seconds=0.01,
        **settings,
    )
    async with serving(create_app(config, tracer_provider=provider)) as url:
        await wait_until_ready(url)
        yield url


@dataclass
class Mix:
    token: str
    statuses: list[int]


async def scripted_mix(stack: Stack, gateway: str) -> Mix:
    assert stack.issuer is not None
    token = stack.issuer.mint(USER)
    auth = {"Authorization": f"Bearer {token}"}
    rest = f"{gateway}/itsm/v1/ticket/fetch"

    def body(number: str) -> dict[str, Any]:
        return {
            "connectionDetails": stack.connection(),
            "ticketNumber": number,
            "ticketFields": ["ticketNumber", "shortDescription"],
        }

    statuses = [
        (await stack.http.post(rest, json=body(INC_NEW[0]), headers=auth)).status_code,
        (await stack.http.post(rest, json=body(MISSING), headers=auth)).status_code,
        (await stack.http.post(rest, json=body(INC_NEW[0]))).status_code,
    ]
    stack.emulator.faults.fail_status = 500
    statuses.append((await stack.http.post(rest, json=body(INC_NEW[0]), headers=auth)).status_code)
    stack.emulator.faults.fail_status = None
    query = (
        "query F($n: String!, $c: ConnectionInput!) "
        "{ ticket(number: $n, connection: $c) { ticketNumber } }"
    )
    graphql = await stack.http.post(
        f"{gateway}/graphql",
        json={"query": query, "variables": {"n": INC_NEW[0], "c": stack.connection()}},
        headers=auth,
    )
    statuses.append(graphql.status_code)
    assert statuses == [200, 404, 401, 502, 200]
    return Mix(token=token, statuses=statuses)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


# Every label value the gateway may produce, whatever the traffic (hosts aside: checked below).
ALLOWED = {
    "door": {"rest", "graphql", "health", "metrics", "openapi", "other"},
    "operation": {
        "fetch", "create", "update", "mixed", "-",
        "read_ticket", "create_ticket", "update_ticket", "read_journal", "read_sla",
        "read_account", "oauth_token", "call",
    },
    "itsm_type": {"servicenow"},
    "cache": {"access_token_claims", "offline_access_token"},
    "result": {"hit", "miss"},
}  # fmt: skip
STATUS = re.compile(r"[1-5][0-9][0-9]")
KIND = re.compile(r"[A-Z][A-Za-z]+")  # a transport error's class name: ConnectTimeout


async def test_metrics_count_the_mix_with_bounded_labels(stack: Stack) -> None:
    async with own_gateway(stack) as gateway:
        mix = await scripted_mix(stack, gateway)
        response = await stack.http.get(f"{gateway}/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    found = samples(response.text)
    host = stack.emulator_url.removeprefix("http://")

    requests = "itsm_gateway_requests_total"
    assert value(found, requests, door="rest", operation="fetch", status="200") == 1
    assert value(found, requests, door="rest", operation="fetch", status="404") == 1
    assert value(found, requests, door="rest", operation="-", status="401") == 1
    assert value(found, requests, door="rest", operation="fetch", status="502") == 1
    assert value(found, requests, door="graphql", operation="fetch", status="200") == 1
    latency = "itsm_gateway_request_duration_seconds_count"
    assert value(found, latency, door="rest", operation="fetch") == 3
    assert value(found, latency, door="graphql", operation="fetch") == 1

    itsm = {"itsm_type": "servicenow", "host": host, "operation": "read_ticket"}
    calls = "itsm_gateway_itsm_calls_total"
    assert value(found, calls, **itsm, outcome="200") == 3  # found, not found, GraphQL
    assert value(found, calls, **itsm, outcome="500") == 3  # the first try and two retries
    assert value(found, "itsm_gateway_itsm_call_duration_seconds_count", **itsm) == 6
    retries = "itsm_gateway_itsm_retries_total"
    assert value(found, retries, **itsm, reason="answer 500") == 2
    state = "itsm_gateway_itsm_circuit_state"
    assert value(found, state, itsm_type="servicenow", host=host) == 0  # closed again
    claims = "itsm_gateway_cache_lookups_total"
    assert value(found, claims, cache="access_token_claims", result="miss") == 1
    assert value(found, claims, cache="access_token_claims", result="hit") == 3
    assert value(found, "itsm_gateway_keycloak_jwks_fetches_total", outcome="ok") == 1

    for (name, labels), _ in found.items():
        for label, label_value in labels:
            if label in ALLOWED:
                assert label_value in ALLOWED[label], (name, label, label_value)
            elif label == "host":
                assert label_value in (host, "other"), (name, label_value)
            elif label == "status":
                assert STATUS.fullmatch(label_value), (name, label_value)
            elif label == "outcome":  # of an ITSM call, or of a Keycloak fetch or exchange
                assert (
                    STATUS.fullmatch(label_value)
                    or KIND.fullmatch(label_value)
                    or label_value
                    in {
                        "ok",
                        "failed",
                        "refused",
                        "refused_again",
                        "paced",
                        "unavailable",
                        "misconfigured",
                    }
                ), (name, label_value)
            elif label == "reason":
                assert label_value.startswith("answer ") or KIND.fullmatch(label_value)
            else:
                assert label in ("le", "quantile"), (name, label)
    for leak in (INC_NEW[0], MISSING, USER, mix.token, SN_USER, SN_PASSWORD):
        assert leak not in response.text


async def test_metrics_can_require_a_token(stack: Stack) -> None:
    async with own_gateway(stack, metrics_token=TOKEN_SENTINEL) as gateway:
        refused = await stack.http.get(f"{gateway}/metrics")
        wrong = await stack.http.get(
            f"{gateway}/metrics", headers={"Authorization": "Bearer not-the-metrics-token"}
        )
        allowed = await stack.http.get(
            f"{gateway}/metrics", headers={"Authorization": f"Bearer {TOKEN_SENTINEL}"}
        )
    assert refused.status_code == wrong.status_code == 401
    assert "ITSM_GATEWAY_METRICS_TOKEN" in refused.json()["error"]["message"]
    assert TOKEN_SENTINEL not in refused.text + wrong.text
    assert allowed.status_code == 200 and "itsm_gateway_requests_total" in allowed.text


async def test_metrics_can_be_switched_off(stack: Stack) -> None:
    async with own_gateway(stack, metrics=False) as gateway:
        assert (await stack.http.get(f"{gateway}/metrics")).status_code == 404


ACCESS_KEYS = {
    "time", "level", "logger", "message", "request_id", "door", "operation", "status",
    "latency_ms", "user", "client", "itsm_host", "itsm_calls",
}  # fmt: skip


async def test_one_json_line_per_request_with_its_story_and_no_secret(
    stack: Stack, caplog: pytest.LogCaptureFixture, production_logging: logging.Handler
) -> None:
    async with own_gateway(stack) as gateway:
        caplog.clear()
        mix = await scripted_mix(stack, gateway)
    written = [production_logging.format(record) for record in caplog.records]
    lines = [json.loads(line) for line in written]  # every line is one JSON object
    access = [line for line in lines if line["logger"] == "itsm_gateway.access"]
    assert [line["status"] for line in access] == mix.statuses
    assert len({line["request_id"] for line in access}) == len(access)
    for line in access:
        assert ACCESS_KEYS <= line.keys(), ACCESS_KEYS - line.keys()
    ok, missing, anonymous, failing, graphql = access
    host = stack.emulator_url.removeprefix("http://")
    assert ok["door"] == "rest" and ok["operation"] == "fetch" and ok["ticket"] == INC_NEW[0]
    assert ok["user"] == USER and ok["client"] and ok["itsm_host"] == host
    assert ok["itsm_calls"] == 1
    assert missing["ticket"] == MISSING and missing["status"] == 404
    assert anonymous["user"] is None and anonymous["itsm_calls"] == 0
    assert anonymous["itsm_host"] is None and "ticket" not in anonymous
    assert failing["itsm_calls"] == 3 and failing["status"] == 502
    assert graphql["door"] == "graphql" and graphql["ticket"] == INC_NEW[0]

    # One debug line per ITSM call, tied to its request.
    upstream = [line for line in lines if line["logger"] == "itsm_gateway.itsm"]
    assert len(upstream) == 1 + 1 + 3 + 1
    assert {line["request_id"] for line in upstream} == {
        ok["request_id"],
        missing["request_id"],
        failing["request_id"],
        graphql["request_id"],
    }
    assert {line["outcome"] for line in upstream} == {"200", "500"}

    basic = base64.b64encode(f"{SN_USER}:{SN_PASSWORD}".encode()).decode()
    for secret in (mix.token, mix.token.split(".")[2], SN_PASSWORD, basic):
        for line in written:
            assert secret not in line, line


async def test_spans_for_the_request_and_the_itsm_call_and_the_trace_reaches_the_itsm(
    stack: Stack,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    caller_span = "00f067aa0ba902b7"
    assert stack.issuer is not None
    async with own_gateway(stack, provider) as gateway:
        response = await stack.http.post(
            f"{gateway}/itsm/v1/ticket/fetch",
            json={
                "connectionDetails": stack.connection(),
                "ticketNumber": INC_NEW[0],
                "ticketFields": ["ticketNumber"],
            },
            headers={
                "Authorization": f"Bearer {stack.issuer.mint(USER)}",
                "traceparent": f"00-{caller_trace}-{caller_span}-01",
            },
        )
    assert response.status_code == 200
    spans: list[ReadableSpan] = list(exporter.get_finished_spans())
    [server] = [s for s in spans if s.kind is trace.SpanKind.SERVER]
    [client] = [s for s in spans if s.kind is trace.SpanKind.CLIENT]
    assert server.name == "POST /itsm/v1/ticket/fetch"
    assert f"{server.context.trace_id:032x}" == caller_trace  # the caller's trace goes on
    assert server.parent is not None and f"{server.parent.span_id:016x}" == caller_span
    assert server.attributes is not None and server.attributes["http.response.status_code"] == 200
    assert client.parent is not None and client.parent.span_id == server.context.span_id
    assert client.name == "GET 127.0.0.1"
    assert client.attributes is not None
    assert client.attributes["http.response.status_code"] == 200
    assert client.attributes["url.path"] == "/api/now/table/incident"

    [seen] = stack.table_requests("incident")
    traceparent = seen.headers["traceparent"]
    assert traceparent == f"00-{caller_trace}-{client.context.span_id:016x}-01"
    assert seen.headers["x-request-id"] == response.headers["X-Request-ID"]


async def test_a_graphql_request_has_an_execution_span_between_request_and_itsm_call(
    stack: Stack,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    query = (
        "query FetchTicket($n: String!, $c: ConnectionInput!) "
        "{ ticket(number: $n, connection: $c) { ticketNumber } }"
    )
    assert stack.issuer is not None
    async with own_gateway(stack, provider) as gateway:
        response = await stack.http.post(
            f"{gateway}/graphql",
            json={"query": query, "variables": {"n": INC_NEW[0], "c": stack.connection()}},
            headers={"Authorization": f"Bearer {stack.issuer.mint(USER)}"},
        )
    assert response.status_code == 200 and "errors" not in response.json()
    spans = list(exporter.get_finished_spans())
    [server] = [s for s in spans if s.kind is trace.SpanKind.SERVER]
    [execution] = [s for s in spans if s.name.startswith("GraphQL")]
    [client] = [s for s in spans if s.kind is trace.SpanKind.CLIENT]
    assert server.name == "POST /graphql"
    assert execution.name == "GraphQL query FetchTicket"
    assert execution.parent is not None and execution.parent.span_id == server.context.span_id
    assert client.parent is not None and client.parent.span_id == execution.context.span_id
    assert {s.context.trace_id for s in (server, execution, client)} == {server.context.trace_id}
    recorded = " ".join(str(s.attributes) for s in spans)
    assert stack.connection()["password"] not in recorded


async def test_without_tracing_the_callers_traceparent_still_reaches_the_itsm(
    stack: Stack,
) -> None:
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert stack.issuer is not None
    async with own_gateway(stack) as gateway:  # ITSM_GATEWAY_TRACING=none
        response = await stack.http.post(
            f"{gateway}/itsm/v1/ticket/fetch",
            json={
                "connectionDetails": stack.connection(),
                "ticketNumber": INC_NEW[0],
                "ticketFields": ["ticketNumber"],
            },
            headers={
                "Authorization": f"Bearer {stack.issuer.mint(USER)}",
                "traceparent": traceparent,
            },
        )
    assert response.status_code == 200
    [seen] = stack.table_requests("incident")
    assert seen.headers["traceparent"] == traceparent


async def test_a_request_without_traceparent_starts_no_trace_at_the_itsm(stack: Stack) -> None:
    assert stack.issuer is not None
    async with own_gateway(stack) as gateway:
        await stack.http.post(
            f"{gateway}/itsm/v1/ticket/fetch",
            json={
                "connectionDetails": stack.connection(),
                "ticketNumber": INC_NEW[0],
                "ticketFields": ["ticketNumber"],
            },
            headers={"Authorization": f"Bearer {stack.issuer.mint(USER)}"},
        )
    [seen] = stack.table_requests("incident")
    assert "traceparent" not in seen.headers
    assert seen.headers["x-request-id"]
