"""The Request Tracker 5 adapter of ``connectors.port``, over RT's REST 2.0 JSON API:
``RtConnectorFactory`` and the per-request ``RtConnector``.

A ticket's number and its record id are both RT's ticket id. A read is one ticket search with only
the columns the fields need (``mapping``) and, only when notes are asked for, the ticket's history
and attachments, all three concurrently (none needs another's answer: the id is known).

A write (``writes``) is checked before anything is sent, then: the ticket call (``POST /ticket`` or
``PUT /ticket/N``), a read back that compares what RT holds with what was sent (RT answers 200 to
an update whose values it refused, and creates tickets without the values it does not like), the
messages (``Comment``, then ``Correspond``), and the read of the asked fields. A value RT did not
take is answered in the ticket's ``untaken``, named as the caller named it (``ticketStatus``,
``ticketJSON.Status``, ``ticketJSON.CustomFields.Urgency``): the ticket exists, so that is no
error. A ``Status`` sent with a ``Correspond`` travels with the reply, after it: RT reopens an
inactive ticket on every reply, so a reply sent after the resolve would undo it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Any, TypeVar

import httpx

from connectors.connection import Connection
from connectors.errors import (
    BadInput,
    Conflict,
    Forbidden,
    GatewayError,
    ItsmError,
    TicketNotFound,
)
from connectors.fields import ORDERED_FIELDS, TicketField
from connectors.http import Resilience, ResiliencePolicy, Scrubber, host_of, together
from connectors.model import Ticket, UntakenValue, WriteRequest, WrittenTicket
from connectors.probe import Check
from connectors.rt import probe as connection_probe
from connectors.rt.capabilities import REQUEST_TRACKER
from connectors.rt.client import MAX_PAGES, PER_PAGE, Answer, RestClient, auth_header
from connectors.rt.mapping import (
    ATTACHMENT_COLUMNS,
    CORRELATION_ID,
    CUSTOM_FIELDS,
    HISTORY_COLUMNS,
    HISTORY_EXPANSIONS,
    HISTORY_FIELDS,
    TEXT_FIELDS,
    correlation_params,
    custom_field,
    search_params,
    text,
    texts,
    ticket_columns,
    transactions,
    values_from_history,
    values_from_item,
)
from connectors.rt.search import search_tickets
from connectors.rt.writes import RtWrite, check, checked, plan
from connectors.search import SearchPage, SearchRequest

DEFAULT_TABLE = "ticket"  # what RT calls its records; it has queues, not tables
_TICKET_ID = re.compile(r"[1-9][0-9]{0,17}")

T = TypeVar("T")


class RtConnectorFactory:
    """Long-lived: shares the app's one pooled ``httpx.AsyncClient`` (created, configured and
    closed by the app) and the ``Resilience`` every call goes through. RT's credentials are
    static (a password or an auth token), so there is nothing else to keep."""

    itsm_type = "rt"
    default_table = DEFAULT_TABLE
    capabilities = REQUEST_TRACKER

    def __init__(self, http: httpx.AsyncClient, *, resilience: Resilience | None = None) -> None:
        self._http = http
        self._resilience = resilience or Resilience(ResiliencePolicy.disabled())

    def open(
        self, connection: Connection, *, extra_headers: Mapping[str, str] | None = None
    ) -> RtConnector:
        """A connector for one request. ``extra_headers`` (``X-Request-ID``) go on every call."""
        self.capabilities.check_connection(connection)
        credentials = connection.credentials
        client = RestClient(
            self._http,
            instance_url=connection.instance_url,
            host=host_of(connection.instance_url),
            headers={**(extra_headers or {}), "Authorization": auth_header(credentials)},
            scrub=Scrubber(credentials.secrets()),
            resilience=self._resilience,
            account=credentials.account_key(),
        )
        return RtConnector(client, queues=connection.scopes)

    def check_names(self, table: str | None) -> tuple[str, ...]:
        """``check-connection``'s checks (``rt.probe``)."""
        return connection_probe.CHECK_NAMES

    async def probe(
        self,
        connection: Connection,
        transport: httpx.AsyncBaseTransport,
        *,
        timeouts: httpx.Timeout,
    ) -> list[Check]:
        """``check-connection``: what the account may do here, without writing anything."""
        self.capabilities.check_connection(connection)
        return await connection_probe.probe(connection, transport, timeouts=timeouts)

    async def aclose(self) -> None:
        """Nothing of its own to release; the HTTP client belongs to the app."""


@dataclass
class _Progress:
    """What a write has done so far, to say in any error after it."""

    verb: str  # "created" or "updated"
    ticket_id: str
    applied: list[str] = field(default_factory=list)
    posted: list[str] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return self.verb == "created" or bool(self.applied or self.posted)

    def done(self) -> str:
        parts = [f"applied {', '.join(self.applied)}"] if self.applied else []
        parts += [f"posted the {' and the '.join(self.posted)}"] if self.posted else []
        return " and ".join(parts)


class RtConnector:
    """``queues``: the queues a connection profile opens (casefolded names); ``None`` for a
    caller's own credentials. A profile's tickets are held to them: a fetch or update of a
    ticket in another queue is 404 (as if it did not exist), and a create or a move into one is
    403, before anything is written."""

    def __init__(self, client: RestClient, *, queues: frozenset[str] | None = None) -> None:
        self._client = client
        self._queues = queues

    async def fetch(self, number: str, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        """RT keeps every time in UTC, so ``zone`` is never needed."""
        ticket_id = _ticket_id("ticketNumber", number)
        ticket, item = await self._read(ticket_id, fields, self._queue_column)
        self._check_held(ticket_id, item)
        return ticket

    async def find_correlated(
        self, correlation_id: str, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket | None:
        """``connectors.correlation``: one TicketSQL search on the custom field CorrelationId,
        then the ticket found read as ``fetch`` reads it."""
        if not CORRELATION_ID.fullmatch(correlation_id):
            raise BadInput(
                "correlationId cannot be looked up in Request Tracker: at most 255 letters, "
                "digits and . _ : / -, starting with a letter or digit"
            )
        name = CUSTOM_FIELDS[TicketField.CORRELATION_ID]
        answer = await self._client.request(
            "GET",
            "tickets",
            params=correlation_params(correlation_id, {"CustomFields", *self._queue_column}),
            operation="read_ticket",
        )
        # Never trust the query (as in fetch): only a ticket holding that very value matches,
        # and only in the profile's queues.
        matches = [
            item
            for item in _items(answer, self._client.name)
            if custom_field(item, name)[1] == [correlation_id] and self._holds(item)
        ]
        if not matches:
            return None
        if len(matches) > 1:
            raise Conflict(
                f"correlationId {correlation_id} matches more than one ticket in "
                f"{self._client.name}"
            )
        ticket, _ = await self._read(text(matches[0].get("id")), fields)
        return ticket

    def _holds(self, item: Mapping[str, Any]) -> bool:
        try:
            self._check_held(text(item.get("id")), item)
        except TicketNotFound:
            return False
        return True

    @property
    def _queue_column(self) -> frozenset[str]:
        return frozenset({"Queue"}) if self._queues is not None else frozenset()

    def _check_held(self, ticket_id: str, item: Mapping[str, Any]) -> None:
        """``TicketNotFound`` for a ticket outside the profile's queues."""
        if self._queues is None:
            return
        queue = item.get("Queue")
        name = text(queue.get("Name")) if isinstance(queue, Mapping) else ""
        if name.casefold() not in self._queues:
            raise TicketNotFound(self._not_found(ticket_id))

    def _check_destination(self, planned: RtWrite) -> None:
        """``Forbidden`` for a create in, or a move to, a queue outside the profile's."""
        if self._queues is None or "Queue" not in planned.fields:
            return
        queue = planned.fields["Queue"]
        named = queue.strip() if isinstance(queue, str) else ""
        if named.isdigit() or not named:
            raise BadInput(
                "ticketJSON.Queue: through a connection profile, name the queue (such as "
                "General), not its id"
            )
        if named.casefold() not in self._queues:
            raise Forbidden(
                f"this connection profile opens the queues {', '.join(sorted(self._queues))} "
                f"only; queue {named[:80]!r} is not one of them (the gateway's operator lists "
                "them in the profile's tables)"
            )

    async def create(self, write: WriteRequest, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        planned = plan(write, creating=True)
        self._check_destination(planned)
        body = _ticket_body(planned)
        answer = await self._client.request("POST", "ticket", body=body, operation="create_ticket")
        progress = _Progress("created", self._created_id(answer))
        return await self._finish(progress, planned, body, [], fields)

    async def update(
        self, sys_id: str, write: WriteRequest, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket:
        ticket_id = _ticket_id("sysId", sys_id)
        planned = plan(write, creating=False)
        self._check_destination(planned)
        if self._queues is not None:
            # Where the ticket is now, before anything is written to it.
            self._check_held(ticket_id, await self._item(ticket_id, self._queue_column))
        body = _ticket_body(planned)
        said: list[str] = []
        if body:
            answer = await self._client.request(
                "PUT",
                f"ticket/{ticket_id}",
                body=body,
                operation="update_ticket",
                not_found=self._not_found(ticket_id),
            )
            said = _messages(answer.body)
        else:
            await self._item(ticket_id, set())  # a 404 now, rather than RT's 400 on a message
        return await self._finish(_Progress("updated", ticket_id), planned, body, said, fields)

    async def _finish(
        self,
        progress: _Progress,
        planned: RtWrite,
        sent: Mapping[str, Any],
        said: list[str],
        fields: Set[TicketField],
    ) -> Ticket:
        """After the ticket call: post the messages, read the asked fields, and compare what RT
        holds with what was sent. A value RT did not take is answered in the ticket's
        ``untaken`` (the ticket exists, and the messages are values the caller asked for too, so
        they are posted anyway); any error from here on says what was already done and names
        the ticket (``error.written``)."""
        ticket_id = progress.ticket_id
        try:
            untaken: list[UntakenValue] = []
            to_check = sent
            if planned.comment is not None or planned.correspond is not None:
                if sent:
                    item = await self._item(ticket_id, checked(sent))
                    untaken += self._judge(progress, planned, sent, item, said)
                to_check = {}
                if planned.comment is not None:
                    said = await self._post(ticket_id, "comment", {"Content": planned.comment})
                    progress.posted.append("Comment")
                if planned.correspond is not None:
                    reply: dict[str, Any] = {"Content": planned.correspond}
                    if "Status" in planned.fields and "Status" not in sent:
                        reply["Status"] = to_check["Status"] = planned.fields["Status"]
                    said = await self._post(ticket_id, "correspond", reply)
                    progress.posted.append("Correspond")
            ticket, item = await self._read(ticket_id, fields, checked(to_check))
            untaken += self._judge(progress, planned, to_check, item, said)
            return replace(ticket, untaken=tuple(untaken))
        except GatewayError as error:
            raise self._explained(error, progress) from None

    @staticmethod
    def _judge(
        progress: _Progress,
        planned: RtWrite,
        sent: Mapping[str, Any],
        item: Mapping[str, Any],
        said: list[str],
    ) -> list[UntakenValue]:
        """The sent values RT does not hold, named as the caller named them, with RT's own
        words about each when it said any (RT answers 200 to an update whose values it refused,
        and creates tickets without the values it does not like)."""
        applied, refused = check(sent, item)
        progress.applied.extend(applied)
        return [
            UntakenValue(
                field=planned.caller_name(value.name),
                sent=_as_text(value.sent),
                held=value.now,
                reason=value.reason or _rt_said(value.name, said),
            )
            for value in refused
        ]

    def _explained(self, error: GatewayError, progress: _Progress) -> GatewayError:
        """``error``, naming the ticket the write reached (``written``: RT's ticket id is both
        its number and its record id) and saying what the write had done before it; flagged as
        possibly applied (so an idempotent create is not sent again) when anything was."""
        error.written = WrittenTicket(progress.ticket_id, progress.ticket_id)
        if not progress.anything:
            return error
        ticket = f"ticket {progress.ticket_id}"
        done = progress.done()
        if progress.verb == "created":
            head = f"{self._client.name} created {ticket}" + (f" ({done})" if done else "")
            tail = "the ticket exists: correct it with an update rather than creating it again"
        else:
            head = f"{self._client.name} updated {ticket} ({done})"
            tail = "fetch the ticket before sending the update again"
        error.message = f"{head}, but then: {error.message}; {tail}"
        error.args = (error.message,)
        error.outcome_unknown = True
        return error

    async def _post(self, ticket_id: str, kind: str, body: dict[str, Any]) -> list[str]:
        body["ContentType"] = "text/plain"
        answer = await self._client.request(
            "POST", f"ticket/{ticket_id}/{kind}", body=body, operation="add_journal"
        )
        return _messages(answer.body)

    async def _read(
        self, ticket_id: str, fields: Set[TicketField], columns: Set[str] = frozenset()
    ) -> tuple[Ticket, Mapping[str, Any]]:
        """The asked fields (and the search item, with ``columns`` besides, for checks). Fields
        RT cannot provide are left out (the use cases refuse them before any call)."""
        fields = {f for f in fields if f in REQUEST_TRACKER.readable}
        wants_history = bool(fields & HISTORY_FIELDS)
        wants_text = bool(fields & TEXT_FIELDS)
        item, history, attachments = await together(
            self._item(ticket_id, ticket_columns(fields) | set(columns)),
            self._pages(
                f"ticket/{ticket_id}/history", HISTORY_COLUMNS, "read_journal", HISTORY_EXPANSIONS
            )
            if wants_history
            else None,
            self._pages(f"ticket/{ticket_id}/attachments", ATTACHMENT_COLUMNS, "read_attachments")
            if wants_text
            else None,
        )
        values = values_from_item(item, fields)
        if history is not None:
            values.update(
                values_from_history(transactions(history), texts(attachments or ()), item, fields)
            )
        return Ticket(values={f: values[f] for f in ORDERED_FIELDS if f in fields}), item

    async def _item(self, ticket_id: str, columns: Set[str]) -> Mapping[str, Any]:
        answer = await self._client.request(
            "GET", "tickets", params=search_params(ticket_id, columns), operation="read_ticket"
        )
        # Never trust the query: only the ticket with that very id answers for it.
        matches = [i for i in _items(answer, self._client.name) if text(i.get("id")) == ticket_id]
        if not matches:
            raise TicketNotFound(self._not_found(ticket_id))
        return matches[0]

    async def _pages(
        self,
        path: str,
        columns: str,
        operation: str,
        expansions: Mapping[str, str] | None = None,
    ) -> list[Mapping[str, Any]]:
        """Every item of a collection. RT gives no total to an account that is not a superuser,
        and leaves out of a page the items the account may not see (outgoing mail records), so
        a short page is not the last: pages are read until one comes back empty."""
        found: list[Mapping[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            params = {
                "fields": columns,
                **(expansions or {}),
                "per_page": str(PER_PAGE),
                "page": str(page),
            }
            answer = await self._client.request("GET", path, params=params, operation=operation)
            items = _items(answer, self._client.name)
            found.extend(items)
            pages = answer.body.get("pages") if isinstance(answer.body, Mapping) else None
            last = page >= pages if isinstance(pages, int | float) else not items
            if last:
                return found
        raise ItsmError(
            f"{self._client.name} holds more than {MAX_PAGES * PER_PAGE} entries for "
            f"{path.split('/')[2]} of that ticket; the gateway reads no more than that"
        )

    def _created_id(self, answer: Answer) -> str:
        body = answer.body
        ident = text(body.get("id")) if isinstance(body, Mapping) else ""
        if not _TICKET_ID.fullmatch(ident):
            # Created, but which? Say so rather than guess; a retry would create another.
            error = ItsmError(
                f"{self._client.name} answered the create without a ticket id; the ticket may "
                "exist: search RT for it before creating it again"
            )
            error.outcome_unknown = True
            raise error
        return ident

    async def search(
        self, request: SearchRequest, fields: Set[TicketField], zone: tzinfo
    ) -> SearchPage:
        """One page of ``connectors.rt.search``, within the profile's queues; RT keeps every
        time in UTC, so ``zone`` is never needed."""
        return await search_tickets(self._client, request, fields, queues=self._queues)

    def _not_found(self, ticket_id: str) -> str:
        return f"No ticket {ticket_id} in {self._client.name}"


def _ticket_id(what: str, value: str) -> str:
    ident = (value or "").strip()
    if not _TICKET_ID.fullmatch(ident):
        raise BadInput(f"{what} must be a Request Tracker ticket id: a number such as 17")
    return ident


def _ticket_body(planned: RtWrite) -> dict[str, Any]:
    """The fields for the ticket call. A Status goes with a reply instead, after it: RT reopens
    an inactive ticket on every reply."""
    body = dict(planned.fields)
    if planned.correspond is not None:
        body.pop("Status", None)
    return body


def _as_text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _rt_said(name: str, said: list[str]) -> str:
    """RT's own sentences about ``name`` ("Ticket 7: Status 'bogus' isn't a valid status for
    this ticket."), when it said any: the reason a value did not take, in RT's words."""
    word = name.rsplit(".", 1)[-1].casefold()
    return " ".join(line for line in said if word in line.casefold())


def _messages(body: object) -> list[str]:
    """RT's answer to an update or a message: a list of sentences."""
    if isinstance(body, list):
        return [text(line) for line in body if line is not None]
    return []


def _items(answer: Answer, name: str) -> list[Mapping[str, Any]]:
    body = answer.body
    items = body.get("items") if isinstance(body, Mapping) else None
    if not isinstance(items, list):
        raise ItsmError(f"{name} answered {answer.status} without the items of a collection")
    return [item for item in items if isinstance(item, Mapping)]
