"""The ServiceNow emulator as a contract-suite backend."""

from __future__ import annotations

from typing import Any

from connectors.fields import TicketField
from connectors.servicenow.capabilities import SERVICENOW
from emulators.servicenow import EmulatorState
from emulators.servicenow.seed import INC_DST
from tests.contract.backend import NotTaking, SearchCosts, SeededTicket

USER = "gateway.integration"
PASSWORD = "integration-password"


class ServiceNowBackend:
    name = "servicenow"
    search_costs = SearchCosts(
        rows=1,
        notes=1,
        sla=1,
        unknown_number=0,
        unsafe=(
            ("text", "a^ORactive=true"),
            ("text", "line\nbreak"),
            ("caller", "x^ORcaller_id!=y"),
        ),
    )
    capabilities = SERVICENOW
    allowed_urls = "http://127.0.0.1:*"
    optional_read = TicketField.TICKET_BUSINESS_TIME_LEFT

    def __init__(self, state: EmulatorState, url: str) -> None:
        self.state = state
        self.url = url

    def connection(self, **overrides: Any) -> dict[str, Any]:
        details = {
            "itsmType": "servicenow",
            "instanceUrl": self.url,
            "authType": "basic",
            "username": USER,
            "password": PASSWORD,
            **overrides,
        }
        return {k: v for k, v in details.items() if v is not None}

    def wrong_credentials(self) -> dict[str, Any]:
        return self.connection(password="not-the-password")

    async def seeded(self) -> SeededTicket:
        return SeededTicket(
            number=INC_DST[0],
            sys_id=INC_DST[1],
            short_description="Wi-Fi drops every few minutes on floor 3",
            comment="Still dropping this morning.",
            work_note="Upgraded AP-3F-02 firmware to 8.10.130.",
        )

    def create_json(self, summary: str) -> dict[str, Any]:
        return {"short_description": summary, "urgency": "3", "impact": "3"}

    def update_json(self, summary: str) -> dict[str, Any]:
        return {"short_description": summary}

    def read_only_json(self) -> dict[str, Any]:
        return {"short_description": "x", "sys_created_on": "2020-01-01 00:00:00"}

    async def ticket_count(self) -> int:
        return len(self.state.records("incident"))

    def not_taking(self, *, creating: bool) -> NotTaking:
        """state is an integer choice on a real instance (and in the strict emulator): a label
        is stored raw and is no state; the connector compares and reports it."""
        return NotTaking({"state": "In Progress"}, "ticketJSON.state")

    def fail_reads_after_writes(self) -> bool:
        return False  # the emulator's faults hit the first call, not the read after a write

    def lose_next_create_answer(self) -> bool:
        self.state.faults.drop_after_write = True  # the create is applied, then the line drops
        self.state.faults.drop_next = 1
        return True

    def refuse_optional_read(self) -> None:
        self.state.faults.sla_forbidden = True  # the account may not read SLAs

    async def reset(self) -> None:
        self.state.reset()
