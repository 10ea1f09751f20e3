"""Checking a Request Tracker connection before going live (``itsm-gateway check-connection``).

The calls the connector makes, with its own pieces (``RestClient``, ``auth_header``, the
``answers`` error mapping, ``mapping``'s columns), each sent once, judged as ``connectors.probe``
checks; nothing is written:

1. ``instance`` and ``authentication``: ``GET /REST/2.0/rt`` (RT's version; REST 2.0 asks for
   credentials on every path), then, for basic auth, the account's own ``GET /user/{name}``
   (RT lets every user read itself), whose ``Privileged`` flag matters: an unprivileged account
   sees only the tickets it requested;
2. ``time zone``: none to learn. REST 2.0 gives every time in UTC (``YYYY-MM-DDTHH:MM:SSZ``),
   whatever the user's or the server's zone, so the connector never converts one;
3. ``queues``: ``GET /queues/all`` (the queues the account may see, SeeQueue) and each queue's
   record, whose ``create`` hyperlink RT adds only when the account holds CreateTicket there;
4. ``tickets``: the connector's ticket search, for the newest ticket the account may see, with
   every column the gateway maps (refused: the gateway cannot work with this account);
5. ``history``: that ticket's transactions, where comments and replies are read;
6. ``writes``: REST 2.0 has no endpoint for a user's rights, but its hyperlinks are granted by
   them: on a ticket, ``correspond`` (ReplyToTicket), ``comment`` (CommentOnTicket) and the
   ``lifecycle`` actions (each transition's right, ModifyTicket on the default lifecycle), on a
   queue ``create`` (CreateTicket) (RT's ``RT::REST2::Resource::Ticket`` and ``::Queue``,
   ``hypermedia_links``). Changing a ticket's fields (ModifyTicket itself) shows in no
   hyperlink: that much is said, not guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx

from connectors.connection import AuthType, Connection
from connectors.errors import GatewayError
from connectors.http import Resilience, ResiliencePolicy, Scrubber, host_of
from connectors.probe import (
    AUTHENTICATION,
    INSTANCE,
    TIME_ZONE,
    WRITES,
    AnswerLog,
    Check,
    CheckVerdict,
    instance_failure,
    stopped,
)
from connectors.rt.capabilities import REQUEST_TRACKER
from connectors.rt.client import Answer, RestClient, auth_header
from connectors.rt.mapping import EXPANSIONS, HISTORY_COLUMNS, ticket_columns

QUEUES = "queues"
TICKETS = "tickets"
HISTORY = "history"
CHECK_NAMES = (INSTANCE, AUTHENTICATION, TIME_ZONE, QUEUES, TICKETS, HISTORY, WRITES)
ZONE_MESSAGE = "UTC, as Request Tracker's REST 2.0 gives every time"
_MAX_QUEUES = 20
_TICKET_RIGHTS = {
    "correspond": "reply (comments, ReplyToTicket)",
    "comment": "comment (workNotes, CommentOnTicket)",
    "lifecycle": "change its status (ticketStatus)",
}


async def probe(
    connection: Connection, transport: httpx.AsyncBaseTransport, *, timeouts: httpx.Timeout
) -> list[Check]:
    """The checks of ``CHECK_NAMES`` for ``connection``, made through ``transport`` (the
    gateway's guarded one), which is closed at the end."""
    credentials = connection.credentials
    answers = AnswerLog(transport)
    async with httpx.AsyncClient(
        transport=answers, timeout=timeouts, follow_redirects=False
    ) as http:
        client = RestClient(
            http,
            instance_url=connection.instance_url,
            host=host_of(connection.instance_url),
            headers={"Authorization": auth_header(credentials)},
            scrub=Scrubber(credentials.secrets()),
            resilience=Resilience(ResiliencePolicy.disabled()),  # one call each: judged as is
        )
        return await _Probe(client, answers, connection).run()


class _Probe:
    def __init__(self, client: RestClient, answers: AnswerLog, connection: Connection) -> None:
        self._client = client
        self._answers = answers
        self._credentials = connection.credentials

    async def run(self) -> list[Check]:
        try:
            version = await self._get("rt")
            account = await self._account()
        except GatewayError as error:
            return self._stopped(error, INSTANCE)
        checks = [
            Check(INSTANCE, CheckVerdict.OK, self._instance(version), blocking=True),
            Check(AUTHENTICATION, CheckVerdict.OK, account, blocking=True),
            Check(TIME_ZONE, CheckVerdict.OK, ZONE_MESSAGE),
        ]
        queues, creatable = await self._queues()
        checks.append(queues)
        try:
            ticket = await self._newest_ticket()
        except GatewayError as error:
            return [*checks, *self._stopped(error, TICKETS)]
        if ticket is None:
            message = "searchable, but the account sees no ticket: history and rights on tickets"
            checks.append(Check(TICKETS, CheckVerdict.OK, message + " were not checked"))
            checks.append(Check(HISTORY, CheckVerdict.SKIPPED, "no ticket to read"))
            checks.append(self._writes(creatable, None))
            return checks
        ticket_id, links = ticket
        checks.append(Check(TICKETS, CheckVerdict.OK, f"read ticket {ticket_id}", blocking=True))
        checks.append(await self._history(ticket_id))
        checks.append(self._writes(creatable, links))
        return checks

    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> Answer:
        self._answers.last = None
        return await self._client.request("GET", path, params=params, operation="probe")

    def _instance(self, answer: Answer) -> str:
        body = answer.body
        version = body.get("Version") if isinstance(body, Mapping) else None
        release = f" {version}" if isinstance(version, str) and version else ""
        return f"Request Tracker{release} at {self._client.host} serves REST 2.0"

    async def _account(self) -> str:
        credentials = self._credentials
        if credentials.auth_type is not AuthType.BASIC:
            return "RT auth token accepted (it acts as the user who made it)"
        name = credentials.username or ""
        user = await self._get(f"user/{quote(name, safe='')}")
        body = user.body if isinstance(user.body, Mapping) else {}
        message = f"basic auth as {name} accepted"
        if body.get("Privileged") in (0, "0", False):
            message += (
                "; the account is unprivileged: it sees only the tickets it requested, so "
                "make it privileged (RT: Admin > Users)"
            )
        return message

    async def _queues(self) -> tuple[Check, list[str]]:
        """The ``queues`` check and the queues the account may create tickets in."""
        try:
            listed = await self._get("queues/all", {"fields": "Name", "per_page": "100"})
            items = _items(listed)
            names: dict[str, str] = {}
            creatable: list[str] = []
            for item in items[:_MAX_QUEUES]:
                ident, name = str(item.get("id", "")), str(item.get("Name", "") or "")
                names[ident] = name or ident
                queue = await self._get(f"queue/{ident}")
                if "create" in _refs(queue.body):
                    creatable.append(names[ident])
        except GatewayError as error:
            seen = self._answers.last
            status = seen.status if seen is not None else None
            message = "the queues cannot be read: ticketJSON.Queue and assignedGroup may fail"
            verdict = CheckVerdict.REFUSED if status == 403 else CheckVerdict.FAILED
            return Check(QUEUES, verdict, message, status, error.message), []
        if not names:
            message = (
                "the account sees no queue (SeeQueue): it can neither create tickets nor move "
                "them between queues"
            )
            return Check(QUEUES, CheckVerdict.REFUSED, message), []
        more = f" (and {len(items) - _MAX_QUEUES} more)" if len(items) > _MAX_QUEUES else ""
        message = f"readable: {', '.join(names.values())}{more}"
        return Check(QUEUES, CheckVerdict.OK, message), creatable

    async def _newest_ticket(self) -> tuple[str, set[str]] | None:
        """The newest ticket the account may see, read with every column the gateway maps, and
        the hyperlinks of its record; ``None`` when it sees none."""
        columns = sorted(ticket_columns(set(REQUEST_TRACKER.readable)))
        params = {
            "query": "id > 0",
            "orderby": "id",
            "order": "DESC",
            "per_page": "1",
            "fields": ",".join(columns),
            **{f"fields[{c}]": EXPANSIONS[c] for c in columns if c in EXPANSIONS},
        }
        items = _items(await self._get("tickets", params))
        if not items:
            return None
        ticket_id = str(items[0].get("id", ""))
        record = await self._get(f"ticket/{ticket_id}")
        return ticket_id, _refs(record.body)

    async def _history(self, ticket_id: str) -> Check:
        params = {"fields": HISTORY_COLUMNS, "per_page": "1"}
        try:
            await self._get(f"ticket/{ticket_id}/history", params)
        except GatewayError as error:
            seen = self._answers.last
            status = seen.status if seen is not None else None
            verdict = CheckVerdict.REFUSED if status == 403 else CheckVerdict.FAILED
            message = (
                "comments, workNotes and closureNotes cannot be read (a fetch asking for them "
                "fails)"
            )
            return Check(HISTORY, verdict, message, status, error.message)
        return Check(HISTORY, CheckVerdict.OK, "comments and workNotes can be read")

    def _writes(self, creatable: list[str], links: set[str] | None) -> Check:
        can, cannot = [], []
        if creatable:
            can.append(f"create tickets in {', '.join(creatable)}")
        else:
            cannot.append("create tickets in any queue it sees (CreateTicket)")
        if links is None:
            cannot_tell = "what it may do to tickets (it sees none)"
        else:
            for ref, what in _TICKET_RIGHTS.items():
                (can if ref in links else cannot).append(what)
            cannot_tell = "whether it may change a ticket's fields (ModifyTicket)"
        message = f"may {'; '.join(can)}" if can else "may write nothing"
        if cannot:
            message += f"; may not {'; '.join(cannot)}"
        message += f"; REST 2.0 cannot tell {cannot_tell} without writing"
        verdict = CheckVerdict.REFUSED if cannot else CheckVerdict.OK
        return Check(WRITES, verdict, message)

    def _stopped(self, error: GatewayError, step: str) -> list[Check]:
        """The checks when ``error`` ended the probe at ``step`` (the first calls: the instance
        or the credentials, as the last exchange tells), and those after it, skipped."""
        failed = self._judge(error, step)
        if step == TICKETS:
            failed = replace(failed, name=TICKETS)
        return stopped(failed, CHECK_NAMES, f"RT at {self._client.host} answers")

    def _judge(self, error: GatewayError, step: str) -> Check:
        seen, detail = self._answers.last, error.message
        advice = (
            "RT answers a client it takes for a browser, or a URL that is not its base, with "
            "its login page; check that the instance URL is RT's base URL (without /REST/2.0)"
        )
        failed = instance_failure(
            error, seen, vendor="Request Tracker", host=self._client.host, login_advice=advice
        )
        if failed is not None or seen is None or seen.status is None:
            return failed or Check(INSTANCE, CheckVerdict.FAILED, detail, blocking=True)
        status = seen.status
        if status == 401:
            needs = (
                "username and password"
                if self._credentials.auth_type is AuthType.BASIC
                else "RT auth token (apiKey)"
            )
            refused = CheckVerdict.REFUSED
            return Check(AUTHENTICATION, refused, f"check the {needs}", status, detail, True)
        if step == INSTANCE:  # the account's own record, refused or missing
            step = AUTHENTICATION
        if status == 403:
            message = (
                "the account may not search tickets (ShowTicket), so the gateway can neither "
                "fetch nor update them; grant it the rights of an agent on the queues it serves"
            )
            return Check(step, CheckVerdict.REFUSED, message, status, detail, blocking=True)
        return Check(step, CheckVerdict.FAILED, detail, status, detail, blocking=True)


def _items(answer: Answer) -> list[Mapping[str, Any]]:
    body = answer.body
    items = body.get("items") if isinstance(body, Mapping) else None
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


def _refs(body: object) -> set[str]:
    """The ``ref`` of every hyperlink of a REST 2.0 record."""
    links = body.get("_hyperlinks") if isinstance(body, Mapping) else None
    if not isinstance(links, list):
        return set()
    return {str(link.get("ref")) for link in links if isinstance(link, Mapping)}
