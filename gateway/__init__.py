"""The service's serving core: what runs while the gateway serves.

``settings`` (the one place the environment is read), the app factory (``app``), Keycloak
authentication (``auth/``), the middlewares, access rules, health, request keys, connection
profiles (loaded at start), shared idempotency keys on Redis, ``serve``'s worker processes, and
``outbound/``: the ITSM calls' transport and the SSRF guard in one place.

Beside the core, in rooms of their own: ``commands/``, what operators run and the server never
calls (the command line, the demo, check-connection, config check/show), and
``observability/`` (logs, metrics, traces). The core never imports ``commands/``.
"""
