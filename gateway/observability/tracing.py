"""OpenTelemetry tracing: a span per request, one for the GraphQL execution, one per ITSM call.

Spans are exported only when configured (``ITSM_GATEWAY_TRACING``):

- ``none`` (default): nothing is recorded or exported. An incoming W3C ``traceparent`` is still
  passed on to the ITSM, so a caller's trace id reaches the instance's logs.
- ``otlp``: OTLP over HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (the exporter's own variables:
  ``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_SERVICE_NAME``, ...), in batches, off the request path.
- ``console``: each span printed to stdout, for a look during development.

The gateway never sets the global tracer provider: ``tracer_for`` builds one for the app, so the
tests give their own (with an in-memory exporter) and several apps in one process do not clash.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

TRACER_NAME = "itsm_gateway"
SERVICE_NAME = "itsm-gateway"


def tracer_provider_for(exporter: str) -> trace.TracerProvider:
    """The provider for ``ITSM_GATEWAY_TRACING`` (``none``, ``otlp`` or ``console``)."""
    if exporter == "none":
        return trace.NoOpTracerProvider()
    span_exporter: SpanExporter
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter()
    else:
        span_exporter = ConsoleSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(span_exporter))
    return provider


def records(tracer: trace.Tracer) -> bool:
    """Whether spans from ``tracer`` go anywhere. When not, the gateway skips making them (they
    cost ~4% of a fetch's CPU even as no-ops) and only passes a caller's ``traceparent`` on."""
    return not isinstance(tracer, trace.NoOpTracer)


def in_a_trace() -> bool:
    """Whether the current context belongs to a trace (recorded here or the caller's)."""
    return trace.get_current_span().get_span_context().is_valid


def incoming_context(headers: Mapping[str, str]) -> Context:
    """The caller's trace context (``traceparent``), if it sent one."""
    return propagate.extract(headers)


def outgoing_headers() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) for a call made within the current span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier
