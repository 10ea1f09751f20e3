"""The Jira emulator (``emulators/jira``) as a contract-suite backend.

Wiring, in ``tests/contract/conftest.py``: ``jira_backend()`` is an async context manager that
serves a seeded emulator on loopback until the block ends and yields a ``JiraBackend``. The
emulator's clock is held at the seed's time, so SLA times left do not drift during a run.

Connections name the service project ``DESK`` as their table: Jira creates issues in a project,
and the seeded request ``DESK-1`` has a public comment and an internal one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from connectors.fields import TicketField
from connectors.jira.capabilities import JIRA
from emulators.jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, SEED_NOW, JiraState, create_app, seed
from tests.contract.backend import NotTaking, SearchCosts, SeededTicket
from tests.support.servers import serving

PROJECT = "DESK"


class JiraBackend:
    name = "jira"
    # Comments and the SLA time left (its SLA custom fields) come with the search (jira.md).
    search_costs = SearchCosts(
        rows=1,
        notes=0,
        sla=0,
        unknown_number=1,
        unsafe=(("text", "line\nbreak"), ("text", "x" * 300)),
    )
    capabilities = JIRA
    allowed_urls = "http://127.0.0.1:*"
    optional_read = TicketField.TICKET_BUSINESS_TIME_LEFT

    def __init__(self, state: JiraState, url: str) -> None:
        self.state = state
        self.url = url

    def connection(self, **overrides: Any) -> dict[str, Any]:
        details = {
            "itsmType": "jira",
            "instanceUrl": self.url,
            "authType": "basic",
            "username": DEFAULT_EMAIL,  # the Atlassian account's email
            "password": DEFAULT_API_TOKEN,  # one of its API tokens
            "table": PROJECT,
            **overrides,
        }
        return {k: v for k, v in details.items() if v is not None}

    def wrong_credentials(self) -> dict[str, Any]:
        return self.connection(password="ATATT-not-the-api-token")

    async def seeded(self) -> SeededTicket:
        key, issue_id = seed.DESK_1
        return SeededTicket(
            number=key,
            sys_id=issue_id,
            short_description=seed.DESK_1_SUMMARY,
            comment=seed.DESK_1_PUBLIC,
            work_note=seed.DESK_1_INTERNAL,
        )

    def create_json(self, summary: str) -> dict[str, Any]:
        return {"summary": summary, "priority": {"name": "Low"}, "labels": ["contract"]}

    def update_json(self, summary: str) -> dict[str, Any]:
        return {"summary": summary}

    def read_only_json(self) -> dict[str, Any]:
        return {"summary": "x", "created": "2020-01-01T00:00:00.000+0000"}

    async def ticket_count(self) -> int:
        return len(self.state.issues)

    def not_taking(self, *, creating: bool) -> NotTaking:
        """An automation rule sets every issue's priority to Lowest right after each write
        (the emulator's ``automation_edits``), so the priority sent does not take."""
        self.state.faults.automation_edits = {"priority": {"name": "Lowest"}}
        return NotTaking({"priority": {"name": "High"}}, "ticketJSON.priority")

    def fail_reads_after_writes(self) -> bool:
        self.state.faults.fail_issue_reads = 1  # a create reads the issue once: after it
        return True

    def lose_next_create_answer(self) -> bool:
        # The create is applied, then the line drops (the project read before it goes through).
        self.state.faults.drop_next_write = 1
        return True

    def refuse_optional_read(self) -> None:
        self.state.faults.sla_forbidden = True  # the account may not read SLAs

    async def reset(self) -> None:
        self.state.reset()


@asynccontextmanager
async def jira_backend() -> AsyncIterator[JiraBackend]:
    state = JiraState(clock=lambda: SEED_NOW)
    async with serving(create_app(state)) as url:
        yield JiraBackend(state, url)
