"""What the gateway tells its operators while it serves: ``logs`` (structured logging and the
request id), ``metrics`` (the Prometheus registry and ``GET /metrics``) and ``tracing``
(OpenTelemetry spans in and out).

The serving core imports this package; this package imports nothing of the gateway (settings
are handed in as values).
"""
