"""Stand-ins for what cannot run here, for the demo, the tests and the benchmarks only: the
ServiceNow and Jira emulators, the development token issuer (it signs whatever it is asked to),
and the launcher of a real Request Tracker 5 (``rt_launcher``).

A distribution of its own (``emulators/pyproject.toml``, ``itsm-gateway-emulators``), never in
the gateway's install or image. Of the product, only ``gateway.commands.demo`` imports it.
"""
