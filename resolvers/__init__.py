"""The use cases both doors call: fetch, create, update and search tickets, the checks of a
caller's connection, idempotency, limits, and the policies they apply. The folder keeps its name
(``resolvers``); what it holds is the use cases, not GraphQL resolvers.

Nothing here knows HTTP, GraphQL or a particular ITSM: the doors parse their own shapes into the
plain values these functions take, and connectors do the talking. What the use cases need from
the gateway (the SSRF guard) they declare as a port (``instance_guard``), which the gateway
implements and the app factory injects.
"""
