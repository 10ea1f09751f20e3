"""The emulated site's state: issues, their comments and SLAs, faults and the request log.

One ``JiraState`` is one Jira Cloud site. Everything is in memory and synchronous, which is safe
because aiohttp runs handlers on one event loop thread. Times are aware UTC datetimes with
millisecond precision (what Jira keeps); they are written in each caller's zone on the way out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from emulators.jira import sla
from emulators.jira.config import JiraConfig, User
from emulators.jira.faults import Faults
from emulators.jira.projects import DEFAULT_PRIORITY, PROJECTS, Project
from emulators.jira.workflow import DONE, RESOLUTIONS, Transition

Clock = Callable[[], datetime]


@dataclass
class Comment:
    id: str
    author: str  # account id
    body: dict[str, Any]  # ADF
    created: datetime
    # jsdPublic: customer-visible. Internal comments come from the service desk API with
    # ``public: false`` or from the platform API with the ``sd.public.comment`` property.
    public: bool = True
    visibility: dict[str, Any] | None = None
    properties: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Issue:
    id: str
    key: str
    project: Project
    issue_type: str
    status: str
    created: datetime
    updated: datetime
    creator: str
    # Editable fields by field id (summary, description, priority, labels, assignee, reporter,
    # duedate, environment, customfield_...), in the form ``fields`` stores them.
    values: dict[str, Any] = field(default_factory=dict)
    resolution: str | None = None
    resolutiondate: datetime | None = None
    comments: list[Comment] = field(default_factory=list)
    slas: list[sla.SlaClock] = field(default_factory=list)


@dataclass
class RecordedRequest:
    """One API request as received (the control API is never recorded). ``json`` is the parsed
    body or ``None``; ``account`` the account id it authenticated as (``None``: anonymous or
    refused); headers only those that carry no secret."""

    method: str
    path: str
    api: str  # "platform" (/rest/api/3), "servicedesk" (/rest/servicedeskapi) or "other"
    issue: str | None  # the issueIdOrKey in the path, if any
    query: dict[str, str]
    json: Any | None
    account: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "api": self.api,
            "issue": self.issue,
            "query": self.query,
            "json": self.json,
            "account": self.account,
            "headers": self.headers,
        }


def _utc_now() -> datetime:
    return datetime.now(UTC)


def running_from(start: datetime) -> Clock:
    """A clock that starts at ``start`` and runs in real time: the seed's SLAs then count down
    from the values the seed documents instead of having breached long ago (demo, standalone)."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


class JiraState:
    """An emulated site. ``clock`` (aware datetime factory) lets tests hold or move time, which
    SLA clocks read."""

    def __init__(
        self, config: JiraConfig | None = None, *, seed: bool = True, clock: Clock | None = None
    ) -> None:
        self.config = config or JiraConfig()
        self._seeded = seed
        self._clock = clock or _utc_now
        self.requests: list[RecordedRequest] = []
        self.reset()

    def reset(self) -> None:
        """Back to the seeded issues; faults and the request log cleared."""
        from emulators.jira.seed import seed_issues  # seed builds on this module

        self.faults = Faults()
        self.requests.clear()
        self.projects = {p.key: p for p in PROJECTS}
        self.issues: dict[str, Issue] = {}  # by id
        self._next_issue_id = 10001
        self._next_comment_id = 20001
        self._next_number = {p.key: 1 for p in PROJECTS}
        if self._seeded:
            seed_issues(self)

    def now(self) -> datetime:
        moment = self._clock().astimezone(UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    # -- lookups -------------------------------------------------------------------------------

    def user(self, account_id: str | None) -> User | None:
        return None if account_id is None else self.config.user(account_id)

    def find(self, id_or_key: str) -> Issue | None:
        """By id, else by key without regard to case (as Jira's lookup does)."""
        if id_or_key in self.issues:
            return self.issues[id_or_key]
        wanted = id_or_key.upper()
        return next((i for i in self.issues.values() if i.key == wanted), None)

    def project(self, id_or_key: str) -> Project | None:
        return self.projects.get(id_or_key) or next(
            (p for p in self.projects.values() if p.id == id_or_key), None
        )

    # -- changes -------------------------------------------------------------------------------

    def create_issue(
        self,
        project: Project,
        issue_type: str,
        values: dict[str, Any],
        creator: str,
        *,
        at: datetime | None = None,
    ) -> Issue:
        now = at or self.now()
        number = self._next_number[project.key]
        self._next_number[project.key] += 1
        issue = Issue(
            id=str(self._next_issue_id),
            key=f"{project.key}-{number}",
            project=project,
            issue_type=issue_type,
            status=project.workflow.initial,
            created=now,
            updated=now,
            creator=creator,
            values={"priority": DEFAULT_PRIORITY, "labels": [], "reporter": creator, **values},
        )
        self._next_issue_id += 1
        if project.is_service_desk:
            goal = sla.RESOLUTION_GOALS_MS.get(
                issue.values["priority"], sla.RESOLUTION_GOALS_MS["3"]
            )
            issue.slas = [
                sla.SlaClock.started(sla.FIRST_RESPONSE, sla.FIRST_RESPONSE_GOAL_MS, now),
                sla.SlaClock.started(sla.RESOLUTION, goal, now),
            ]
        self.issues[issue.id] = issue
        return issue

    def add_comment(
        self,
        issue: Issue,
        author: str,
        body: dict[str, Any],
        *,
        public: bool = True,
        visibility: dict[str, Any] | None = None,
        properties: list[dict[str, Any]] | None = None,
        at: datetime | None = None,
    ) -> Comment:
        now = at or self.now()
        comment = Comment(
            str(self._next_comment_id), author, body, now, public, visibility, properties or []
        )
        self._next_comment_id += 1
        issue.comments.append(comment)
        issue.updated = now
        if public and visibility is None and author != issue.values.get("reporter"):
            self._stop(issue, sla.FIRST_RESPONSE[0], now)
        return comment

    def transition(
        self,
        issue: Issue,
        transition: Transition,
        resolution: str | None,
        at: datetime | None = None,
    ) -> None:
        """Move the issue, with the workflow's post functions (resolution, SLA clocks)."""
        now = at or self.now()
        workflow = issue.project.workflow
        before, after = workflow.statuses[issue.status], workflow.statuses[transition.to]
        issue.status = after.id
        issue.updated = now
        if after.category == DONE and before.category != DONE:
            issue.resolution = resolution or transition.default_resolution
            issue.resolutiondate = now
            for clock in issue.slas:
                clock.stop(now)
        elif after.category == DONE:
            issue.resolution = resolution or issue.resolution
        elif before.category == DONE:
            issue.resolution, issue.resolutiondate = None, None
            for clock in issue.slas:
                if clock.id == sla.RESOLUTION[0]:
                    clock.start(now)
        for clock in issue.slas:
            if clock.id == sla.RESOLUTION[0]:
                if after.id in workflow.paused:
                    clock.pause(now)
                else:
                    clock.resume(now)

    def _stop(self, issue: Issue, metric_id: str, at: datetime) -> None:
        for clock in issue.slas:
            if clock.id == metric_id:
                clock.stop(at)


def resolution_name(resolution_id: str | None) -> str | None:
    return None if resolution_id is None else RESOLUTIONS.get(resolution_id)
