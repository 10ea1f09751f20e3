"""What the connector contract suite needs from each ITSM tool it runs against.

The suite (``tests/contract/test_contract_*.py``) drives a real gateway, through both doors, in
front of a tool: an emulator (ServiceNow, Jira) or a real server (Request Tracker 5). Each tool
gives a ``Backend``: how to reach it, data that exists in it, native ticketJSON it accepts, and a
way to count its tickets so that "no write on bad input" can be checked. The tool's own
``Capabilities`` (``connectors.capabilities``) decide which behaviours apply: a field it does not
provide is expected to be refused, not fetched.

Every Backend is an async context manager fixture in ``tests/contract/conftest.py``; a tool whose
server cannot run here (RT without its Debian package) skips with the reason, or fails under its
``ITSM_GATEWAY_REQUIRE_*`` variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from connectors.capabilities import Capabilities
from connectors.fields import TicketField


@dataclass(frozen=True)
class SeededTicket:
    """A ticket that exists in the tool when a test starts."""

    number: str  # what a caller sends as ticketNumber (INC0010001, DESK-1, 17)
    sys_id: str  # what a caller sends as sysId to update it
    short_description: str  # its current one-line summary (canonical shortDescription)
    comment: str | None = None  # the text of a customer-visible comment it carries, if any
    work_note: str | None = None  # the text of an internal note it carries, if any


@dataclass(frozen=True)
class NotTaking:
    """Native ticketJSON the tool answers with success but does not hold afterwards, and how the
    gateway's answer names that value (docs/contract.md#writes-that-did-not-take)."""

    ticket_json: dict[str, Any]  # added to a create's or an update's ticketJSON
    field: str  # "ticketJSON.state", "ticketJSON.Status", "ticketJSON.priority"


@dataclass(frozen=True)
class SearchCosts:
    """What a page of a search costs in calls to the tool, and what its query language cannot
    carry: each tool's own, all of them "never one call per ticket".

    ``rows``: a page of plain fields; ``notes``: what comments add for the whole page (Jira: 0,
    its search brings them; RT: its history search and its attachment search); ``sla``: what the
    SLA time left adds (Jira: 0, its SLA fields come with the search), or ``None`` when the
    tool's search cannot read it; ``unknown_number``:
    what one unknown number adds to a batch (Jira refuses JQL naming a key it does not know, so
    the connector searches again without it); ``unsafe``: filter values refused before any call,
    as ``(key, value)``.
    """

    rows: int
    notes: int
    sla: int | None
    unknown_number: int
    unsafe: tuple[tuple[str, str], ...]


class Backend(Protocol):
    name: str  # test ids: "servicenow", "jira", "rt"
    search_costs: SearchCosts
    capabilities: Capabilities  # the connector's declaration (the same object it registers)
    allowed_urls: str  # ITSM_GATEWAY_ITSM_ALLOWED_URLS for the gateway in front of it

    @property
    def optional_read(self) -> TicketField | None:
        """The canonical field an optional read fills (a read that, refused, leaves only that
        field empty): ServiceNow's and Jira's SLA; None when the tool has none (RT)."""
        ...

    def connection(self, **overrides: Any) -> dict[str, Any]:
        """Working ``connectionDetails`` (docs/contract.md); ``overrides`` set keys (None drops)."""
        ...

    def wrong_credentials(self) -> dict[str, Any]:
        """``connectionDetails`` whose credentials the tool refuses (expected: 502)."""
        ...

    async def seeded(self) -> SeededTicket:
        """A ticket that exists now, with a comment and a work note where the tool has them."""
        ...

    def create_json(self, summary: str) -> dict[str, Any]:
        """Native ``ticketJSON`` for a create whose one-line summary is ``summary``."""
        ...

    def update_json(self, summary: str) -> dict[str, Any]:
        """Native ``ticketJSON`` for an update that sets the one-line summary to ``summary``."""
        ...

    def read_only_json(self) -> dict[str, Any]:
        """Native ``ticketJSON`` naming a system field the gateway must refuse (expected: 400)."""
        ...

    async def ticket_count(self) -> int:
        """How many tickets the tool holds now, read straight from the tool."""
        ...

    def not_taking(self, *, creating: bool) -> NotTaking:
        """A value a create (or an update) will not take; from now until ``reset`` the tool is
        set up for it where that takes a switch (Jira's emulated automation rule)."""
        ...

    def fail_reads_after_writes(self) -> bool:
        """From now until ``reset``, the tool applies a create but the read after it fails;
        False when that cannot be provoked here."""
        ...

    def lose_next_create_answer(self) -> bool:
        """From now until ``reset``, the tool applies the next create but its answer is lost (the
        connection drops): a create of unknown outcome that a look-up by correlation id can
        settle. False when that cannot be provoked here."""
        ...

    def refuse_optional_read(self) -> None:
        """From now until ``reset``, the tool refuses the account its ``optional_read`` (403)."""
        ...

    async def reset(self) -> None:
        """Back to the seeded state between tests where the tool allows it (may do nothing)."""
        ...
