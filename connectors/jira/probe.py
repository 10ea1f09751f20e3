"""Checking a Jira Service Management connection before going live (``check-connection``).

The calls the connector makes, with its own pieces (``JiraClient`` and, for OAuth 2.0 tokens,
its cloudId lookup; the ``answers`` error mapping; ``mapping.issue_fields``), each sent once,
judged as ``connectors.probe`` checks; nothing is written:

1. ``instance``, ``authentication`` and ``time zone``: ``GET /rest/api/3/myself``, the account
   the credentials act as, and its profile's ``timeZone``
   (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-myself/). Jira gives
   every time with its offset, so the gateway reads them exactly whatever the zone: it is
   reported, never needed;
2. ``project``: ``GET /rest/api/3/project/{key}`` for the connection's project (its table):
   readable (Browse Projects), and whether it is a service project (SLAs, internal comments);
3. ``issue fields``: the newest issue of the project (``GET /rest/api/3/search/jql``) with every
   field the gateway maps, and which of them came back;
4. ``comments``: that issue's comments, as a fetch reads them;
5. ``request SLAs``: that issue's SLAs from the service desk API, for a service project;
6. ``writes``: ``GET /rest/api/3/mypermissions`` for the permissions the gateway's writes need,
   in the project (without a project: whether each is held in some project)
   (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-permissions/#api-rest-api-3-mypermissions-get).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import httpx

from connectors.connection import AuthType, Connection
from connectors.errors import GatewayError
from connectors.fields import TicketField
from connectors.http import Resilience, ResiliencePolicy, Scrubber, host_of
from connectors.jira.answers import AccessDenied
from connectors.jira.capabilities import JIRA
from connectors.jira.client import JiraClient, segment
from connectors.jira.cloud import CloudIds
from connectors.jira.mapping import FIELDS, issue_fields
from connectors.probe import (
    AUTHENTICATION,
    INSTANCE,
    TIME_ZONE,
    WRITES,
    AnswerLog,
    Check,
    CheckVerdict,
    instance_failure,
    skipped,
    stopped,
)

API = "/rest/api/3"
SERVICE_DESK_API = "/rest/servicedeskapi"
PROJECT = "project"
ISSUE_FIELDS = "issue fields"
COMMENTS = "comments"
SLAS = "request SLAs"
CHECK_NAMES = (INSTANCE, AUTHENTICATION, TIME_ZONE, PROJECT, ISSUE_FIELDS, COMMENTS, SLAS, WRITES)
# What each write of the gateway needs, by Jira permission key.
NEEDED = {
    "CREATE_ISSUES": "create issues",
    "EDIT_ISSUES": "update their fields",
    "ADD_COMMENTS": "add comments and workNotes",
    "TRANSITION_ISSUES": "change their status",
    "ASSIGN_ISSUES": "assign them (ticketJSON.assignee)",
}


async def probe(
    connection: Connection,
    transport: httpx.AsyncBaseTransport,
    *,
    timeouts: httpx.Timeout,
    api_url: str,
) -> list[Check]:
    """The checks of ``CHECK_NAMES`` for ``connection``, made through ``transport`` (the
    gateway's guarded one), which is closed at the end. ``api_url``: Atlassian's API gateway,
    where OAuth 2.0 (bearer) calls go."""
    credentials = connection.credentials
    credentials.check_complete(connection.within)
    answers = AnswerLog(transport)
    async with httpx.AsyncClient(
        transport=answers, timeout=timeouts, follow_redirects=False
    ) as http:
        # As ``JiraConnectorFactory.open`` authenticates: Basic email:API token, or Bearer.
        pair = f"{credentials.username}:{credentials.password}".encode()
        basic = base64.b64encode(pair).decode() if credentials.password else ""
        bearer = credentials.auth_type is AuthType.BEARER
        authorization = f"Bearer {credentials.token}" if bearer else f"Basic {basic}"
        client = JiraClient(
            http,
            instance_url=connection.instance_url,
            host=host_of(connection.instance_url),
            headers={"Authorization": authorization},
            scrub=Scrubber([*credentials.secrets(), basic]),
            resilience=Resilience(ResiliencePolicy.disabled()),  # one call each: judged as is
        )
        if bearer:
            client.through_api(api_url, CloudIds())
        return await _Probe(client, answers, connection).run()


class _Probe:
    def __init__(self, client: JiraClient, answers: AnswerLog, connection: Connection) -> None:
        self._client = client
        self._answers = answers
        self._credentials = connection.credentials
        self._project = connection.table

    async def run(self) -> list[Check]:
        try:
            me = await self._get(f"{API}/myself")
        except GatewayError as error:
            return self._stopped(error, INSTANCE)
        answers = f"Jira at {self._client.host} answers in JSON"
        checks = [
            Check(INSTANCE, CheckVerdict.OK, answers, blocking=True),
            Check(AUTHENTICATION, CheckVerdict.OK, self._account(me), blocking=True),
            _zone(me),
        ]
        if self._project is None:
            because = "no project named (--table, or the profile's table: its key, e.g. DESK)"
            checks.append(Check(PROJECT, CheckVerdict.SKIPPED, because))
            checks.extend(skipped((ISSUE_FIELDS, COMMENTS, SLAS), "no project named"))
            checks.append(await self._writes())
            return checks
        try:
            project = await self._get(f"{API}/project/{segment(self._project)}")
        except GatewayError as error:
            return [*checks, *self._stopped(error, PROJECT)]
        service = isinstance(project, Mapping) and project.get("projectTypeKey") == "service_desk"
        kind = "a service project" if service else "not a service project: no SLAs"
        message = f"{self._project} readable, {kind}"
        checks.append(Check(PROJECT, CheckVerdict.OK, message, blocking=True))
        issue = await self._newest_issue()
        checks.append(self._fields(issue))
        key = str(issue.get("key")) if isinstance(issue, Mapping) else None
        checks.append(await self._comments(key))
        checks.append(await self._slas(key, service))
        checks.append(await self._writes())
        return checks

    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        self._answers.last = None
        return await self._client.request("GET", path, params=params, operation="probe")

    def _account(self, me: object) -> str:
        body = me if isinstance(me, Mapping) else {}
        who = body.get("emailAddress") or body.get("accountId") or "the account"
        name = f" ({body['displayName']})" if body.get("displayName") else ""
        if self._credentials.auth_type is AuthType.BEARER:
            return f"OAuth 2.0 token accepted, acting as {who}{name}"
        return f"basic auth as {who}{name} accepted"

    async def _newest_issue(self) -> Mapping[str, Any] | GatewayError | None:
        wanted = issue_fields(set(JIRA.readable))
        params = {
            "jql": f"project = {self._project} ORDER BY created DESC",
            "maxResults": "1",
            "fields": wanted,
        }
        try:
            found = await self._get(f"{API}/search/jql", params)
        except GatewayError as error:
            return error
        issues = found.get("issues") if isinstance(found, Mapping) else None
        first = issues[0] if isinstance(issues, list) and issues else None
        return first if isinstance(first, Mapping) else None

    def _fields(self, issue: Mapping[str, Any] | GatewayError | None) -> Check:
        if isinstance(issue, GatewayError):
            message = "the project's issues cannot be searched: fetches may fail"
            return Check(ISSUE_FIELDS, CheckVerdict.FAILED, message, self._status(), issue.message)
        if issue is None:
            return Check(ISSUE_FIELDS, CheckVerdict.SKIPPED, f"{self._project} holds no issue")
        raw = issue.get("fields")
        present = raw if isinstance(raw, Mapping) else {}
        wanted = sorted({FIELDS[f] for f in JIRA.readable if f in FIELDS})
        missing = [name for name in wanted if name not in present]
        if not missing:
            message = f"{issue.get('key')}: all {len(wanted)} fields the gateway maps are there"
            return Check(ISSUE_FIELDS, CheckVerdict.OK, message)
        gone = [f.value for f in TicketField if FIELDS.get(f) in missing]
        message = (
            f"{', '.join(missing)} not in the answer (hidden from the account, or not on the "
            f"project's screens): {', '.join(gone)} will be empty"
        )
        return Check(ISSUE_FIELDS, CheckVerdict.REFUSED, message)

    async def _comments(self, key: str | None) -> Check:
        if key is None:
            return Check(COMMENTS, CheckVerdict.SKIPPED, "no issue to read")
        try:
            await self._get(f"{API}/issue/{segment(key)}/comment", {"maxResults": "1"})
        except GatewayError as error:
            verdict = _verdict(error)
            message = "comments and workNotes cannot be read: a fetch asking for them fails"
            return Check(COMMENTS, verdict, message, self._status(), error.message)
        return Check(COMMENTS, CheckVerdict.OK, "comments and workNotes can be read")

    async def _slas(self, key: str | None, service: bool) -> Check:
        if not service:
            return Check(SLAS, CheckVerdict.SKIPPED, "not a service project")
        if key is None:
            return Check(SLAS, CheckVerdict.SKIPPED, "no issue to read")
        try:
            await self._get(f"{SERVICE_DESK_API}/request/{segment(key)}/sla", {"limit": "1"})
        except GatewayError as error:
            message = (
                "ticketBusinessTimeLeft cannot be provided: a fetch that asks for it answers it "
                "empty (the account is no agent of the service project)"
            )
            return Check(SLAS, _verdict(error), message, self._status(), error.message)
        return Check(SLAS, CheckVerdict.OK, "ticketBusinessTimeLeft can be provided")

    async def _writes(self) -> Check:
        params = {"permissions": ",".join(NEEDED)}
        if self._project is not None:
            params["projectId" if self._project.isdigit() else "projectKey"] = self._project
        try:
            answer = await self._get(f"{API}/mypermissions", params)
        except GatewayError as error:
            message = "could not be told: mypermissions did not answer"
            return Check(WRITES, CheckVerdict.UNKNOWN, message, self._status(), error.message)
        held = answer.get("permissions") if isinstance(answer, Mapping) else None
        held = held if isinstance(held, Mapping) else {}

        def has(key: str) -> bool:
            entry = held.get(key)
            return isinstance(entry, Mapping) and entry.get("havePermission") is True

        where = f"in {self._project}" if self._project else "in some project"
        lacking = [key for key in NEEDED if not has(key)]
        if not lacking:
            return Check(WRITES, CheckVerdict.OK, f"may {', '.join(NEEDED.values())} {where}")
        cannot = "; ".join(f"{NEEDED[key]} ({key})" for key in lacking)
        return Check(WRITES, CheckVerdict.REFUSED, f"may not {cannot} {where}")

    def _status(self) -> int | None:
        seen = self._answers.last
        return seen.status if seen is not None else None

    def _stopped(self, error: GatewayError, step: str) -> list[Check]:
        """The checks when ``error`` ended the probe at ``step`` (the first call: the instance
        or the credentials, as the last exchange tells), and those after it, skipped."""
        failed = self._judge(error, step)
        if step != INSTANCE and failed.name != step:
            failed = _renamed(failed, step)
        return stopped(failed, CHECK_NAMES, f"Jira at {self._client.host} answers")

    def _judge(self, error: GatewayError, step: str) -> Check:
        seen, detail = self._answers.last, error.message
        advice = (
            "the site may be asking for a login (single sign-on) or be in maintenance; open it "
            "in a browser, then check again"
        )
        failed = instance_failure(
            error, seen, vendor="Jira", host=self._client.host, login_advice=advice
        )
        if failed is not None or seen is None or seen.status is None:
            return failed or Check(INSTANCE, CheckVerdict.FAILED, detail, blocking=True)
        status = seen.status
        if status == 401 or (step == INSTANCE and status == 403):
            needs = (
                "OAuth 2.0 access token (it may have expired)"
                if self._credentials.auth_type is AuthType.BEARER
                else "account's email address (username) and API token (password)"
            )
            refused = CheckVerdict.REFUSED
            return Check(AUTHENTICATION, refused, f"check the {needs}", status, detail, True)
        if step == PROJECT and status in (403, 404):
            message = (
                f"no project {self._project} the account may browse (Browse Projects): the "
                "gateway can neither fetch nor create its issues; check the key and the "
                "project's permission scheme"
            )
            return Check(PROJECT, CheckVerdict.REFUSED, message, status, detail, blocking=True)
        return Check(step, CheckVerdict.FAILED, detail, status, detail, blocking=True)


def _zone(me: object) -> Check:
    zone = me.get("timeZone") if isinstance(me, Mapping) else None
    if not isinstance(zone, str) or not zone:
        message = "not in the account's profile; Jira gives every time with its offset"
        return Check(TIME_ZONE, CheckVerdict.UNKNOWN, message)
    message = (
        f"{zone}, from the account's Jira profile (myself.timeZone); Jira gives every time "
        "with its offset, so none is converted"
    )
    return Check(TIME_ZONE, CheckVerdict.OK, message)


def _verdict(error: GatewayError) -> CheckVerdict:
    return CheckVerdict.REFUSED if isinstance(error, AccessDenied) else CheckVerdict.FAILED


def _renamed(check: Check, step: str) -> Check:
    return Check(step, check.verdict, check.message, check.status, check.detail, check.blocking)
