"""The ServiceNow adapter of ``connectors.port``: ``ServiceNowConnectorFactory`` and the
per-request ``ServiceNowConnector``.

Each use case makes one Table API call for the incident (asking only for the columns the fields
need, with ``sysparm_display_value=all`` so one answer carries labels and stored values), then,
concurrently and only when asked, one journal call and one SLA call. When the caller named no
zone and the journal fallback must read local times, the account's zone is learned first
(``servicenow.account_zone``: one call per account per hour, cached in the factory). People
ServiceNow gives only by user name (``sys_created_by``, ``sys_updated_by``, journal rows' authors)
are answered by display name: one ``sys_user`` call for all of an answer's, cached
(``servicenow.directory``).

A create or update first looks up what it names (``servicenow.prepare``: people, groups,
choices), then sends one POST or PATCH asking for the written columns back, and reports each
value ServiceNow does not hold (``servicenow.verify``) in ``Ticket.untaken``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Set
from dataclasses import replace
from datetime import UTC, tzinfo
from functools import partial
from typing import Any, TypeVar

import httpx

from connectors.connection import Connection
from connectors.errors import BadInput, Conflict, GatewayError, ItsmError, TicketNotFound
from connectors.fields import ORDERED_FIELDS, TicketField
from connectors.http import Resilience, ResiliencePolicy, Scrubber, host_of, together
from connectors.model import FieldValue, Note, RefusedRead, Ticket, WriteRequest, WrittenTicket
from connectors.probe import Check
from connectors.search import SearchPage, SearchRequest
from connectors.servicenow import probe as connection_probe
from connectors.servicenow.account_zone import (
    DEFAULT_TTL,
    AccountZones,
    LearnedZone,
    checked_zone,
)
from connectors.servicenow.answers import AccessDenied
from connectors.servicenow.auth import OAuthTokenCache, servicenow_auth
from connectors.servicenow.capabilities import SERVICENOW
from connectors.servicenow.client import QUERY_UNSAFE, Rows, TableClient
from connectors.servicenow.directory import DEFAULT_TTL as DIRECTORY_TTL
from connectors.servicenow.directory import Directory, DirectoryCache
from connectors.servicenow.display_journal import COMMENTS, WORK_NOTES, notes_from_display
from connectors.servicenow.mapping import (
    JOURNAL_FIELDS,
    SLA_FIELDS,
    cell,
    incident_columns,
    notes_from_journal,
    unreadable_columns,
    values_from_row,
)
from connectors.servicenow.optional_reads import (
    JOURNAL_REFUSED,
    Stream,
    column_refused,
    whole,
)
from connectors.servicenow.page_reads import (
    DENIED,
    Denied,
    PageReads,
    journal_params,
    page_sys_id,
    sla_params,
    time_left_of,
)
from connectors.servicenow.prepare import (
    PreparedWrite,
    judging_choices,
    missing_close_before_lookups,
    prepare_write,
)
from connectors.servicenow.search import encoded_search, row_matches
from connectors.servicenow.ttl_cache import account_key
from connectors.servicenow.verify import SentValue, untaken_values
from connectors.servicenow.writes import CLOSE_COLUMNS, missing_close
from connectors.zones import is_account_zone

log = logging.getLogger(__name__)

DEFAULT_TABLE = "incident"
_SYS_ID = re.compile(r"[0-9a-fA-F]{32}")
_COLUMN = re.compile(r"[A-Za-z0-9_]+")

T = TypeVar("T")


class ServiceNowConnectorFactory:
    """Long-lived: shares the app's one pooled ``httpx.AsyncClient`` (created, configured and
    closed by the app) and owns the OAuth token cache and the ``Resilience`` (retries, a circuit
    breaker and a concurrency limit per instance URL) that every call, token fetches included,
    goes through. Without ``resilience`` every call is sent once, unguarded. It also caches each
    account's zone (``servicenow.account_zone``) for ``zone_ttl`` seconds, and the people,
    groups, choices and display names it looked up (``servicenow.directory``) for
    ``directory_ttl`` seconds."""

    itsm_type = "servicenow"
    default_table = DEFAULT_TABLE
    capabilities = SERVICENOW

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        resilience: Resilience | None = None,
        zone_ttl: float = DEFAULT_TTL,
        directory_ttl: float = DIRECTORY_TTL,
    ) -> None:
        self._http = http
        self._resilience = resilience or Resilience(ResiliencePolicy.disabled())
        self._tokens = OAuthTokenCache(http, clock=clock, resilience=self._resilience)
        self._zones = AccountZones(ttl=zone_ttl, clock=clock)
        self._directory = DirectoryCache(ttl=directory_ttl, clock=clock)

    def open(
        self, connection: Connection, *, extra_headers: Mapping[str, str] | None = None
    ) -> ServiceNowConnector:
        """A connector for one request. ``extra_headers`` (``X-Request-ID``) go on every call."""
        credentials = connection.credentials
        credentials.check_complete(connection.within)
        table = connection.table or self.default_table
        self.capabilities.check_connection(connection)
        host = host_of(connection.instance_url)
        scrub = Scrubber(credentials.secrets())
        headers = dict(extra_headers or {})
        auth = servicenow_auth(
            credentials,
            connection.instance_url,
            self._tokens,
            host=host,
            scrub=scrub,
            headers=headers,
        )
        client = TableClient(
            self._http,
            instance_url=connection.instance_url,
            host=host,
            auth=auth,
            scrub=scrub,
            headers=headers,
            resilience=self._resilience,
            account=credentials.account_key(),
        )

        def get(table: str, params: Mapping[str, str]) -> Awaitable[Any]:
            return client.call("GET", table, params)

        learn_zone = partial(self._zones.zone_of, connection.instance_url, credentials, get)

        def look_up(table: str, params: Mapping[str, str]) -> Awaitable[Any]:
            return client.call("GET", table, params, operation="read_directory")

        directory = Directory(
            self._directory, account_key(connection.instance_url, credentials), look_up, host=host
        )
        return ServiceNowConnector(client, table=table, learn_zone=learn_zone, directory=directory)

    def check_names(self, table: str | None) -> tuple[str, ...]:
        """``check-connection``'s checks (``servicenow.probe``)."""
        return connection_probe.check_names(table or self.default_table)

    async def probe(
        self,
        connection: Connection,
        transport: httpx.AsyncBaseTransport,
        *,
        timeouts: httpx.Timeout,
    ) -> list[Check]:
        """``check-connection``: what the account may do here, without writing anything."""
        self.capabilities.check_connection(connection)
        connection = replace(connection, table=connection.table or self.default_table)
        return await connection_probe.probe(connection, transport, timeouts=timeouts)

    async def aclose(self) -> None:
        """Forget cached tokens, zones and lookups; the HTTP client belongs to the app, which
        closes it."""
        self._tokens.clear()
        self._zones.clear()
        self._directory.clear()


class ServiceNowConnector:
    """``learn_zone`` gives the account's zone when the caller named none (``ACCOUNT_ZONE``);
    without it such times are read as UTC. ``directory`` looks people, groups, choices and
    display names up; without it names are sent as given and user names answered as such."""

    def __init__(
        self,
        client: TableClient,
        *,
        table: str = DEFAULT_TABLE,
        learn_zone: Callable[[], Awaitable[LearnedZone]] | None = None,
        directory: Directory | None = None,
    ) -> None:
        self._client = client
        self._table = table
        self._learn_zone = learn_zone
        self._directory = directory

    async def fetch(self, number: str, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        if not number or not number.strip() or QUERY_UNSAFE.search(number):
            raise BadInput(
                "ticketNumber must be a ticket number such as INC0010001 (no ^, =, commas or "
                "line breaks)"
            )
        params = {
            "sysparm_query": f"number={number}",
            **self._record_params(fields, zone),
            "sysparm_limit": "2",
        }
        rows = _rows(await self._client.call("GET", self._table, params), self._client.host)
        # Never trust the filter: a query part ServiceNow cannot read is silently ignored.
        # Case-insensitive, as ServiceNow's own string comparison in the query is.
        matches = [row for row in rows if cell(row, "number")[1].casefold() == number.casefold()]
        if not matches:
            raise TicketNotFound(f"No {self._table} with number {number} in {self._client.host}")
        if len(matches) > 1:
            raise Conflict(
                f"ticketNumber {number} matches more than one {self._table} in "
                f"{self._client.host}; use its sysId"
            )
        return await self._ticket(matches[0], fields, zone)

    async def find_correlated(
        self, correlation_id: str, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket | None:
        """``connectors.correlation``: one query on the table's ``correlation_id`` column."""
        if not correlation_id.strip() or QUERY_UNSAFE.search(correlation_id):
            raise BadInput(
                "correlationId cannot be looked up in ServiceNow: it is empty or holds ^, =, "
                "commas or line breaks"
            )
        params = {
            "sysparm_query": f"correlation_id={correlation_id}",
            **self._record_params(fields, zone),
            "sysparm_limit": "2",
        }
        params["sysparm_fields"] = ",".join(
            sorted({*params["sysparm_fields"].split(","), "correlation_id"})
        )
        rows = _rows(await self._client.call("GET", self._table, params), self._client.host)
        # Never trust the filter (as in fetch): an ignored query part returns the whole table.
        matches = [row for row in rows if cell(row, "correlation_id")[1] == correlation_id]
        if not matches:
            return None
        if len(matches) > 1:
            raise Conflict(
                f"correlationId {correlation_id} matches more than one {self._table} in "
                f"{self._client.host}"
            )
        return await self._ticket(matches[0], fields, zone)

    async def create(self, write: WriteRequest, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        # Refused before any lookup when the caller's own labels already tell; checked again
        # with the instance's codes once they are known.
        missing = missing_close_before_lookups(write) if self._table == DEFAULT_TABLE else ()
        if missing:
            raise BadInput(f"{_CLOSE_RULE}; add {' and '.join(missing)} to ticketJSON")
        prepared = await prepare_write(write, self._directory, self._table)
        missing = self._missing_close(prepared.body)
        if missing:
            raise BadInput(f"{_CLOSE_RULE}; add {' and '.join(missing)} to ticketJSON")
        row, choices = await together(
            self._client.call(
                "POST", self._table, self._write_params(fields, zone, prepared), body=prepared.body
            ),
            judging_choices(prepared, self._directory, self._table),
        )
        return await self._read_back(row, "created", fields, zone, prepared.judged_with(choices))

    async def update(
        self, sys_id: str, write: WriteRequest, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket:
        if not _SYS_ID.fullmatch(sys_id or ""):
            raise BadInput("sysId must be a ServiceNow sys_id: 32 hexadecimal characters")
        prepared = await prepare_write(write, self._directory, self._table)
        not_found = f"No {self._table} with sys_id {sys_id} in {self._client.host}"
        missing = self._missing_close(prepared.body)
        if missing:
            # The record may already carry them: read before refusing.
            params = {"sysparm_fields": ",".join(CLOSE_COLUMNS), "sysparm_display_value": "false"}
            record = _record(
                await self._client.call(
                    "GET", f"{self._table}/{sys_id}", params, not_found=not_found
                ),
                self._client.host,
            )
            missing = tuple(c for c in missing if not cell(record, c)[1].strip())
            if missing:
                raise BadInput(
                    f"{_CLOSE_RULE}; the {self._table} has no {' and no '.join(missing)} "
                    f"yet, so add {' and '.join(missing)} to ticketJSON"
                )
        row, choices = await together(
            self._client.call(
                "PATCH",
                f"{self._table}/{sys_id}",
                self._write_params(fields, zone, prepared),
                body=prepared.body,
                not_found=not_found,
            ),
            judging_choices(prepared, self._directory, self._table),
        )
        return await self._read_back(row, "updated", fields, zone, prepared.judged_with(choices))

    async def _read_back(
        self,
        row: object,
        done: str,
        fields: Set[TicketField],
        zone: tzinfo,
        sent: tuple[SentValue, ...],
    ) -> Ticket:
        """The written record as a ticket (with its journal and SLA calls when asked), with the
        values ServiceNow does not hold in ``untaken`` (the ticket exists: no error for them).

        The write is applied by now: if anything fails from here on, the error must not invite
        the caller to send the write again (a second incident, a comment twice), so it is
        flagged ``outcome_unknown``, says what happened, and carries the ticket's number and
        sys_id when the answer gave them (``error.written``).
        """
        try:
            record = _record(row, self._client.host)
            ticket = await self._ticket(record, fields, zone)
        except GatewayError as error:
            number = cell(row, "number")[1] if isinstance(row, Mapping) else ""
            sys_id = cell(row, "sys_id")[1] if isinstance(row, Mapping) else ""
            if number and _SYS_ID.fullmatch(sys_id):
                error.written = WrittenTicket(number, sys_id)
            error.outcome_unknown = True
            error.message = (
                f"ServiceNow at {self._client.host} {done} the {self._table}"
                f"{' ' + number if number else ''}, but reading it back failed: "
                f"{error.message}; do not send the write again, fetch the {self._table} instead"
            )
            error.args = (error.message,)
            raise
        return replace(ticket, untaken=untaken_values(sent, record, self._table))

    def _missing_close(self, body: Mapping[str, object]) -> tuple[str, ...]:
        # The close_code/close_notes rule is the incident's data policy; other tables (sc_task,
        # change_request) use other state codes and may have no close_code at all.
        return missing_close(body) if self._table == DEFAULT_TABLE else ()

    def _write_params(
        self, fields: Set[TicketField], zone: tzinfo, prepared: PreparedWrite
    ) -> dict[str, str]:
        """The record's params, asking for the written columns back too, so that the answer
        alone tells whether each took (a key that is no column name is left out: the answer then
        lacks it, which is what it is)."""
        params = self._record_params(fields, zone)
        written = {column for column in prepared.body if _COLUMN.fullmatch(column)}
        params["sysparm_fields"] = ",".join(
            sorted({*params["sysparm_fields"].split(","), *written})
        )
        return params

    @staticmethod
    def _record_params(fields: Set[TicketField], zone: tzinfo) -> dict[str, str]:
        columns = incident_columns(fields)
        if is_account_zone(zone) and fields & JOURNAL_FIELDS:
            # Datetime pairs to check the account's zone against, should the journal fallback
            # read local times: in the same call, so no extra one.
            columns = ",".join(sorted({*columns.split(","), *_ZONE_CHECK_COLUMNS}))
        return {
            "sysparm_display_value": "all",
            "sysparm_exclude_reference_link": "true",
            "sysparm_fields": columns,
        }

    async def _local_zone(self, row: Mapping[str, Any], zone: tzinfo) -> tzinfo:
        """The zone of the local times in ``row``'s display values: the caller's, or when the
        caller named none the account's, checked against the record's own datetime pairs."""
        if not is_account_zone(zone):
            return zone
        if self._learn_zone is None:
            return UTC
        return checked_zone(await self._learn_zone(), row, self._client.host)

    async def search(
        self, request: SearchRequest, fields: Set[TicketField], zone: tzinfo
    ) -> SearchPage:
        """One page: one row call, then for all its tickets together at most one journal call
        and one SLA call (``servicenow.search`` builds the query)."""
        wanted = await encoded_search(request, self._directory, self._table)
        params = {"sysparm_query": wanted.query, **self._record_params(fields, zone)}
        if wanted.correlation_id is not None:
            params["sysparm_fields"] += ",correlation_id"
        params["sysparm_limit"] = str(request.first)
        params["sysparm_offset"] = str(wanted.offset)
        answer = await self._client.call("GET", self._table, params)
        total = answer.total if isinstance(answer, Rows) else None
        answered = _rows(answer, self._client.host)
        rows = [
            row
            for row in answered
            if row_matches(wanted, cell(row, "number")[1], cell(row, "correlation_id")[1])
        ]
        sys_ids = [page_sys_id(row, self._client.host) for row in rows]
        reads = await self._page_reads(sys_ids, fields)
        await self._learn_page_names(rows, reads, fields)
        tickets = [await self._ticket(row, fields, zone, reads) for row in rows]
        # ServiceNow applies the limit before its ACLs: a page may come back short of ``first``
        # and yet not be the last, so the next page starts after the whole window asked for,
        # and X-Total-Count (counted before ACLs too) says whether one follows.
        end = wanted.offset + request.first
        more = end < total if total is not None else len(answered) == request.first
        return SearchPage(tuple(tickets), str(end) if more else None, total)

    async def _page_reads(self, sys_ids: list[str], fields: Set[TicketField]) -> PageReads:
        """The journal and SLA rows of every ticket of a page, one call each, when asked."""
        if not sys_ids:
            return PageReads()
        journal, slas = await together(
            self._read_optional(journal_params(sys_ids)) if fields & JOURNAL_FIELDS else None,
            self._read_optional(sla_params(sys_ids)) if fields & SLA_FIELDS else None,
        )
        return PageReads(journal, slas)

    async def _learn_page_names(
        self, rows: list[Mapping[str, Any]], reads: PageReads, fields: Set[TicketField]
    ) -> None:
        """The display names of every user name the page answers with, in one ``sys_user``
        call for the whole page (cached), so that naming each ticket's people makes none."""
        user_names = {
            cell(row, column)[1]
            for row in rows
            for field, column in _BY_USER_NAME_COLUMNS.items()
            if field in fields
        }
        if isinstance(reads.journal, list):
            user_names.update(cell(row, "sys_created_by")[1] for row in reads.journal)
        user_names.discard("")
        if not user_names or self._directory is None:
            return
        try:
            await self._directory.display_names(user_names)
        except GatewayError as error:  # each ticket then answers by user name, as a fetch does
            log.warning("ServiceNow display names not looked up: %s", error.message)

    async def _read_optional(
        self, read: tuple[str, dict[str, str]]
    ) -> list[Mapping[str, Any]] | Denied:
        table, params = read
        try:
            return _rows(await self._client.call("GET", table, params), self._client.host)
        except AccessDenied:
            # A value, not the exception: ``together`` raises any exception it is given back.
            return DENIED

    async def _ticket(
        self,
        row: Mapping[str, Any],
        fields: Set[TicketField],
        zone: tzinfo,
        page: PageReads | None = None,
    ) -> Ticket:
        """The ticket of ``row``, its journal and SLA read for it alone, or taken from the
        ``page``'s reads when it is one of a search's tickets."""
        values = values_from_row(row, fields)
        # A column a field ACL hides is absent from the row (answered empty above): say why.
        refused: dict[TicketField, str] = {
            field: column_refused(self._table, column)
            for field, column in unreadable_columns(row, fields).items()
        }
        streams: dict[TicketField, Stream] = {}
        wants_journal = bool(fields & JOURNAL_FIELDS)
        wants_sla = TicketField.TICKET_BUSINESS_TIME_LEFT in fields
        if wants_journal or wants_sla:
            sys_id = cell(row, "sys_id")[1]
            if not _SYS_ID.fullmatch(sys_id):
                raise ItsmError(
                    f"ServiceNow at {self._client.host} answered a record without a sys_id"
                )
            if page is None:
                journal, time_left = await together(
                    self._journals(row, sys_id, zone) if wants_journal else None,
                    self._time_left(sys_id) if wants_sla else None,
                )
            else:
                journal = (
                    await self._streams(row, sys_id, zone, page.journal)
                    if wants_journal and page.journal is not None
                    else None
                )
                time_left = time_left_of(page.slas, sys_id) if wants_sla else None
            if isinstance(journal, RefusedRead):
                refused.update(dict.fromkeys(fields & JOURNAL_FIELDS, journal.message))
                values[TicketField.COMMENTS] = values[TicketField.WORK_NOTES] = ()
            elif journal is not None:
                streams = dict(
                    zip((TicketField.COMMENTS, TicketField.WORK_NOTES), journal, strict=True)
                )
                for field, stream in streams.items():
                    values[field] = stream.notes
            if isinstance(time_left, RefusedRead):
                refused[TicketField.TICKET_BUSINESS_TIME_LEFT] = time_left.message
                values[TicketField.TICKET_BUSINESS_TIME_LEFT] = None
            elif wants_sla:
                values[TicketField.TICKET_BUSINESS_TIME_LEFT] = time_left
        await self._name_people(values, fields, streams)
        return Ticket(
            values={field: values[field] for field in ORDERED_FIELDS if field in fields},
            refused=refused,
        )

    async def _name_people(
        self,
        values: dict[TicketField, FieldValue],
        fields: Set[TicketField],
        streams: Mapping[TicketField, Stream],
    ) -> None:
        """Answer by display name the people ServiceNow gives by user name: ``createdBy``,
        ``updatedBy`` and the authors of ``sys_journal_field`` rows; one call for them all.
        Should it fail, the user names stay (a WARNING says so): they are not worth the ticket."""
        by_user = [field for field in _BY_USER_NAME if field in fields and values.get(field)]
        user_names = {str(values[field]) for field in by_user}
        for stream in streams.values():
            if stream.by_user_name:
                user_names.update(note.author for note in stream.notes if note.author)
        if not user_names or self._directory is None:
            return
        try:
            names = await self._directory.display_names(user_names)
        except GatewayError as error:
            log.warning("ServiceNow display names not looked up: %s", error.message)
            return
        for field in by_user:
            values[field] = names.get(str(values[field]), str(values[field]))
        for field, stream in streams.items():
            if stream.by_user_name:
                values[field] = tuple(
                    replace(note, author=names.get(note.author, note.author))
                    if note.author
                    else note
                    for note in stream.notes
                )

    async def _journals(
        self, row: Mapping[str, Any], sys_id: str, zone: tzinfo
    ) -> tuple[Stream, Stream] | RefusedRead:
        """``(comments, work notes)``, or the refusal when the account may read
        neither ``sys_journal_field`` nor the record's own journal fields.

        The record's display text of ``comments`` / ``work_notes`` came with the record read (at
        no extra call). It is the fallback when ``sys_journal_field`` is refused (403), and also
        when that table answers with fewer entries of a stream than the display text holds: ACLs
        on ``sys_journal_field`` filter rows out of a list read and still answer 200.
        """
        table, params = journal_params([sys_id])
        try:
            rows = _rows(await self._client.call("GET", table, params), self._client.host)
        except AccessDenied:
            return await self._streams(row, sys_id, zone, DENIED)
        return await self._streams(row, sys_id, zone, rows)

    async def _streams(
        self,
        row: Mapping[str, Any],
        sys_id: str,
        zone: tzinfo,
        rows: list[Mapping[str, Any]] | Denied,
    ) -> tuple[Stream, Stream] | RefusedRead:
        """``_journals`` once ``sys_journal_field`` answered ``rows`` (which may hold other
        tickets' notes, dropped here) or refused them."""
        if isinstance(rows, Denied):
            if "comments" not in row and "work_notes" not in row:
                return RefusedRead(JOURNAL_REFUSED)
            # Integration accounts are often refused sys_journal_field: read the display text
            # the incident answer already carries (local times, full names).
            comments, work_notes = _display_notes(row, await self._local_zone(row, zone))
            return Stream(comments, by_user_name=False), Stream(work_notes, by_user_name=False)
        comments, work_notes = notes_from_journal(rows, sys_id)
        shown = _display_notes(row, zone)
        if len(shown[0]) > len(comments) or len(shown[1]) > len(work_notes):
            # The display text will be used: only now is its zone worth learning.
            local = await self._local_zone(row, zone)
            if local is not zone:
                shown = _display_notes(row, local)
        return whole(comments, shown[0]), whole(work_notes, shown[1])

    async def _time_left(self, sys_id: str) -> str | RefusedRead | None:
        table, params = sla_params([sys_id])
        try:
            rows = _rows(await self._client.call("GET", table, params), self._client.host)
        except AccessDenied:
            return time_left_of(DENIED, sys_id)
        return time_left_of(rows, sys_id)


_ZONE_CHECK_COLUMNS = ("sys_created_on", "sys_updated_on")
# Fields ServiceNow answers by user name (a plain string column, not a reference).
_BY_USER_NAME = (TicketField.CREATED_BY, TicketField.UPDATED_BY)
_BY_USER_NAME_COLUMNS = {
    TicketField.CREATED_BY: "sys_created_by",
    TicketField.UPDATED_BY: "sys_updated_by",
}
_CLOSE_RULE = "ServiceNow requires close_code and close_notes to resolve or close an incident"


def _display_notes(
    row: Mapping[str, Any], zone: tzinfo
) -> tuple[tuple[Note, ...], tuple[Note, ...]]:
    """``(comments, work notes)`` read from the record's own display text."""
    return (
        notes_from_display(cell(row, "comments")[0], zone, COMMENTS),
        notes_from_display(cell(row, "work_notes")[0], zone, WORK_NOTES),
    )


def _rows(result: object, host: str) -> list[Mapping[str, Any]]:
    if not isinstance(result, list):
        raise ItsmError(f"ServiceNow at {host} answered a record where a list was expected")
    return [row for row in result if isinstance(row, Mapping)]


def _record(result: object, host: str) -> Mapping[str, Any]:
    if not isinstance(result, Mapping):
        raise ItsmError(f"ServiceNow at {host} answered a list where a record was expected")
    return result
