"""An emulated Jira Cloud site with Jira Service Management: the parts of the platform REST API
v3 and of the service desk REST API that the gateway's Jira connector uses, and a control API.

It follows Atlassian's published reference (developer.atlassian.com: the platform API's issues,
transitions, comments and projects groups; the service desk API's request group; Atlassian
Document Format; rate limiting). Where the reference is silent the modules say what the emulator
chose. It imports nothing from the rest of the project.

Default account (demo values, not secrets): ``gateway@acme.example`` with API token
``jira-api-token`` (Basic auth), or the OAuth 2.0 access token ``jira-oauth-token`` (Bearer).
Seeded projects ``DESK`` (service project: SLAs, public and internal comments) and ``OPS``
(software project); issues ``DESK-1`` to ``DESK-5`` and ``OPS-1`` (see ``seed``). OAuth 2.0
clients find the site's ``CLOUD_ID`` at ``/oauth/token/accessible-resources`` and call the same
API under ``/ex/jira/{CLOUD_ID}``, as through Atlassian's API gateway (see ``cloud``).

Usage::

    state = JiraState(clock=lambda: SEED_NOW)   # seeded; a fixed clock holds the SLAs still
    app = create_app(state)                     # state is also app[STATE_KEY]
    state.faults.merge({"throttle_next": 1})    # misbehave

Standalone: ``python -m emulators.jira --host 127.0.0.1 --port 8090`` (its clock starts at the
seed's time and runs; ``--wall-clock`` for the real time).
"""

from emulators.jira.app import create_app
from emulators.jira.config import (
    CLOUD_ID,
    DEFAULT_API_TOKEN,
    DEFAULT_EMAIL,
    DEFAULT_OAUTH_TOKEN,
    JiraConfig,
    User,
)
from emulators.jira.faults import Faults
from emulators.jira.keys import STATE_KEY
from emulators.jira.seed import SEED_NOW
from emulators.jira.state import JiraState, RecordedRequest, running_from

__all__ = [
    "CLOUD_ID",
    "DEFAULT_API_TOKEN",
    "DEFAULT_EMAIL",
    "DEFAULT_OAUTH_TOKEN",
    "SEED_NOW",
    "STATE_KEY",
    "Faults",
    "JiraConfig",
    "JiraState",
    "RecordedRequest",
    "User",
    "create_app",
    "running_from",
]
