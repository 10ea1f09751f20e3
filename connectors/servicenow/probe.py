"""Checking a ServiceNow connection before going live: can the gateway use it, and how well?

``probe`` makes the calls the connector makes, with the connector's own pieces (``servicenow_auth``
and its OAuth token fetch, ``TableClient``, the ``answers`` error mapping, ``account_zone``), each
sent once (no retries, no breaker), and judges each outcome (``connectors.probe``):

1. ``instance`` and ``authentication``: the OAuth token, for the OAuth types, then one record of
   the table, asking for every column the gateway maps, as a fetch of all fields does;
2. ``<table>``: that read itself (403: the gateway cannot work with this account);
3. ``<table> fields``: which of those columns came back. A column the account may not read is
   presumed left out of the answer, as unknown names are (unconfirmed on a real instance);
   either way the gateway gets nothing for it;
4. ``sys_journal_field`` and ``task_sla``: readable, with the connector's own query for that
   record (or a sys_id that matches nothing, when the table is empty);
5. then what the account may read and write besides (``probe_access``): its ``time zone`` as
   the connector learns it, ``sys_user``, ``sys_user_group`` and ``sys_choice`` (names and
   choices are looked up there before writing), and its roles (``writes``).

No check reads or reports a record's contents beyond its number, and messages come from the
connector's scrubbed errors: no secret reaches a ``Check``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from connectors.connection import AuthType, Connection
from connectors.errors import GatewayError, ItsmError
from connectors.fields import TicketField
from connectors.http import RequestAuth, Resilience, ResiliencePolicy, Scrubber, host_of
from connectors.probe import (
    AUTHENTICATION,
    INSTANCE,
    AnswerLog,
    Check,
    CheckVerdict,
    instance_failure,
    skipped,
)
from connectors.servicenow.answers import AccessDenied
from connectors.servicenow.auth import OAuthAuth, OAuthTokenCache, servicenow_auth
from connectors.servicenow.client import TableClient
from connectors.servicenow.mapping import COLUMNS, JOURNAL_FIELDS, cell, incident_columns
from connectors.servicenow.probe_access import ACCESS_CHECKS, AccessProbe

JOURNAL = "sys_journal_field"
SLA = "task_sla"
OAUTH_ENDPOINT = "/oauth_token.do"
_NO_RECORD = "0" * 32  # a sys_id that matches nothing: the table's ACL is still applied
_KEY_COLUMNS = frozenset({"number", "sys_id"})


def check_names(table: str) -> tuple[str, ...]:
    """Every check ``probe`` reports, in order."""
    return (INSTANCE, AUTHENTICATION, table, f"{table} fields", JOURNAL, SLA, *ACCESS_CHECKS)


async def probe(
    connection: Connection, transport: httpx.AsyncBaseTransport, *, timeouts: httpx.Timeout
) -> list[Check]:
    """The checks of ``check_names`` for ``connection`` (its table set: the factory fills in
    its default), made through ``transport`` (the gateway's guarded one), closed at the end."""
    connection.credentials.check_complete()
    answers = AnswerLog(transport, token_path=OAUTH_ENDPOINT)
    async with httpx.AsyncClient(
        transport=answers, timeout=timeouts, follow_redirects=False
    ) as http:
        host = host_of(connection.instance_url)
        scrub = Scrubber(connection.credentials.secrets())
        auth = servicenow_auth(
            connection.credentials,
            connection.instance_url,
            OAuthTokenCache(http),
            host=host,
            scrub=scrub,
            headers={},
        )
        client = TableClient(
            http,
            instance_url=connection.instance_url,
            host=host,
            auth=auth,
            scrub=scrub,
            headers={},
            resilience=Resilience(ResiliencePolicy.disabled()),  # one call each: judged as is
        )
        return await _Probe(client, auth, answers, connection).run()


class _Probe:
    def __init__(
        self,
        client: TableClient,
        auth: RequestAuth,
        answers: AnswerLog,
        connection: Connection,
    ) -> None:
        self._client = client
        self._auth = auth
        self._answers = answers
        self._connection = connection
        self._credentials = connection.credentials
        self._table = connection.table or "incident"
        self._names = check_names(self._table)

    async def run(self) -> list[Check]:
        try:
            if isinstance(self._auth, OAuthAuth):
                await self._auth.headers()  # the token endpoint, judged on its own
            row = await self._first_record()
        except GatewayError as error:
            return self._stopped(error)
        checks = [self._instance_ok(), self._authenticated()]
        if row is None:
            message = "readable, but it holds no record, so its fields were not checked"
        else:
            message = f"read {cell(row, 'number')[1] or 'a record'}"
        checks.append(Check(self._table, CheckVerdict.OK, message, blocking=True))
        checks.append(self._fields(row))
        sys_id = cell(row, "sys_id")[1] if row is not None else ""
        checks.append(await self._journal(sys_id or _NO_RECORD))
        checks.append(await self._sla(sys_id or _NO_RECORD))
        access = AccessProbe(self._connection, self._table, self._call, self._status)
        checks.extend(await access.run())
        return checks

    def _status(self) -> int | None:
        """The last answer's status (``None``: no answer), for a check that failed."""
        seen = self._answers.last
        return seen.status if seen is not None else None

    async def _first_record(self) -> Mapping[str, Any] | None:
        params = {  # the connector's own, for a fetch of every field, without the filter
            "sysparm_display_value": "all",
            "sysparm_exclude_reference_link": "true",
            "sysparm_fields": incident_columns(set(TicketField)),
            "sysparm_limit": "1",
        }
        rows = await self._call(self._table, params)
        return rows[0] if rows else None

    async def _call(self, table: str, params: Mapping[str, str]) -> list[Mapping[str, Any]]:
        self._answers.last = None
        result = await self._client.call("GET", table, params)
        if not isinstance(result, list):
            raise ItsmError(f"ServiceNow answered a record where a list of {table} was due")
        return [row for row in result if isinstance(row, Mapping)]

    def _stopped(self, error: GatewayError) -> list[Check]:
        """The checks when ``error`` ended the probe: those before the failed step passed,
        those after it were not made."""
        failed = self._judge(error)
        at = self._names.index(failed.name)
        passed = [self._instance_ok(), self._authenticated()][:at]
        because = f"{failed.name} {failed.verdict.value}"
        return [*passed, failed, *skipped(self._names[at + 1 :], because)]

    def _judge(self, error: GatewayError) -> Check:
        """Which step ``error`` belongs to, and what it means, from the last exchange."""
        seen, detail = self._answers.last, error.message
        advice = (
            "the instance looks hibernating or behind a login page; open it in a browser (wake "
            "it up or sign in), then check again"
        )
        failed = instance_failure(
            error, seen, vendor="the instance", host=self._client.host, login_advice=advice
        )
        if failed is not None or seen is None or seen.status is None:
            return failed or Check(INSTANCE, CheckVerdict.FAILED, detail, blocking=True)
        status = seen.status
        if status == 401 or (seen.token and status == 400):
            return Check(
                AUTHENTICATION,
                CheckVerdict.REFUSED,
                f"check the {_NEEDS[self._credentials.auth_type]}",
                status=status,
                detail=detail,
                blocking=True,
            )
        step = AUTHENTICATION if seen.token else self._table
        if status == 403 and not seen.token:
            message = (
                f"the account may not read {self._table}, so the gateway can neither fetch, "
                f"create nor update tickets; grant it read and write access to {self._table} "
                "(e.g. the itil role)"
            )
            return Check(step, CheckVerdict.REFUSED, message, status, detail, blocking=True)
        if status == 429:
            message = "ServiceNow is rate-limiting this account; check again later"
            return Check(step, CheckVerdict.FAILED, message, status, detail, blocking=True)
        if status == 400 and not seen.token:  # "Invalid table <name>", most likely
            message = f"is {self._table} a table on this instance? check the table name"
            return Check(step, CheckVerdict.FAILED, message, status, detail, blocking=True)
        return Check(step, CheckVerdict.FAILED, detail, status, detail, blocking=True)

    def _instance_ok(self) -> Check:
        message = f"ServiceNow at {self._client.host} answers in JSON"
        return Check(INSTANCE, CheckVerdict.OK, message, blocking=True)

    def _authenticated(self) -> Check:
        credentials = self._credentials
        message = {
            AuthType.BASIC: f"basic auth as {credentials.username} accepted",
            AuthType.OAUTH_PASSWORD: (
                f"OAuth token issued for {credentials.username} (client "
                f"{credentials.client_id}) and accepted"
            ),
            AuthType.OAUTH_CLIENT_CREDENTIALS: (
                f"OAuth token issued to client {credentials.client_id} and accepted"
            ),
            AuthType.API_KEY: "API key (x-sn-apikey) accepted",
            AuthType.BEARER: "bearer token accepted",
        }[credentials.auth_type]
        return Check(AUTHENTICATION, CheckVerdict.OK, message, blocking=True)

    def _fields(self, row: Mapping[str, Any] | None) -> Check:
        name = f"{self._table} fields"
        if row is None:
            return Check(name, CheckVerdict.SKIPPED, f"{self._table} holds no record")
        wanted = incident_columns(set(TicketField)).split(",")
        missing = [column for column in wanted if column not in row]
        if not missing:
            return Check(
                name, CheckVerdict.OK, f"all {len(wanted)} columns the gateway maps are there"
            )
        gone = set(missing)
        affected = [
            field.value
            for field in TicketField
            if field not in JOURNAL_FIELDS and gone & set(COLUMNS[field])
        ]
        message = (
            f"{', '.join(missing)} not in the answer (not readable by the account, or not on "
            f"{self._table})"
        )
        if affected:
            message += f": {', '.join(affected)} will be empty"
        if gone & {"comments", "work_notes"}:
            message += "; comments and workNotes will be empty if sys_journal_field is refused"
        blocking = bool(gone & _KEY_COLUMNS)
        if blocking:
            message += "; without number and sys_id the gateway cannot find or read back tickets"
        return Check(name, CheckVerdict.REFUSED, message, blocking=blocking)

    async def _journal(self, sys_id: str) -> Check:
        params = {  # the connector's journal query, one row
            "sysparm_query": (
                f"element_id={sys_id}^elementINcomments,work_notes^ORDERBYsys_created_on"
            ),
            "sysparm_fields": "element,element_id,value,sys_created_on,sys_created_by",
            "sysparm_display_value": "false",
            "sysparm_limit": "1",
        }
        return await self._optional(
            JOURNAL,
            params,
            ok="comments and work notes come with their authors' user names and UTC times",
            refused="comments and work notes will be read from the incident's display text; "
            "set itsmTimeZoneOffset so their times are right",
            failed="a fetch that asks for comments or workNotes will fail",
        )

    async def _sla(self, sys_id: str) -> Check:
        params = {  # the connector's SLA query, one row
            "sysparm_query": f"task={sys_id}^active=true",
            "sysparm_fields": "task,business_time_left,active",
            "sysparm_display_value": "false",
            "sysparm_limit": "1",
        }
        # The connector has no fallback here: the field is answered empty, the rest of the
        # ticket as usual (a refused optional read).
        cannot = (
            "ticketBusinessTimeLeft cannot be provided: a fetch that asks for it (as an empty "
            "ticketFields does) answers it empty, with a message naming task_sla"
        )
        return await self._optional(
            SLA,
            params,
            ok="ticketBusinessTimeLeft can be provided",
            refused=cannot,
            failed=cannot,
        )

    async def _optional(
        self, table: str, params: Mapping[str, str], *, ok: str, refused: str, failed: str
    ) -> Check:
        """A table the gateway can do without: not ok is a warning, never blocking."""
        try:
            await self._call(table, params)
        except AccessDenied as error:
            return Check(table, CheckVerdict.REFUSED, refused, 403, error.message)
        except GatewayError as error:
            seen = self._answers.last
            status = seen.status if seen is not None else None
            return Check(table, CheckVerdict.FAILED, failed, status, error.message)
        return Check(table, CheckVerdict.OK, ok)


_NEEDS = {
    AuthType.BASIC: "username and password",
    AuthType.OAUTH_PASSWORD: "client id and secret, and the username and password",
    AuthType.OAUTH_CLIENT_CREDENTIALS: "client id and secret",
    AuthType.API_KEY: "API key",
    AuthType.BEARER: "token (it may have expired)",
}
