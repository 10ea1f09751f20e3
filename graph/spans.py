"""A span for each GraphQL execution, when the gateway traces (``ITSM_GATEWAY_TRACING``).

The request's span (the gateway's middleware) is its parent and the ITSM calls made by the
resolvers are its children. Named after the operation (``GraphQL query FetchTicket``) once the
document is parsed; the query text and the variables are never recorded (they carry connection
details).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from opentelemetry import trace
from strawberry.extensions import SchemaExtension


class ExecutionSpan(SchemaExtension):
    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def on_operation(self) -> Iterator[None]:
        with self._tracer.start_as_current_span("GraphQL") as span:
            yield
            context = self.execution_context
            try:
                kind = context.operation_type.value
            except RuntimeError:  # the document did not parse
                kind = "invalid"
            name = context.operation_name
            span.update_name(f"GraphQL {kind} {name}" if name else f"GraphQL {kind}")
            span.set_attribute("graphql.operation.type", kind)
            if name:
                span.set_attribute("graphql.operation.name", name)
            errors = context.pre_execution_errors or (
                context.result.errors if context.result else None
            )
            if errors:
                span.set_attribute("graphql.errors", len(errors))
                span.set_status(trace.Status(trace.StatusCode.ERROR))


def execution_spans(tracer: trace.Tracer | None) -> list[Callable[[], SchemaExtension]]:
    """The extension factory, or nothing when spans would not be recorded (no cost then)."""
    if tracer is None or isinstance(tracer, trace.NoOpTracer):
        return []
    return [lambda: ExecutionSpan(tracer)]
