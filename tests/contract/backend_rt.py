"""A real Request Tracker 5 (``tests/support/rt.py``) as a contract-suite backend.

Wiring, in ``tests/contract/conftest.py``: ``rt_backend(request.config, tmp_path_factory)`` is an
async context manager yielding an ``RtBackend``. It shares the session's RT when one is running
(``tests/rt`` starts one too) and otherwise starts one until the block ends; without RT on the
machine it skips with the reason, or fails under ``ITSM_GATEWAY_REQUIRE_RT=1``.

RT cannot delete what was written, so the seeded ticket is made once per server, with a reply
(a canonical comment) and an internal comment (a work note), and ``reset`` only puts its subject
back; tickets the tests create stay.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from connectors.rt.capabilities import REQUEST_TRACKER
from tests.contract.backend import NotTaking, SearchCosts, SeededTicket
from tests.support.rt import API_USER, RtServer, session_rt

SUMMARY = "VPN drops every 10 minutes"
COMMENT = "We are looking into it; please try the new client."
WORK_NOTE = "Concentrator logs show an MTU mismatch."


class RtBackend:
    name = "rt"
    # A transaction's text is in its attachments, which cannot be searched by ticket: the
    # page's history is one transaction search and one attachment search.
    search_costs = SearchCosts(
        rows=1,
        notes=2,
        sla=None,
        unknown_number=0,
        unsafe=(("text", "line\nbreak"), ("text", "x" * 300), ("caller", "CF.{x}")),
    )
    capabilities = REQUEST_TRACKER
    allowed_urls = "http://127.0.0.1:*"
    optional_read = None  # every field RT provides comes from reads the ticket needs

    def __init__(self, server: RtServer) -> None:
        self.server = server
        self._seeded: SeededTicket | None = None

    def connection(self, **overrides: Any) -> dict[str, Any]:
        """The gateway account's RT auth token, as ``api_key``."""
        details = {
            "itsmType": "rt",
            "instanceUrl": self.server.url,
            "authType": "api_key",
            "apiKey": self.server.api_token,
            **overrides,
        }
        return {k: v for k, v in details.items() if v is not None}

    def wrong_credentials(self) -> dict[str, Any]:
        return self.connection(
            authType="basic", apiKey=None, username=API_USER, password="not-the-password"
        )

    async def seeded(self) -> SeededTicket:
        if self._seeded is None:
            self._seeded = await self._seed()
        return self._seeded

    async def _seed(self) -> SeededTicket:
        async with self.server.admin_client() as rt:
            answer = await rt.post(
                "/ticket",
                json={
                    "Queue": "General",
                    "Subject": SUMMARY,
                    "Content": "The VPN client disconnects every ten minutes.",
                    "ContentType": "text/plain",
                    "Requestor": "caller1@example.com",
                },
            )
            answer.raise_for_status()
            ticket_id = str(answer.json()["id"])
            for kind, text in (("correspond", COMMENT), ("comment", WORK_NOTE)):
                message = {"Content": text, "ContentType": "text/plain"}
                (await rt.post(f"/ticket/{ticket_id}/{kind}", json=message)).raise_for_status()
        return SeededTicket(
            number=ticket_id,
            sys_id=ticket_id,
            short_description=SUMMARY,
            comment=COMMENT,
            work_note=WORK_NOTE,
        )

    def create_json(self, summary: str) -> dict[str, Any]:
        return {"Queue": "General", "Subject": summary, "Content": "Made by the contract suite."}

    def update_json(self, summary: str) -> dict[str, Any]:
        return {"Subject": summary}

    def read_only_json(self) -> dict[str, Any]:
        return {"Subject": "x", "Created": "2020-01-01T00:00:00Z"}

    async def ticket_count(self) -> int:
        async with self.server.admin_client() as rt:
            answer = await rt.get("/tickets", params={"query": "id > 0", "per_page": "1"})
            answer.raise_for_status()
            return int(answer.json()["total"])  # RT counts for its superuser

    def not_taking(self, *, creating: bool) -> NotTaking:
        """RT answers 200 to an update with a status it does not know, having applied the rest;
        a create with one it refuses whole (400), but it creates a ticket without an owner it
        cannot find."""
        if creating:
            return NotTaking({"Owner": "no-such-user"}, "ticketJSON.Owner")
        return NotTaking({"Status": "bogus"}, "ticketJSON.Status")

    def fail_reads_after_writes(self) -> bool:
        return False  # a real RT: nothing makes its reads fail on cue

    def lose_next_create_answer(self) -> bool:
        return False  # a real RT: nothing loses its answers on cue

    def refuse_optional_read(self) -> None:
        raise NotImplementedError("RT has no optional read")

    async def reset(self) -> None:
        """Put the seeded ticket's subject back (a test may have changed it)."""
        if self._seeded is None:
            return
        ticket_id = self._seeded.sys_id
        async with self.server.admin_client() as rt:
            answer = await rt.get(f"/ticket/{ticket_id}")
            answer.raise_for_status()
            if answer.json().get("Subject") != SUMMARY:
                (await rt.put(f"/ticket/{ticket_id}", json={"Subject": SUMMARY})).raise_for_status()


@asynccontextmanager
async def rt_backend(
    config: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RtBackend]:
    async with session_rt(config, tmp_path_factory) as server:
        yield RtBackend(server)
