"""An emulated ServiceNow instance: Table API, OAuth token endpoint and a control API.

It behaves as ``docs/connectors/servicenow.md`` describes, quirks included, so the gateway's
ServiceNow connector can be tested end to end over real HTTP. It imports nothing from the
rest of the project.

Default accounts (demo values, not secrets):

- Basic auth: user ``gateway.integration``, password ``integration-password`` (``sys_user``
  "Gateway Integration").
- OAuth client ``gateway-client`` / secret ``gateway-client-secret``: the ``password`` grant
  for that user, and ``client_credentials`` acting as that user.
- API key ``demo-api-key`` in ``x-sn-apikey``, acting as that user.

Usage::

    state = EmulatorState()                 # seeded sample data (see ``seed``)
    app = create_app(state)                 # state is also app[STATE_KEY]
    state.faults.journal_forbidden = True   # misbehave like a locked-down instance

Faults (``faults.Faults``; also ``POST /_emulator/faults`` with a JSON object of them): latency,
hibernation (200 with HTML), forced 5xx (``fail_status``, ``fail_next``, ``fail_rate``), 429s
(``hourly_limit``, ``throttle_next``, ``throttle_rate`` with ``throttle_retry_after_s``), dropped
connections (``drop_next``, ``drop_rate``; ``drop_after_write`` applies a write before dropping)
and journal and SLA tables under ACLs, refused with 403 (``journal_forbidden``,
``sla_forbidden``) or answered 200 with the rows filtered out (``journal_filtered``,
``sla_filtered``), and field-level ACLs that leave columns out of every answer
(``unreadable_columns``, ``["incident.assigned_to"]``). The ``*_rate`` draws are seeded by
``seed`` for reproducible runs::

    state.faults.merge({"seed": 7, "drop_rate": 0.05, "fail_rate": 0.05, "throttle_rate": 0.1,
                        "drop_after_write": True})

Standalone: ``python -m emulators.servicenow --host 127.0.0.1 --port 8089``.
"""

from emulators.servicenow.app import create_app
from emulators.servicenow.config import Account, EmulatorConfig, OAuthClient
from emulators.servicenow.faults import Faults
from emulators.servicenow.keys import STATE_KEY
from emulators.servicenow.state import EmulatorState, RecordedRequest

__all__ = [
    "STATE_KEY",
    "Account",
    "EmulatorConfig",
    "EmulatorState",
    "Faults",
    "OAuthClient",
    "RecordedRequest",
    "create_app",
]
