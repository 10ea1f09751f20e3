"""The Jira Service Management adapter of ``connectors.port``: ``JiraConnectorFactory`` and the
per-request ``JiraConnector``.

A fetch makes one issue call (``fields=`` naming only what the asked fields need) and, at the
same time and only when asked, one comment call and one SLA call. An update first reads the
issue's project and status (with its available transitions when a status is asked), judges the
whole write, and only then writes: the fields (``PUT``), the transition, the comments, in that
order, and reads the issue back. A create reads the project first (it must exist; its type
decides internal comments and the default issue type), creates, comments, and reads back. The
read back includes every field sent: a value Jira does not hold afterwards (an automation rule
edited it) is answered in the ticket's ``untaken`` (``connectors.jira.write_outcome``), and an
error once the issue exists names it (``error.written``: its key and id).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Mapping, Set
from dataclasses import replace
from datetime import tzinfo
from typing import Any, TypeVar

import httpx

from connectors.connection import AuthType, Connection
from connectors.connection_keys import TABLE, key_path
from connectors.errors import BadInput, GatewayError, ItsmError, TicketNotFound
from connectors.fields import ORDERED_FIELDS, TicketField, WritableField
from connectors.http import Resilience, ResiliencePolicy, Scrubber, host_of, together
from connectors.jira import probe as connection_probe
from connectors.jira.adf import text_to_adf
from connectors.jira.answers import AccessDenied
from connectors.jira.capabilities import JIRA
from connectors.jira.client import JiraClient, segment
from connectors.jira.cloud import DEFAULT_API_URL, CloudIds
from connectors.jira.correlation import correlated_issue, missing
from connectors.jira.mapping import (
    JOURNAL_FIELDS,
    issue_fields,
    notes_from_comments,
    time_left,
    values_from_issue,
)
from connectors.jira.people import account_of
from connectors.jira.search import search_issues
from connectors.jira.site_fields import SiteFieldCache, SiteFields, site_fields_in
from connectors.jira.write_outcome import read_back_fields, untaken
from connectors.jira.writes import NewComment, StatusTarget, WritePlan, plan_write
from connectors.model import RefusedRead, Ticket, WriteRequest, WrittenTicket
from connectors.probe import Check
from connectors.search import SearchPage, SearchRequest

API = "/rest/api/3"
SERVICE_DESK_API = "/rest/servicedeskapi"
# The issue type of a create that names none: the first of these the project has. Jira
# Service Management's IT service projects have "[System] Incident"; other projects "Task".
DEFAULT_ISSUE_TYPES = ("[System] Incident", "Incident", "Task")
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[1-9][0-9]*")
_ID = re.compile(r"[1-9][0-9]{0,18}")
_COMMENT_PAGE = 100
_MAX_PAGES = 100  # 10,000 comments, 5,000 SLAs: past it, the rest is not read
_SLA_PAGE = 50

T = TypeVar("T")


class JiraConnectorFactory:
    """Long-lived: shares the app's pooled ``httpx.AsyncClient`` and the ``Resilience``
    (retries, a circuit breaker and a concurrency limit per site) every call goes through.
    Without ``resilience`` every call is sent once, unguarded.

    ``api_url`` is Atlassian's API gateway, where ``bearer`` (OAuth 2.0 access token) calls go
    (``connectors.jira.cloud``); the cloudId of each site is looked up once and kept here, for at
    most ``cloud_id_limit`` sites. ``basic`` calls go straight to the site."""

    itsm_type = "jira"
    default_table = "issue"  # what records are called when no project is named
    capabilities = JIRA

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        resilience: Resilience | None = None,
        api_url: str = DEFAULT_API_URL,
        cloud_id_limit: int = 1024,
    ) -> None:
        self._http = http
        self._resilience = resilience or Resilience(ResiliencePolicy.disabled())
        self._api_url = api_url.rstrip("/")
        self._cloud_ids = CloudIds(cloud_id_limit)
        self._site_fields = SiteFieldCache()

    def open(
        self, connection: Connection, *, extra_headers: Mapping[str, str] | None = None
    ) -> JiraConnector:
        """A connector for one request. ``extra_headers`` (``X-Request-ID``) go on every call."""
        self.capabilities.check_connection(connection)
        credentials = connection.credentials
        credentials.check_complete(connection.within)
        project = connection.table
        pair = f"{credentials.username}:{credentials.password}".encode()
        basic = base64.b64encode(pair).decode() if credentials.password else ""
        bearer = credentials.auth_type is AuthType.BEARER
        authorization = f"Bearer {credentials.token}" if bearer else f"Basic {basic}"
        host = host_of(connection.instance_url)
        client_account = credentials.account_key()
        client = JiraClient(
            self._http,
            instance_url=connection.instance_url,
            host=host,
            headers={**(extra_headers or {}), "Authorization": authorization},
            # The encoded pair too: a page echoing the Authorization header must not carry it.
            scrub=Scrubber([*credentials.secrets(), basic]),
            resilience=self._resilience,
            account=client_account,
        )
        if bearer:
            client.through_api(self._api_url, self._cloud_ids)
        return JiraConnector(
            client,
            project=project,
            project_key=connection.path(TABLE),
            site_fields=self._site_fields,
            site_account=(connection.instance_url.rstrip("/").casefold(), client_account),
        )

    def check_names(self, table: str | None) -> tuple[str, ...]:
        """``check-connection``'s checks (``jira.probe``)."""
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
        return await connection_probe.probe(
            connection, transport, timeouts=timeouts, api_url=self._api_url
        )

    async def aclose(self) -> None:
        """The HTTP client belongs to the app, which closes it; the caches are dropped."""
        self._site_fields.clear()


class JiraConnector:
    def __init__(
        self,
        client: JiraClient,
        *,
        project: str | None = None,
        project_key: str = key_path(TABLE),
        site_fields: SiteFieldCache | None = None,
        site_account: tuple[str, str] = ("", ""),
    ) -> None:
        self._client = client
        self._project = project
        self._project_key = project_key  # connectionDetails.table, as the caller's door names it
        self._site_fields = site_fields or SiteFieldCache()
        self._site_account = site_account

    # -- custom fields found by what they are (connectors.jira.site_fields) --------------------

    async def _fields_of_site(self) -> SiteFields:
        """The correlation id and SLA fields: one ``GET /field`` per site and account, cached."""

        async def look_up() -> SiteFields:
            answer = await self._client.request("GET", f"{API}/field", operation="read_fields")
            return site_fields_in(answer, self._host)

        return await self._site_fields.fields(self._site_account, look_up)

    async def holds_correlation_ids(self) -> bool:
        """Whether this site has the correlation id field this account can see
        (``connectors.correlation.CorrelationHolder``): a keyed create writes the gateway's
        digest only where it does. One ``GET /field`` per site and account, then cached."""
        return await self._correlation_field() is not None

    async def _correlation_field(self) -> str | None:
        return (await self._fields_of_site()).correlation(self._host)

    async def _correlation_for(self, named: bool) -> str | None:
        """The field's id when the caller named correlationId (``named``), else ``None``;
        ``BadInput`` saying what the Jira admin must add when the site has no such field."""
        return await self._required_correlation() if named else None

    async def _required_correlation(self) -> str:
        found = await self._correlation_field()
        if found is None:
            raise missing(self._host)
        return found

    @property
    def _host(self) -> str:
        return self._client.host

    # -- fetch ---------------------------------------------------------------------------------

    async def fetch(self, number: str, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        if not _KEY.fullmatch(number or ""):
            raise BadInput("ticketNumber must be a Jira issue key such as DESK-1")
        not_found = f"No Jira issue {number} in {self._host}"
        correlation = await self._correlation_for(TicketField.CORRELATION_ID in fields)
        issue, comments, slas = await together(
            self._issue(number, issue_fields(fields, correlation), not_found),
            self._comments(number) if fields & JOURNAL_FIELDS else None,
            self._slas(number) if TicketField.TICKET_BUSINESS_TIME_LEFT in fields else None,
        )
        self._check_project(issue, not_found)
        return _ticket(issue, comments, slas, fields, correlation)

    async def _issue(
        self, id_or_key: str, field_list: str, not_found: str, *, expand: str | None = None
    ) -> Mapping[str, Any]:
        params = {"fields": field_list, **({"expand": expand} if expand else {})}
        issue = await self._client.request(
            "GET",
            f"{API}/issue/{segment(id_or_key)}",
            operation="read_ticket",
            params=params,
            not_found=not_found,
        )
        if not isinstance(issue, Mapping) or not issue.get("id") or not issue.get("key"):
            raise ItsmError(f"Jira at {self._host} answered an issue without its id and key")
        return issue

    def _check_project(self, issue: Mapping[str, Any], not_found: str) -> None:
        """A connection naming a project reaches that project's issues only."""
        if self._project is None:
            return
        project = _project_of(issue)
        if self._project not in (project.get("key"), project.get("id")):
            raise TicketNotFound(f"{not_found} (project {self._project})")

    async def _comments(self, id_or_key: str) -> list[Mapping[str, Any]]:
        comments: list[Mapping[str, Any]] = []
        for _ in range(_MAX_PAGES):
            page = await self._client.request(
                "GET",
                f"{API}/issue/{segment(id_or_key)}/comment",
                operation="read_journal",
                params={
                    "startAt": str(len(comments)),
                    "maxResults": str(_COMMENT_PAGE),
                    "orderBy": "created",
                },
            )
            batch = page.get("comments") if isinstance(page, Mapping) else None
            if not isinstance(batch, list):
                raise ItsmError(f"Jira at {self._host} answered comments without a list")
            comments.extend(c for c in batch if isinstance(c, Mapping))
            total = page.get("total")
            if not batch or not isinstance(total, int) or len(comments) >= total:
                break
        return comments

    async def _slas(self, id_or_key: str) -> list[Mapping[str, Any]] | RefusedRead | None:
        """The request's SLAs; ``None`` when the issue is no customer request (the service
        desk API answers 404 for issues outside service projects); the refusal when
        the account may not view them (403): an optional read, answered empty."""
        slas: list[Mapping[str, Any]] = []
        for _ in range(_MAX_PAGES):
            try:
                page = await self._client.request(
                    "GET",
                    f"{SERVICE_DESK_API}/request/{segment(id_or_key)}/sla",
                    operation="read_sla",
                    params={"start": str(len(slas)), "limit": str(_SLA_PAGE)},
                    not_found="not a customer request",
                )
            except TicketNotFound:
                return None
            except AccessDenied:
                return RefusedRead(SLA_REFUSED)
            values = page.get("values") if isinstance(page, Mapping) else None
            if not isinstance(values, list):
                raise ItsmError(f"Jira at {self._host} answered SLAs without a list of values")
            slas.extend(v for v in values if isinstance(v, Mapping))
            if page.get("isLastPage") is not False or not values:
                break
        return slas

    # -- search --------------------------------------------------------------------------------

    async def search(
        self, request: SearchRequest, fields: Set[TicketField], zone: tzinfo
    ) -> SearchPage:
        """One page of ``connectors.jira.search``; Jira's times carry their offset, so ``zone``
        is never needed. The SLA time left comes from the SLA custom fields in the same answer
        (``connectors.jira.sla_fields``), found through the cached field list."""
        named = TicketField.CORRELATION_ID in fields or request.filter.correlation_id is not None
        wants_sla = TicketField.TICKET_BUSINESS_TIME_LEFT in fields
        return await search_issues(
            self._client,
            request,
            fields,
            project=self._project,
            comments=self._comments,
            correlation=await self._correlation_for(named),
            slas=(await self._fields_of_site()).slas if wants_sla else (),
        )

    async def find_correlated(
        self, correlation_id: str, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket | None:
        """``connectors.correlation``: one enhanced search (``correlation.correlated_issue``),
        then the issue found gets its journal and SLAs as ``fetch`` reads them."""
        correlation = await self._required_correlation()
        issue = await correlated_issue(
            self._client,
            correlation_id,
            correlation,
            issue_fields(fields, correlation),
            project=self._project,
        )
        if issue is None:
            return None
        issue_id = str(issue.get("id"))
        comments, slas = await together(
            self._comments(issue_id) if fields & JOURNAL_FIELDS else None,
            self._slas(issue_id) if TicketField.TICKET_BUSINESS_TIME_LEFT in fields else None,
        )
        return _ticket(issue, comments, slas, fields, correlation)

    # -- create --------------------------------------------------------------------------------

    async def create(self, write: WriteRequest, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        correlation = await self._correlation_for(_names_correlation(write, fields))
        plan = plan_write(
            write, creating=True, project_key=self._project_key, correlation=correlation
        )
        if self._project is None:
            raise BadInput(
                f"{self._project_key} must name the Jira project to create the issue in "
                "(its key, e.g. DESK)"
            )
        plan = await self._with_people(plan)
        project = await self._project_details(self._project)
        if plan.needs_service_desk:
            _require_service_desk(project, self._project)
        body_fields = {
            "project": {"id" if self._project.isdigit() else "key": self._project},
            **({} if "issuetype" in plan.fields else {"issuetype": _default_type(project)}),
            **plan.fields,
        }
        created = await self._client.request(
            "POST", f"{API}/issue", operation="create_ticket", body={"fields": body_fields}
        )
        issue_id = created.get("id") if isinstance(created, Mapping) else None
        key = created.get("key") if isinstance(created, Mapping) else None
        if not isinstance(issue_id, str | int) or not isinstance(key, str):
            raise ItsmError(
                f"Jira at {self._host} answered the create without the new issue's id and key; "
                "the issue may exist: search for it before creating it again"
            )
        done = [f"created {key}"]
        written = WrittenTicket(key, str(issue_id))
        await self._after_write(
            done, written, self._comment_all(str(issue_id), plan.comments, done)
        )
        return await self._read_back(written, plan, "created", fields, correlation)

    async def _with_people(self, plan: WritePlan) -> WritePlan:
        """``plan`` with its canonical people found (``connectors.jira.people``): before
        anything is written, so an unknown or ambiguous name writes nothing."""
        if not plan.people:
            return plan
        found: dict[str, object] = {}
        for jira_field, (given_as, person) in plan.people.items():
            found[jira_field] = {"accountId": await account_of(self._client, given_as, person)}
        origins = {jira_field: given_as for jira_field, (given_as, _) in plan.people.items()}
        return replace(
            plan,
            fields={**plan.fields, **found},
            origins={**plan.origins, **origins},
            people={},
            given={**plan.given, **{name: person for name, (_, person) in plan.people.items()}},
        )

    async def _project_details(self, project: str) -> Mapping[str, Any]:
        details = await self._client.request(
            "GET",
            f"{API}/project/{segment(project)}",
            operation="read_project",
            not_found=f"{self._project_key}: no Jira project {project} in {self._host}",
        )
        if not isinstance(details, Mapping):
            raise ItsmError(f"Jira at {self._host} answered a project that is not an object")
        return details

    # -- update --------------------------------------------------------------------------------

    async def update(
        self, sys_id: str, write: WriteRequest, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket:
        if not (_ID.fullmatch(sys_id or "") or _KEY.fullmatch(sys_id or "")):
            raise BadInput("sysId must be a Jira issue id (digits, such as 10001) or key")
        correlation = await self._correlation_for(_names_correlation(write, fields))
        plan = await self._with_people(
            plan_write(
                write, creating=False, project_key=self._project_key, correlation=correlation
            )
        )
        not_found = f"No Jira issue {sys_id} in {self._host}"
        current = await self._issue(
            sys_id,
            "project,status",
            not_found,
            expand="transitions" if plan.status is not None else None,
        )
        self._check_project(current, not_found)
        if plan.needs_service_desk:
            _require_service_desk(_project_of(current), _project_of(current).get("key"))
        transition = _transition_to(current, plan.status) if plan.status is not None else None
        written = WrittenTicket(str(current["key"]), str(current["id"]))
        done: list[str] = []
        await self._after_write(done, written, self._apply(written.sys_id, plan, transition, done))
        return await self._read_back(written, plan, "updated", fields, correlation)

    async def _apply(
        self,
        issue_id: str,
        plan: WritePlan,
        transition: Mapping[str, Any] | None,
        done: list[str],
    ) -> None:
        if plan.fields:
            await self._client.request(
                "PUT",
                f"{API}/issue/{segment(issue_id)}",
                operation="update_ticket",
                body={"fields": plan.fields},
                # Setting fields to values is safe to send twice (no update operations here).
                idempotent=True,
            )
            done.append("its fields")
        if transition is not None:
            body: dict[str, object] = {"transition": {"id": str(transition.get("id"))}}
            if plan.resolution is not None:
                body["fields"] = {"resolution": plan.resolution}
            await self._client.request(
                "POST",
                f"{API}/issue/{segment(issue_id)}/transitions",
                operation="transition",
                body=body,
            )
            done.append(f"the transition to {_status_name(transition.get('to'))}")
        await self._comment_all(issue_id, plan.comments, done)

    async def _comment_all(
        self, issue_id: str, comments: tuple[NewComment, ...], done: list[str]
    ) -> None:
        # One after the other, so that they are dated (and listed) in the order given.
        for comment in comments:
            if comment.public:
                body = comment.body if isinstance(comment.body, dict) else text_to_adf(comment.body)
                await self._client.request(
                    "POST",
                    f"{API}/issue/{segment(issue_id)}/comment",
                    operation="add_comment",
                    body={"body": body},
                )
                done.append("a public comment")
            else:
                # The platform API cannot create an internal comment (its jsdPublic is read-only);
                # Atlassian's reference points to the service desk API, whose body is a string.
                await self._client.request(
                    "POST",
                    f"{SERVICE_DESK_API}/request/{segment(issue_id)}/comment",
                    operation="add_comment",
                    body={"body": comment.body, "public": False},
                )
                done.append("an internal comment")

    async def _after_write(
        self, done: list[str], written: WrittenTicket, steps: Awaitable[None]
    ) -> None:
        """Run the write steps; once one was applied, a later failure says what was done and
        must not invite a retry that would apply it twice. The issue exists by now: every
        failure names it (``error.written``)."""
        key = written.number
        try:
            await steps
        except GatewayError as error:
            error.written = written
            if done:
                error.outcome_unknown = True
                error.message = (
                    f"Jira at {self._host} applied part of the write to {key} "
                    f"({', '.join(done)}), then failed: {error.message}; do not send the "
                    "write again, fetch the issue instead"
                )
                error.args = (error.message,)
            raise

    async def _read_back(
        self,
        written: WrittenTicket,
        plan: WritePlan,
        done: str,
        fields: Set[TicketField],
        correlation: str | None,
    ) -> Ticket:
        """The written issue as a ticket, with the values Jira does not hold although they were
        sent (``untaken``: the asked fields and every field sent are read back). The write is
        applied by now: a failure from here on names the issue (``error.written``) and must not
        invite the caller to send it again, so it says so (``outcome_unknown``)."""
        issue_id, key = written.sys_id, written.number
        names = ",".join(
            sorted({*issue_fields(fields, correlation).split(","), *read_back_fields(plan)})
        )
        try:
            issue, comments, slas = await together(
                self._issue(issue_id, names, f"{key} vanished after the write"),
                self._comments(issue_id) if fields & JOURNAL_FIELDS else None,
                self._slas(issue_id) if TicketField.TICKET_BUSINESS_TIME_LEFT in fields else None,
            )
            ticket = _ticket(issue, comments, slas, fields, correlation)
            return replace(ticket, untaken=untaken(plan, issue))
        except GatewayError as error:
            error.written = written
            error.outcome_unknown = True
            error.message = (
                f"Jira at {self._host} {done} {key}, but reading it back failed: "
                f"{error.message}; do not send the write again, fetch the issue instead"
            )
            error.args = (error.message,)
            raise


def _names_correlation(write: WriteRequest, fields: Set[TicketField]) -> bool:
    """Whether a write sets or asks correlationId (so the field's id is needed)."""
    return (
        WritableField.CORRELATION_ID.value in write.canonical
        or TicketField.CORRELATION_ID in fields
    )


def _ticket(
    issue: Mapping[str, Any],
    comments: list[Mapping[str, Any]] | None,
    slas: list[Mapping[str, Any]] | RefusedRead | None,
    fields: Set[TicketField],
    correlation: str | None = None,
) -> Ticket:
    values = values_from_issue(issue, fields, correlation)
    refused: dict[TicketField, str] = {}
    if comments is not None:
        values[TicketField.COMMENTS], values[TicketField.WORK_NOTES] = notes_from_comments(comments)
    if TicketField.TICKET_BUSINESS_TIME_LEFT in fields:
        if isinstance(slas, RefusedRead):
            refused[TicketField.TICKET_BUSINESS_TIME_LEFT] = slas.message
        values[TicketField.TICKET_BUSINESS_TIME_LEFT] = (
            time_left(slas) if isinstance(slas, list) else None
        )
    return Ticket(
        values={field: values.get(field) for field in ORDERED_FIELDS if field in fields},
        refused=refused,
    )


# Viewing a request's SLAs takes an agent of its service project.
SLA_REFUSED = (
    "request SLAs (servicedeskapi/request/{key}/sla): the account lacks read access (an agent "
    "of the service project, role Service Desk Team)"
)


def _project_of(issue: Mapping[str, Any]) -> Mapping[str, Any]:
    raw = issue.get("fields")
    project = raw.get("project") if isinstance(raw, Mapping) else None
    return project if isinstance(project, Mapping) else {}


def _require_service_desk(project: Mapping[str, Any], name: object) -> None:
    if project.get("projectTypeKey") != "service_desk":
        raise BadInput(
            f"workNotes: internal comments exist only in Jira Service Management projects, and "
            f"project {name} is a {project.get('projectTypeKey') or 'non-service'} project; "
            "add a public comment (comments) instead"
        )


def _default_type(project: Mapping[str, Any]) -> dict[str, str]:
    types = project.get("issueTypes")
    names = [
        str(t.get("name"))
        for t in (types if isinstance(types, list) else [])
        if isinstance(t, Mapping) and not t.get("subtask")
    ]
    for wanted in DEFAULT_ISSUE_TYPES:
        if wanted in names:
            return {"name": wanted}
    raise BadInput(
        f"ticketJSON.issuetype is needed: project {project.get('key')} has none of "
        f"{', '.join(DEFAULT_ISSUE_TYPES)}; its issue types are {', '.join(names) or 'none'}"
    )


def _status_name(status: object) -> str:
    return str(status.get("name")) if isinstance(status, Mapping) else "?"


def _transition_to(issue: Mapping[str, Any], target: StatusTarget) -> Mapping[str, Any] | None:
    """The available transition that reaches ``target``; ``None`` when the issue is already in
    that status; ``BadInput`` naming the reachable statuses when none reaches it."""
    raw = issue.get("fields")
    current = raw.get("status") if isinstance(raw, Mapping) else None
    if target.matches(current):
        return None
    transitions = issue.get("transitions")
    available = [
        t
        for t in (transitions if isinstance(transitions, list) else [])
        if isinstance(t, Mapping) and t.get("isAvailable", True) is not False
    ]
    for transition in available:
        if target.matches(transition.get("to")):
            return transition
    reachable = sorted({_status_name(t.get("to")) for t in available})
    where = f"{issue.get('key')} is {_status_name(current)}"
    offer = (
        f"the statuses it can reach are {', '.join(reachable)}"
        if reachable
        else "no transition leaves that status"
    )
    raise BadInput(
        f"{target.given_as} {target.label!r}: no available transition reaches it ({where}; "
        f"{offer}); nothing was written"
    )
